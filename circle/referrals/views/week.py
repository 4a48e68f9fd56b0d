"""The week page: the referrals I gave and the business I was thanked for, and the two
forms that enter them (several referrals at once; closed business with its amount)."""

from __future__ import annotations

from datetime import date, timedelta
from http import HTTPStatus

from flask import abort, flash, redirect, request
from flask_babel import gettext as _
from flask_babel import ngettext

from circle.circles.access import Listed, roster_names
from circle.core.checks import EARLIEST
from circle.core.formats import interval_text
from circle.core.money import format_money, parse_amount
from circle.core.weeks import today_for, week_start
from circle.models import Circle, ClosedBusiness, Membership
from circle.referrals import reading, services
from circle.referrals.forms import (
    GIVE_PREFIX,
    THANK_PREFIX,
    GiveReferralsForm,
    ThankForm,
    referral_choices,
)
from circle.referrals.views.common import (
    LINK_DAYS,
    MORE,
    bp,
    business_input,
    day_label,
    flash_moved,
    parse_day,
    party_name,
    referral_input,
    row_error,
    shown_week,
    week_url,
)
from circle.web.boundary import attempt, circle_page, form_error, ui_locale
from circle.web.kept import page_with_body

# --- forms with their choices --------------------------------------------------------


def _receivers(me: Membership, members: list[Listed]) -> list[Listed]:
    """Whom the several-referrals form offers as receivers: everyone but me (an admin
    may give in another member's name, so to anyone)."""
    return members if me.is_admin else [m for m in members if m.id != me.id]


def _give_form(circle: Circle, me: Membership, members: list[Listed], **kwargs):
    """The several-referrals form with members to choose (admins also choose the giver)."""
    form = GiveReferralsForm(prefix=GIVE_PREFIX, **kwargs)
    form.set_choices(members, _receivers(me, members), me, today_for(circle))
    return form


def _linkable(circle: Circle, me: Membership):
    """The referrals I received that closed business can be linked to, as select options."""
    since = today_for(circle) - timedelta(days=LINK_DAYS)
    return referral_choices(reading.received_for_linking(circle, me, since), day_label)


def _thank_form(circle: Circle, me: Membership, members: list[Listed], **kwargs):
    """The closed-business form: givers to thank and my received referrals to link."""
    form = ThankForm(prefix=THANK_PREFIX, **kwargs)
    form.set_choices(
        [m for m in members if m.id != me.id], _linkable(circle, me), today_for(circle)
    )
    return form


# --- the week view -------------------------------------------------------------------


@bp.get("/circles/<int:circle_id>/week")
@bp.get("/circles/<int:circle_id>/week/<day>")
@circle_page()
def week(circle: Circle, me: Membership, day: str | None = None):
    """One circle week: my referrals and closed business, my totals, and the entry forms."""
    if day is None:
        start = week_start(circle, today_for(circle))
    else:
        parsed = parse_day(day)
        if parsed is None or parsed < EARLIEST:
            abort(404)
        start = week_start(circle, parsed)
        if start > week_start(circle, today_for(circle)):
            abort(404)
    return _week_page(circle, me, start)


def _preselect_receiver(form: GiveReferralsForm, raw: str | None) -> None:
    """``?to=<member>`` (the "give a referral" button of a profile) chooses the first row's
    receiver when that member may receive; anything else is ignored."""
    if not raw or not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        return
    row = form.rows[0].form
    if any(choice.value == int(raw) for choice in row.receiver_id.choices):
        row.receiver_id.data = int(raw)


def _week_page(
    circle: Circle,
    me: Membership,
    start: date,
    *,
    give_form: GiveReferralsForm | None = None,
    thank_form: ThankForm | None = None,
    status: int = 200,
):
    """Render the week that starts on ``start``; a form that was sent keeps its input.

    Without sent forms, the page's body is kept in memory (``circle.web.kept``) under the
    circle's ``data_stamp`` (every slip, member and name it shows), the member, the week,
    the day (the forms' default day and the referrals to link move on with it), the
    language and the receiver asked for with ``?to=``."""
    end = start + timedelta(days=6)
    today = today_for(circle)
    title = interval_text(start, end, "yMMMd", ui_locale())
    asked_receiver = request.args.get("to")

    def body() -> dict:
        """What the page's body shows."""
        return _week_body(circle, me, start, today, asked_receiver, give_form, thank_form)

    fresh = give_form is None and thank_form is None
    asked = (me.id, start, today, asked_receiver) if fresh else None
    page = page_with_body("referrals/week.html", circle, asked, body, title=title)
    return page, status


def _week_body(
    circle: Circle,
    me: Membership,
    start: date,
    today: date,
    asked_receiver: str | None,
    give_form: GiveReferralsForm | None,
    thank_form: ThankForm | None,
) -> dict:
    """What the week page's body shows: my totals, the two forms and my slips."""
    end = start + timedelta(days=6)
    current = week_start(circle, today)
    members = roster_names(circle.id)
    if give_form is None:
        give_form = _give_form(circle, me, members, formdata=None)
        give_form.week.data = start.isoformat()
        _preselect_receiver(give_form, asked_receiver)
    if thank_form is None:
        thank_form = _thank_form(circle, me, members, formdata=None)
        thank_form.week.data = start.isoformat()
    mine = reading.my_week(circle, me, start, end)
    return {
        "circle": circle,
        "me": me,
        "start": start,
        "end": end,
        "title": interval_text(start, end, "yMMMd", ui_locale()),
        "days": [start + timedelta(days=i) for i in range(7)],
        "is_current": start == current,
        "prev_url": week_url(circle, start - timedelta(days=7))
        if start - timedelta(days=7) >= week_start(circle, EARLIEST)
        else None,
        "next_url": week_url(circle, start + timedelta(days=7)) if start < current else None,
        "current_url": week_url(circle, current),
        "totals": mine.totals,
        "given": [r for r in mine.referrals if r.giver_id == me.id],
        "received": [r for r in mine.referrals if r.receiver_id == me.id],
        "thanked": [b for b in mine.business if b.thanked_id == me.id],
        "reported": [b for b in mine.business if b.reporter_id == me.id],
        "give_form": give_form,
        "thank_form": thank_form,
        "here": week_url(circle, start),
    }


@bp.post("/circles/<int:circle_id>/referrals")
@circle_page()
def give(circle: Circle, me: Membership):
    """Give the referrals of every filled row at once: all of them, or none."""
    members = roster_names(circle.id)
    form = _give_form(circle, me, members)
    start = shown_week(circle, form.week.data)
    if MORE in request.form:  # "One more" without scripting: the rows as sent, and one more
        form.add_row(_receivers(me, members), today_for(circle))
        return _week_page(circle, me, start, give_form=form)
    if not form.validate_on_submit():
        return _week_page(circle, me, start, give_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    rows = form.filled_rows()
    if not rows:
        form.form_errors.append(_("Choose a receiver for at least one referral."))
        return _week_page(circle, me, start, give_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    giver_id = form.giver_id.data if me.is_admin else None
    items = [referral_input(row, giver_id) for _index, row in rows]
    given, error = attempt(lambda: services.give_referrals(circle, me, items))
    if error is not None:
        row_error(form, rows, error)
        return _week_page(circle, me, start, give_form=form, status=error.status)
    flash(
        ngettext("%(num)s referral given.", "%(num)s referrals given.", len(given)),
        "success",
    )
    flash_moved([r.given_on for r in given], [item.given_on for item in items])
    return redirect(week_url(circle, start))


@bp.post("/circles/<int:circle_id>/closed-business")
@circle_page()
def thank(circle: Circle, me: Membership):
    """Report closed business: revenue I earned, credited to (and thanking) the giver."""
    members = roster_names(circle.id)
    form = _thank_form(circle, me, members)
    start = shown_week(circle, form.week.data)
    if not form.validate_on_submit():
        return _week_page(
            circle, me, start, thank_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY
        )

    def report() -> ClosedBusiness:
        amount = parse_amount(form.amount.data, circle.currency, ui_locale())
        return services.report_closed_business(circle, me, business_input(form, amount))

    business, error = attempt(report)
    if error is not None:
        form_error(form, error)
        return _week_page(circle, me, start, thank_form=form, status=error.status)
    flash(
        _(
            "Thank you noted: %(amount)s credited to %(name)s.",
            amount=format_money(business.amount_minor, business.currency, ui_locale()),
            name=party_name(business.thanked, business.thanked_external),
        ),
        "success",
    )
    flash_moved([business.closed_on], [form.closed_on.data])
    return redirect(week_url(circle, start))
