"""The circle over time (issue 14, item 6): referrals given and closed business per week
and attendance per meeting, each as a server-drawn chart with its trend, a text
alternative and the numbers in a table behind a disclosure. Every active member sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from circle.core.formats import decimal_text, interval_text, percent_text, skeleton_text
from circle.core.memo import Memo
from circle.core.money import format_money
from circle.core.weeks import today_for
from circle.models import Circle, Membership
from circle.trends import services
from circle.trends.forms import PeriodForm
from circle.trends.services import MeetingAttendance, Week
from circle.web.boundary import circle_page, ui_locale
from circle.web.charts import Series, bar_chart, chart_legend, chart_top, trend
from circle.web.kept import page_with_body

bp = Blueprint("trends", __name__)


@dataclass(frozen=True)
class Row:
    """One line of a chart's table: the period's label, its values as shown (already
    formatted), and the day it starts (``data-period`` in the page)."""

    day: date
    label: str
    cells: list[str]


@dataclass(frozen=True)
class Picture:
    """A chart on the page: the SVG, its legend, and the table behind the disclosure."""

    svg: Markup
    legend: Markup
    columns: list[str]
    rows: list[Row]

    @cached_property
    def table(self) -> Markup:
        """The rows of the table behind the disclosure, as HTML (every text escaped)."""
        lines = []
        for row in self.rows:
            cells = "".join(f'<td class="num">{escape(cell)}</td>' for cell in row.cells)
            lines.append(
                f'<tr data-period="{row.day.isoformat()}">'
                f'<th scope="row">{escape(row.label)}</th>{cells}</tr>'
            )
        return Markup("\n".join(lines))  # noqa: S704 - every text is escaped  # nosec B704


#: The pictures drawn last, in this server's memory, by everything they are drawn from.
PICTURES_KEPT = 32
_kept: Memo[tuple[Picture | None, Picture | None, Picture | None]] = Memo(PICTURES_KEPT)


def pictures(
    circle: Circle, weeks: list[Week], meetings: list[MeetingAttendance], locale: str
) -> tuple[Picture | None, Picture | None, Picture | None]:
    """The referrals, closed business and attendance pictures, kept in memory under the
    numbers they show, the weeks, the currency and the language (drawing the three charts
    and their tables of a year's weeks cost more than the rest of the page)."""
    key = (
        tuple((week.start, week.end, week.referrals, week.business_minor) for week in weeks),
        tuple(meetings),
        circle.currency,
        locale,
    )
    return _kept.get(
        key,
        lambda: (
            _referral_picture(weeks, locale),
            _business_picture(circle, weeks, locale),
            _attendance_picture(meetings, locale),
        ),
    )


@bp.get("/circles/<int:circle_id>/trends")
@circle_page()
def index(circle: Circle, me: Membership):
    """The circle's referrals and closed business per week and attendance per meeting over
    the last 13, 26 or 52 weeks (``?weeks=``; anything else shows 26). The body is kept in
    memory (``circle.web.kept``) under the circle's ``data_stamp``, the day, the weeks and
    the language."""
    form = PeriodForm(request.args)
    count = form.chosen_weeks()
    today = today_for(circle)

    def body() -> dict:
        """What the page's body shows: the three pictures."""
        weeks = services.weekly_activity(circle, today, count)
        meetings = services.attendance_per_meeting(circle, weeks[0].start, today)
        referrals, business, attendance = pictures(circle, weeks, meetings, ui_locale())
        return {
            "circle": circle,
            "me": me,
            "form": form,
            "first": weeks[0].start,
            "last": today,
            "referrals": referrals,
            "business": business,
            "attendance": attendance,
        }

    # The circle's weeks as everyone sees them: no reader in the key.
    return page_with_body("trends/index.html", circle, (today, count), body)


def _number(locale: str) -> Callable[[float], str]:
    """Write a count or an average with at most one decimal, in the user's locale."""
    return lambda value: decimal_text(round(value, 1), "#,##0.#", locale)


def _week_labels(weeks: list[Week], locale: str) -> tuple[list[str], list[str]]:
    """Short labels for the chart's axis (the week's first day) and full ones for the table."""
    short = [skeleton_text("MMMd", week.start, locale) for week in weeks]
    full = [interval_text(week.start, week.end, "yMMMd", locale) for week in weeks]
    return short, full


def _referral_picture(weeks: list[Week], locale: str) -> Picture | None:
    """Referrals given per week with their trend; None when there were none."""
    values = [week.referrals for week in weeks]
    if not any(values):
        return None
    number = _number(locale)
    short, full = _week_labels(weeks, locale)
    line = trend(values, number, per="week")
    busiest = max(range(len(weeks)), key=lambda index: values[index])
    description = ngettext(
        "%(num)s referral given in %(weeks)s weeks, from %(first)s to %(last)s; most in "
        "the week of %(busiest)s (%(most)s).",
        "%(num)s referrals given in %(weeks)s weeks, from %(first)s to %(last)s; most in "
        "the week of %(busiest)s (%(most)s).",
        sum(values),
        weeks=len(weeks),
        first=full[0],
        last=full[-1],
        busiest=full[busiest],
        most=values[busiest],
    )
    series = [Series(_("Referrals given"), values, "bar--given")]
    return Picture(
        bar_chart(
            "trend-referrals-chart",
            _("Referrals given per week"),
            f"{description} {line.sentence}",
            short,
            series,
            lines=line.lines,
        ),
        chart_legend(series, line.lines),
        [_("Week"), _("Referrals given"), line.average.name],
        [
            Row(week.start, label, [str(value), number(average)])
            for week, label, value, average in zip(
                weeks, full, values, line.average.values, strict=True
            )
        ],
    )


def _business_picture(circle: Circle, weeks: list[Week], locale: str) -> Picture | None:
    """Closed business per week (the circle's currency) with its trend; None when there
    was none."""
    values = [week.business_minor for week in weeks]
    if not any(values):
        return None

    def money(value: float) -> str:
        """An amount (minor units, rounded to whole ones) in the user's locale."""
        return format_money(round(value), circle.currency, locale)

    short, full = _week_labels(weeks, locale)
    line = trend(values, money, per="week")
    busiest = max(range(len(weeks)), key=lambda index: values[index])
    description = _(
        "Closed business of %(total)s in %(weeks)s weeks, from %(first)s to %(last)s; most "
        "in the week of %(busiest)s (%(most)s).",
        total=money(sum(values)),
        weeks=len(weeks),
        first=full[0],
        last=full[-1],
        busiest=full[busiest],
        most=money(values[busiest]),
    )
    series = [Series(_("Closed business"), values, "bar--received", [money(v) for v in values])]
    return Picture(
        bar_chart(
            "trend-business-chart",
            _("Closed business per week"),
            f"{description} {line.sentence}",
            short,
            series,
            scale_label=money(chart_top(series, line.lines)),
            lines=line.lines,
        ),
        chart_legend(series, line.lines),
        [_("Week"), _("Closed business"), line.average.name],
        [
            Row(week.start, label, [money(value), money(average)])
            for week, label, value, average in zip(
                weeks, full, values, line.average.values, strict=True
            )
        ],
    )


def _attendance_picture(meetings: list[MeetingAttendance], locale: str) -> Picture | None:
    """Members present and substitutes per held meeting, with the trend of those present;
    None when no attendance was recorded."""
    meetings = [meeting for meeting in meetings if meeting.recorded]
    if not meetings:
        return None
    number = _number(locale)
    short = [skeleton_text("MMMd", meeting.held_on, locale) for meeting in meetings]
    full = [skeleton_text("yMMMd", meeting.held_on, locale) for meeting in meetings]
    present = [meeting.present for meeting in meetings]
    line = trend(present, number, per="meeting")
    shares = [percent_text(float(meeting.share or 0), locale) for meeting in meetings]
    recorded = sum(meeting.recorded for meeting in meetings)
    description = ngettext(
        "%(num)s meeting from %(first)s to %(last)s: present %(present)s of %(recorded)s "
        "recorded (%(share)s), substitutes %(substitutes)s.",
        "%(num)s meetings from %(first)s to %(last)s: present %(present)s of %(recorded)s "
        "recorded (%(share)s), substitutes %(substitutes)s.",
        len(meetings),
        first=full[0],
        last=full[-1],
        present=sum(present),
        recorded=recorded,
        share=percent_text(sum(present) / recorded, locale),
        substitutes=sum(meeting.substitutes for meeting in meetings),
    )
    series = [
        Series(
            _("Present (P, L)"),
            present,
            "bar--given",
            [
                _("%(present)s of %(recorded)s", present=m.present, recorded=m.recorded)
                for m in meetings
            ],
        ),
        Series(_("Substitute (S)"), [m.substitutes for m in meetings], "bar--received"),
    ]
    return Picture(
        bar_chart(
            "trend-attendance-chart",
            _("Attendance per meeting"),
            f"{description} {line.sentence}",
            short,
            series,
            lines=line.lines,
        ),
        chart_legend(series, line.lines),
        [
            _("Meeting"),
            _("Present (P, L)"),
            _("Substitute (S)"),
            _("Absent (A, M)"),
            _("Recorded"),
            _("Share present"),
        ],
        [
            Row(
                m.held_on,
                label,
                [str(m.present), str(m.substitutes), str(m.absent), str(m.recorded), share],
            )
            for m, label, share in zip(meetings, full, shares, strict=True)
        ],
    )
