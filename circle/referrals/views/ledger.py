"""My ledger: what I gave and received, and the business it brought, per week or month."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from http import HTTPStatus

from flask import request
from flask_babel import gettext as _

from circle.core.checks import EARLIEST
from circle.core.formats import interval_text, skeleton_text
from circle.core.money import format_money
from circle.core.periods import Period, add_months
from circle.core.weeks import today_for, week_start
from circle.models import Circle, Membership
from circle.referrals import reading
from circle.referrals.forms import (
    LedgerForm,
)
from circle.referrals.reading import Totals
from circle.referrals.views.common import (
    MAX_LEDGER_DAYS,
    add_error,
    bp,
    week_url,
)
from circle.web.boundary import circle_page, ui_locale
from circle.web.charts import Series, bar_chart
from circle.web.i18n import format_date
from circle.web.kept import page_with_body

# --- the ledger ----------------------------------------------------------------------


@dataclass
class LedgerRow:
    """A week or month of the ledger with my totals."""

    period: Period
    label: str
    url: str | None
    totals: Totals


def _periods(circle: Circle, start: date, end: date, by: str) -> list[LedgerRow]:
    """The weeks (circle weeks) or months that cover start..end, oldest first."""
    periods = []
    if by == "week":
        first = week_start(circle, start)
        current = week_start(circle, today_for(circle))
        while first <= end:
            # The calendar ends on 9999-12-31: the last week stops there.
            last = first + min(timedelta(days=6), date.max - first)
            label = interval_text(first, last, "yMMMd", ui_locale())
            url = week_url(circle, first) if first <= current else None
            periods.append(LedgerRow(Period(first, last), label, url, Totals()))
            if last == date.max:
                break
            first = last + timedelta(days=1)
    else:
        first = add_months(start, 0)
        while first <= end:
            last = first.replace(day=monthrange(first.year, first.month)[1])
            label = skeleton_text("yMMMM", first, ui_locale())
            periods.append(LedgerRow(Period(first, last), label, None, Totals()))
            if last == date.max:
                break
            first = last + timedelta(days=1)
    return periods


def _fold(periods: list[LedgerRow], daily: dict[date, Totals]) -> Totals:
    """Add the days into their periods; return the grand total."""
    grand = Totals()
    index = 0
    for day in sorted(daily):
        while index < len(periods) and periods[index].period.end < day:
            index += 1
        if index == len(periods):
            break
        if day < periods[index].period.start:
            continue
        for target in (periods[index].totals, grand):
            target.given += daily[day].given
            target.received += daily[day].received
            target.revenue_generated += daily[day].revenue_generated
            target.revenue_received += daily[day].revenue_received
    return grand


@bp.get("/circles/<int:circle_id>/ledger")
@circle_page()
def ledger(circle: Circle, me: Membership):
    """My ledger per week or month: referrals given and received, revenue both ways."""
    form = LedgerForm(request.args)
    today = today_for(circle)
    valid = form.validate()
    by = form.by.data if form.by.data in ("week", "month") else "month"
    end = form.end.data or today
    start = form.start.data or add_months(end, -11)
    if valid and start > end:
        add_error(form.start, _("The start must not be after the end."))
        valid = False
    if valid and start < EARLIEST:
        add_error(
            form.start,
            _("The date cannot be before %(day)s.", day=format_date(EARLIEST)),
        )
        valid = False
    if valid and (end - start).days > MAX_LEDGER_DAYS:
        add_error(form.end, _("Choose a period of at most ten years."))
        valid = False
    if not valid:
        refused = {"circle": circle, "me": me, "form": form, "periods": None}
        page = page_with_body("referrals/ledger.html", circle, None, lambda: refused)
        return page, HTTPStatus.UNPROCESSABLE_ENTITY
    form.start.data, form.end.data, form.by.data = start, end, by

    def body() -> dict:
        """What the ledger's body shows: my totals per period, in all, and as charts."""
        periods = _periods(circle, start, end, by)
        first, last = periods[0].period.start, periods[-1].period.end
        if by == "month":  # whole months: the members' months hold them, a row each
            days = reading.monthly_totals(circle, me.id, first, last)
        else:
            days = reading.daily_totals(circle, me.id, first, last)
        grand = _fold(periods, days)
        charted = 2 <= len(periods) <= MAX_CHART_PERIODS
        return {
            "circle": circle,
            "me": me,
            "form": form,
            "periods": periods,
            "grand": grand,
            "balance": grand.revenue_generated - grand.revenue_received,
            "charts": _charts(circle, periods, grand) if charted else [],
        }

    # My slips in the period: under the circle's data_stamp, me, the period and the language.
    return page_with_body("referrals/ledger.html", circle, (me.id, start, end, by), body)


#: The most weeks or months a chart draws (more would be too thin on a phone).
MAX_CHART_PERIODS = 60


def _charts(circle: Circle, periods: list[LedgerRow], grand: Totals) -> list:
    """The ledger's two charts: referrals, and the revenue they brought, per period."""
    return [_referral_chart(periods, grand), _revenue_chart(circle, periods, grand)]


def _revenue_chart(circle: Circle, periods: list[LedgerRow], grand: Totals):
    """Revenue I generated for others and revenue I received per period, as bars."""
    locale = ui_locale()
    generated = [row.totals.revenue_generated for row in periods]
    received = [row.totals.revenue_received for row in periods]
    description = _(
        "Revenue generated for others %(generated)s, received %(received)s, from %(first)s "
        "to %(last)s.",
        generated=format_money(grand.revenue_generated, circle.currency, locale),
        received=format_money(grand.revenue_received, circle.currency, locale),
        first=periods[0].label,
        last=periods[-1].label,
    )
    largest = max([*generated, *received, 0])
    return bar_chart(
        "ledger-revenue-chart",
        _("Revenue generated for others and received"),
        description,
        [row.label for row in periods],
        [
            Series(
                _("Generated for others"),
                generated,
                "bar--given",
                [format_money(v, circle.currency, locale) for v in generated],
            ),
            Series(
                _("Received"),
                received,
                "bar--received",
                [format_money(v, circle.currency, locale) for v in received],
            ),
        ],
        scale_label=format_money(largest, circle.currency, locale),
    )


def _referral_chart(periods: list[LedgerRow], grand: Totals):
    """Referrals given and received per period, as bars; the table below holds the numbers."""
    busiest = max(periods, key=lambda row: row.totals.given)
    description = _(
        "%(given)s referrals given and %(received)s received from %(first)s to %(last)s; "
        "most given in %(busiest)s (%(most)s).",
        given=grand.given,
        received=grand.received,
        first=periods[0].label,
        last=periods[-1].label,
        busiest=busiest.label,
        most=busiest.totals.given,
    )
    return bar_chart(
        "ledger-chart",
        _("Referrals given and received"),
        description,
        [row.label for row in periods],
        [
            Series(_("Given"), [row.totals.given for row in periods], "bar--given"),
            Series(_("Received"), [row.totals.received for row in periods], "bar--received"),
        ],
    )
