"""HTML pages for referrals and closed business: the week view, slips, and my ledger.

Views stay thin: a form parses, a service of ``circle.referrals.services`` decides inside
one unit of work, and a refusal comes back on the field (or the row) it concerns. Every
page belongs to an active member of the circle; another circle's ids answer 404, and a
slip is shown only to the members involved and the admins.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta

from babel.dates import format_interval, format_skeleton
from babel.numbers import format_decimal
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import login_required

from circle.auditlog import record as audit
from circle.circles.access import roster
from circle.core.checks import EARLIEST
from circle.core.errors import DomainError
from circle.core.money import format_money, minor_units, parse_amount, to_decimal
from circle.core.weeks import today_for, week_start
from circle.models import Circle, ClosedBusiness, Membership, Referral
from circle.referrals import services
from circle.referrals.forms import (
    EDIT_PREFIX,
    GIVE_PREFIX,
    THANK_PREFIX,
    VOID_PREFIX,
    CorrectBusinessForm,
    CorrectReferralForm,
    GiveReferralsForm,
    LedgerForm,
    StatusForm,
    ThankForm,
    VoidForm,
    business_kind_choices,
    hotness_choices,
    kind_choices,
    referral_choices,
    sphere_choices,
)
from circle.referrals.services import BusinessInput, ReferralInput, Totals
from circle.web.boundary import attempt, form_error, redirect_next
from circle.web.boundary import my_circle as _member_of
from circle.web.boundary import ui_locale as _locale

bp = Blueprint("referrals", __name__)

#: Status of a page re-rendered because a form did not validate.
INVALID = 422
#: The longest period the ledger shows at once.
MAX_LEDGER_DAYS = 3660
#: How far back the closed-business form offers referrals to link to.
LINK_DAYS = 366
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- helpers -----------------------------------------------------------------------


def _parse_day(text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` date, or None when the text is not one."""
    if not text or not _ISO_DAY.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _week_url(circle: Circle, start: date) -> str:
    """The URL of the week that starts on ``start`` (the plain URL for the current week)."""
    if start == week_start(circle, today_for(circle)):
        return url_for("referrals.week", circle_id=circle.id)
    return url_for("referrals.week", circle_id=circle.id, day=start.isoformat())


def _shown_week(circle: Circle, text: str | None) -> date:
    """The start of the week a form was sent from (the current week when unknown)."""
    current = week_start(circle, today_for(circle))
    day = _parse_day(text)
    if day is None or day < EARLIEST:
        return current
    return min(week_start(circle, day), current)


def _add_error(form_field, message: str) -> None:
    """Append a message to a field's errors (also for fields that were never validated)."""
    form_field.errors = [*form_field.errors, message]


def _label_of(choices, value) -> str:
    """The label of a select choice by value."""
    for choice in choices:
        if choice.value == value:
            return str(choice.label)
    return "" if value is None else str(value)


def day_label(day: date) -> str:
    """A day as ``Wed, Mar 26`` / ``Mi., 26. März``."""
    return format_skeleton("MMMEd", day, locale=_locale())


def party_name(member: Membership | None, external) -> str:
    """The name of a slip's party: a member, an outside party, or unknown."""
    if member is not None:
        return member.user.name
    if external is not None:
        return external.name
    return _("unknown")


def amount_text(amount_minor: int, currency: str) -> str:
    """Minor units as the user types them (``1.234,50`` in German), for the edit form."""
    digits = minor_units(currency)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(to_decimal(amount_minor, currency), format=pattern, locale=_locale())


@bp.context_processor
def _template_helpers() -> dict:
    """Formatting helpers for the referral templates."""
    return {
        "day_label": day_label,
        "party_name": party_name,
        "status_label": services.status_label,
        "kind_label": lambda v: _label_of(kind_choices(), v),
        "hotness_label": lambda v: _label_of(hotness_choices(), v),
        "sphere_label": lambda v: _label_of(sphere_choices(), v) if v else "",
        "business_kind_label": lambda v: _label_of(business_kind_choices(), v),
        "status_moves": services.STATUS_MOVES,
    }


# --- forms with their choices --------------------------------------------------------


def _give_form(circle: Circle, me: Membership, members: list[Membership], **kwargs):
    """The several-referrals form with members to choose (admins also choose the giver)."""
    form = GiveReferralsForm(prefix=GIVE_PREFIX, **kwargs)
    receivers = members if me.is_admin else [m for m in members if m.id != me.id]
    form.set_choices(members, receivers, me, today_for(circle))
    return form


def _linkable(circle: Circle, me: Membership):
    """The referrals I received that closed business can be linked to, as select options."""
    since = today_for(circle) - timedelta(days=LINK_DAYS)
    return referral_choices(services.received_for_linking(circle, me, since), day_label)


def _thank_form(circle: Circle, me: Membership, members: list[Membership], **kwargs):
    """The closed-business form: givers to thank and my received referrals to link."""
    form = ThankForm(prefix=THANK_PREFIX, **kwargs)
    form.set_choices(
        [m for m in members if m.id != me.id], _linkable(circle, me), today_for(circle)
    )
    return form


# --- the week view -------------------------------------------------------------------


@bp.get("/circles/<int:circle_id>/week")
@bp.get("/circles/<int:circle_id>/week/<day>")
@login_required
def week(circle_id: int, day: str | None = None):
    """One circle week: my referrals and closed business, my totals, and the entry forms."""
    circle, me = _member_of(circle_id)
    if day is None:
        start = week_start(circle, today_for(circle))
    else:
        parsed = _parse_day(day)
        if parsed is None or parsed < EARLIEST:
            abort(404)
        start = week_start(circle, parsed)
        if start > week_start(circle, today_for(circle)):
            abort(404)
    return _week_page(circle, me, start)


def _week_page(
    circle: Circle,
    me: Membership,
    start: date,
    *,
    give_form: GiveReferralsForm | None = None,
    thank_form: ThankForm | None = None,
    status: int = 200,
):
    """Render the week that starts on ``start``; a form that was sent keeps its input."""
    end = start + timedelta(days=6)
    current = week_start(circle, today_for(circle))
    members = roster(circle.id)
    if give_form is None:
        give_form = _give_form(circle, me, members, formdata=None)
        give_form.week.data = start.isoformat()
    if thank_form is None:
        thank_form = _thank_form(circle, me, members, formdata=None)
        thank_form.week.data = start.isoformat()
    referrals = services.referrals_between(circle, me, start, end, mine_only=True)
    business = services.business_between(circle, me, start, end, mine_only=True)
    page = render_template(
        "referrals/week.html",
        circle=circle,
        me=me,
        start=start,
        end=end,
        title=format_interval(start, end, "yMMMd", locale=_locale()),
        days=[start + timedelta(days=i) for i in range(7)],
        is_current=start == current,
        prev_url=_week_url(circle, start - timedelta(days=7))
        if start - timedelta(days=7) >= week_start(circle, EARLIEST)
        else None,
        next_url=_week_url(circle, start + timedelta(days=7)) if start < current else None,
        current_url=_week_url(circle, current),
        totals=services.totals(circle, me.id, start, end),
        given=[r for r in referrals if r.giver_id == me.id],
        received=[r for r in referrals if r.receiver_id == me.id],
        thanked=[b for b in business if b.thanked_id == me.id],
        reported=[b for b in business if b.reporter_id == me.id],
        open_received=services.open_received(circle, me.id),
        give_form=give_form,
        thank_form=thank_form,
        status_form=StatusForm(formdata=None),
        here=_week_url(circle, start),
    )
    return page, status


@bp.post("/circles/<int:circle_id>/referrals")
@login_required
def give(circle_id: int):
    """Give the referrals of every filled row at once: all of them, or none."""
    circle, me = _member_of(circle_id)
    members = roster(circle.id)
    form = _give_form(circle, me, members)
    start = _shown_week(circle, form.week.data)
    if not form.validate_on_submit():
        return _week_page(circle, me, start, give_form=form, status=INVALID)
    rows = form.filled_rows()
    if not rows:
        form.form_errors.append(_("Choose a receiver for at least one referral."))
        return _week_page(circle, me, start, give_form=form, status=INVALID)
    giver_id = form.giver_id.data if me.is_admin else None
    items = [
        ReferralInput(
            receiver_id=row.receiver_id.data,
            given_on=row.given_on.data,
            kind=row.kind.data,
            hotness=row.hotness.data,
            sphere=row.sphere.data,
            prospect_name=row.prospect_name.data or "",
            prospect_phone=row.prospect_phone.data or "",
            prospect_email=row.prospect_email.data or "",
            note=row.note.data or "",
            giver_id=giver_id,
        )
        for _index, row in rows
    ]
    given, error = attempt(lambda: services.give_referrals(circle, me, items))
    if error is not None:
        _row_error(form, rows, error)
        return _week_page(circle, me, start, give_form=form, status=error.status)
    flash(
        ngettext("%(num)s referral given.", "%(num)s referrals given.", len(given)),
        "success",
    )
    _flash_moved([r.given_on for r in given], [item.given_on for item in items])
    return redirect(_week_url(circle, start))


def _flash_moved(saved: list[date], entered: list[date]) -> None:
    """Say so when a locked week moved entries to the first day of the next open week."""
    for day in sorted({s for s, e in zip(saved, entered, strict=True) if s != e}):
        flash(
            _(
                "That week's report is already locked: the entry now counts in the week "
                "starting %(day)s.",
                day=format_date(day, "medium"),
            ),
            "info",
        )


def _row_error(form: GiveReferralsForm, rows, error: DomainError) -> None:
    """Show a refusal on the row and field it names (``"<index>.<field>"``)."""
    index_text, _dot, name = (error.field or "").rpartition(".")
    if index_text.isdigit() and int(index_text) < len(rows):
        row = rows[int(index_text)][1]
    elif not index_text and len(rows) == 1:
        row = rows[0][1]
    else:
        row = None
    if name == "giver_id" and hasattr(form.giver_id, "choices"):
        _add_error(form.giver_id, error.message)
    elif row is not None and name in row:
        _add_error(row[name], error.message)
    else:
        form.form_errors.append(error.message)


@bp.post("/circles/<int:circle_id>/closed-business")
@login_required
def thank(circle_id: int):
    """Report closed business: revenue I earned, credited to (and thanking) the giver."""
    circle, me = _member_of(circle_id)
    members = roster(circle.id)
    form = _thank_form(circle, me, members)
    start = _shown_week(circle, form.week.data)
    if not form.validate_on_submit():
        return _week_page(circle, me, start, thank_form=form, status=INVALID)

    def report() -> ClosedBusiness:
        amount = parse_amount(form.amount.data, circle.currency, _locale())
        return services.report_closed_business(circle, me, _business_input(form, amount))

    business, error = attempt(report)
    if error is not None:
        form_error(form, error)
        return _week_page(circle, me, start, thank_form=form, status=error.status)
    flash(
        _(
            "Thank you noted: %(amount)s credited to %(name)s.",
            amount=format_money(business.amount_minor, business.currency, _locale()),
            name=party_name(business.thanked, business.thanked_external),
        ),
        "success",
    )
    _flash_moved([business.closed_on], [form.closed_on.data])
    return redirect(_week_url(circle, start))


def _business_input(form, amount: int, reporter_id: int | None = None) -> BusinessInput:
    """The parsed closed-business form as the service's input."""
    return BusinessInput(
        thanked_id=form.giver_id.data,
        amount_minor=amount,
        closed_on=form.closed_on.data,
        kind=form.kind.data,
        referral_id=form.referral_id.data,
        note=form.note.data or "",
        reporter_id=reporter_id,
    )


# --- referral slips ------------------------------------------------------------------


def _referral_page(
    circle: Circle,
    me: Membership,
    referral: Referral,
    *,
    edit_form: CorrectReferralForm | None = None,
    void_form: VoidForm | None = None,
    action_error: str | None = None,
    status: int = 200,
):
    """Render a referral slip with its history and the forms the member may use."""
    may_edit = services.may_correct_referral(me, referral)
    if edit_form is None and may_edit:
        edit_form = _correct_referral_form(circle, me, formdata=None, obj=referral)
    page = render_template(
        "referrals/referral.html",
        circle=circle,
        me=me,
        referral=referral,
        history=_history(circle, "referral", referral.id),
        may_edit=may_edit,
        may_void=services.may_void_referral(me, referral),
        may_set_status=services.may_set_status(me, referral),
        edit_form=edit_form,
        void_form=void_form or VoidForm(formdata=None, prefix=VOID_PREFIX),
        status_form=StatusForm(formdata=None),
        action_error=action_error,
        week_url=_week_url(circle, week_start(circle, referral.given_on)),
    )
    return page, status


def _correct_referral_form(circle: Circle, me: Membership, **kwargs) -> CorrectReferralForm:
    """The correction form of a referral with its choices."""
    form = CorrectReferralForm(prefix=EDIT_PREFIX, **kwargs)
    members = roster(circle.id)
    form.set_choices(members, today_for(circle))
    form.giver_id.choices = form.receiver_id.choices[1:]
    return form


@bp.get("/circles/<int:circle_id>/referrals/<int:referral_id>")
@login_required
def referral(circle_id: int, referral_id: int):
    """A referral slip: details and history (the members involved and admins only)."""
    circle, me = _member_of(circle_id)
    slip = services.visible_referral(circle, me, referral_id)
    return _referral_page(circle, me, slip)


@bp.post("/circles/<int:circle_id>/referrals/<int:referral_id>/edit")
@login_required
def correct_referral(circle_id: int, referral_id: int):
    """Correct a referral (its giver or an admin); the change is audited."""
    circle, me = _member_of(circle_id)
    slip = services.visible_referral(circle, me, referral_id)
    form = _correct_referral_form(circle, me)
    if not form.validate_on_submit():
        return _referral_page(circle, me, slip, edit_form=form, status=INVALID)
    data = ReferralInput(
        receiver_id=form.receiver_id.data,
        given_on=form.given_on.data,
        kind=form.kind.data,
        hotness=form.hotness.data,
        sphere=form.sphere.data,
        prospect_name=form.prospect_name.data or "",
        prospect_phone=form.prospect_phone.data or "",
        prospect_email=form.prospect_email.data or "",
        note=form.note.data or "",
        giver_id=form.giver_id.data if me.is_admin else None,
    )
    _result, error = attempt(lambda: services.correct_referral(circle, me, referral_id, data))
    if error is not None:
        form_error(form, error)
        slip = services.visible_referral(circle, me, referral_id)
        return _referral_page(circle, me, slip, edit_form=form, status=error.status)
    flash(_("The referral was corrected."), "success")
    return redirect(url_for("referrals.referral", circle_id=circle_id, referral_id=referral_id))


@bp.post("/circles/<int:circle_id>/referrals/<int:referral_id>/status")
@login_required
def set_status(circle_id: int, referral_id: int):
    """Move a received referral on: contacted, won or lost."""
    circle, me = _member_of(circle_id)
    slip = services.visible_referral(circle, me, referral_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _referral_page(circle, me, slip, status=INVALID)
    wanted = form.status.data or ""
    result, error = attempt(lambda: services.set_status(circle, me, referral_id, wanted))
    if error is not None:
        slip = services.visible_referral(circle, me, referral_id)
        return _referral_page(circle, me, slip, action_error=error.message, status=error.status)
    flash(
        _("The referral is now: %(status)s.", status=services.status_label(result.status)),
        "success",
    )
    return redirect_next("referrals.referral", circle_id=circle_id, referral_id=referral_id)


@bp.post("/circles/<int:circle_id>/referrals/<int:referral_id>/void")
@login_required
def void_referral(circle_id: int, referral_id: int):
    """Void a referral with a reason; it stays visible, struck through, and counts nowhere."""
    circle, me = _member_of(circle_id)
    slip = services.visible_referral(circle, me, referral_id)
    form = VoidForm(prefix=VOID_PREFIX)
    if not form.validate_on_submit():
        return _referral_page(circle, me, slip, void_form=form, status=INVALID)
    reason = form.reason.data or ""
    _result, error = attempt(lambda: services.void_referral(circle, me, referral_id, reason))
    if error is not None:
        form_error(form, error)
        slip = services.visible_referral(circle, me, referral_id)
        return _referral_page(circle, me, slip, void_form=form, status=error.status)
    flash(_("The referral was voided."), "success")
    return redirect(url_for("referrals.referral", circle_id=circle_id, referral_id=referral_id))


# --- closed business -----------------------------------------------------------------


def _business_page(
    circle: Circle,
    me: Membership,
    business: ClosedBusiness,
    *,
    edit_form: CorrectBusinessForm | None = None,
    void_form: VoidForm | None = None,
    status: int = 200,
):
    """Render a closed business with its history and the forms the member may use."""
    may_edit = services.may_correct_business(me, business)
    if edit_form is None and may_edit:
        edit_form = _correct_business_form(
            circle,
            me,
            business,
            formdata=None,
            data={
                "giver_id": business.thanked_id,
                "reporter_id": business.reporter_id,
                "amount": amount_text(business.amount_minor, business.currency),
                "closed_on": business.closed_on,
                "kind": business.kind,
                "referral_id": business.referral_id,
                "note": business.note,
            },
        )
    page = render_template(
        "referrals/business.html",
        circle=circle,
        me=me,
        business=business,
        history=_history(circle, "closed_business", business.id),
        may_edit=may_edit,
        may_void=services.may_void_business(me, business),
        edit_form=edit_form,
        void_form=void_form or VoidForm(formdata=None, prefix=VOID_PREFIX),
        week_url=_week_url(circle, week_start(circle, business.closed_on)),
    )
    return page, status


def _correct_business_form(
    circle: Circle, me: Membership, business: ClosedBusiness, **kwargs
) -> CorrectBusinessForm:
    """The correction form of closed business with its choices."""
    form = CorrectBusinessForm(prefix=EDIT_PREFIX, **kwargs)
    members = roster(circle.id)
    reporter = services.members_by_id(circle, {business.reporter_id}).get(business.reporter_id)
    linkable = services.received_for_linking(circle, reporter, EARLIEST) if reporter else []
    if business.referral_id is not None and business.referral_id not in {r.id for r in linkable}:
        linkable.append(services.referral_in(circle, business.referral_id))
    form.set_choices(members, referral_choices(linkable, day_label), today_for(circle))
    form.reporter_id.choices = form.giver_id.choices[1:]
    return form


@bp.get("/circles/<int:circle_id>/closed-business/<int:business_id>")
@login_required
def business(circle_id: int, business_id: int):
    """A closed business: details and history (the members involved and admins only)."""
    circle, me = _member_of(circle_id)
    entry = services.visible_business(circle, me, business_id)
    return _business_page(circle, me, entry)


@bp.post("/circles/<int:circle_id>/closed-business/<int:business_id>/edit")
@login_required
def correct_business(circle_id: int, business_id: int):
    """Correct closed business (its reporter or an admin); the change is audited."""
    circle, me = _member_of(circle_id)
    entry = services.visible_business(circle, me, business_id)
    form = _correct_business_form(circle, me, entry)
    if not form.validate_on_submit():
        return _business_page(circle, me, entry, edit_form=form, status=INVALID)
    reporter_id = form.reporter_id.data if me.is_admin else None

    def correct() -> ClosedBusiness:
        amount = parse_amount(form.amount.data, circle.currency, _locale())
        data = _business_input(form, amount, reporter_id)
        return services.correct_business(circle, me, business_id, data)

    _result, error = attempt(correct)
    if error is not None:
        form_error(form, error)
        entry = services.visible_business(circle, me, business_id)
        return _business_page(circle, me, entry, edit_form=form, status=error.status)
    flash(_("The closed business was corrected."), "success")
    return redirect(url_for("referrals.business", circle_id=circle_id, business_id=business_id))


@bp.post("/circles/<int:circle_id>/closed-business/<int:business_id>/void")
@login_required
def void_business(circle_id: int, business_id: int):
    """Void closed business with a reason; it then counts nowhere."""
    circle, me = _member_of(circle_id)
    entry = services.visible_business(circle, me, business_id)
    form = VoidForm(prefix=VOID_PREFIX)
    if not form.validate_on_submit():
        return _business_page(circle, me, entry, void_form=form, status=INVALID)
    reason = form.reason.data or ""
    _result, error = attempt(lambda: services.void_business(circle, me, business_id, reason))
    if error is not None:
        form_error(form, error)
        entry = services.visible_business(circle, me, business_id)
        return _business_page(circle, me, entry, void_form=form, status=error.status)
    flash(_("The closed business was voided."), "success")
    return redirect(url_for("referrals.business", circle_id=circle_id, business_id=business_id))


# --- history -------------------------------------------------------------------------


@dataclass
class Change:
    """One field of an audit entry: its label, the value before and after."""

    label: str
    before: str
    after: str


@dataclass
class HistoryRow:
    """One audit entry as shown: who, when, what, and the changed fields."""

    actor: str
    at: object
    action: str
    changes: list[Change] = field(default_factory=list)


MEMBER_FIELDS = ("giver_id", "receiver_id", "thanked_id", "reporter_id")


def _field_labels() -> dict[str, str]:
    """Translated names of the audited fields."""
    return {
        "giver_id": _("Giver"),
        "receiver_id": _("Receiver"),
        "thanked_id": _("Thanked"),
        "reporter_id": _("Reported by"),
        "given_on": _("Date"),
        "closed_on": _("Date"),
        "kind": _("Kind"),
        "hotness": _("Hotness"),
        "sphere": _("Sphere"),
        "prospect_name": _("Contact name"),
        "prospect_phone": _("Contact phone"),
        "prospect_email": _("Contact e-mail"),
        "note": _("Note"),
        "status": _("Status"),
        "referral_id": _("For referral"),
        "amount_minor": _("Amount"),
        "currency": _("Currency"),
        "void_reason": _("Reason"),
    }


def _action_labels() -> dict[str, str]:
    """Translated names of the audit actions."""
    return {
        "create": _("entered"),
        "edit": _("corrected"),
        "status": _("status changed"),
        "void": _("voided"),
        "import": _("imported"),
        "correct": _("corrected after the week was locked"),
    }


def _history(circle: Circle, entity: str, entity_id: int) -> list[HistoryRow]:
    """The audit entries of one slip, with names, dates and amounts made readable."""
    entries = audit.history(circle.id, entity, entity_id)
    ids = set()
    for entry in entries:
        for values in (entry.before or {}, entry.after or {}):
            ids.update(values.get(name) for name in MEMBER_FIELDS)
    names = {i: m.user.name for i, m in services.members_by_id(circle, ids).items()}
    labels, actions = _field_labels(), _action_labels()
    rows = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        currency = after.get("currency") or before.get("currency") or circle.currency
        changes = []
        for name in [k for k in labels if k in before or k in after]:
            old = _shown(name, before.get(name), names, currency) if name in before else ""
            new = _shown(name, after.get(name), names, currency) if name in after else ""
            if entry.action == "create" and not new:
                continue
            changes.append(Change(labels[name], old, new))
        rows.append(
            HistoryRow(
                actor=entry.actor.name if entry.actor else _("unknown"),
                at=entry.created_at,
                action=actions.get(entry.action, entry.action),
                changes=changes,
            )
        )
    return rows


def _shown(name: str, value, names: dict[int, str], currency: str) -> str:
    """One audited value as text for the history."""
    if value is None or value == "":
        return ""
    if name in MEMBER_FIELDS:
        return names.get(value, "#" + str(value))
    if name in ("given_on", "closed_on"):
        day = _parse_day(str(value))
        return format_date(day, "medium") if day else str(value)
    if name == "amount_minor":
        return format_money(int(value), currency, _locale())
    if name == "status":
        return services.status_label(value)
    if name == "kind":
        return _label_of(kind_choices() + business_kind_choices(), value)
    if name == "hotness":
        return _label_of(hotness_choices(), value)
    if name == "sphere":
        return _label_of(sphere_choices(), value)
    if name == "referral_id":
        return "#" + str(value)
    return str(value)


# --- the ledger ----------------------------------------------------------------------


@dataclass
class Period:
    """A week or month of the ledger with my totals."""

    first: date
    last: date
    label: str
    url: str | None
    totals: Totals


def _month_start(day: date, months_back: int = 0) -> date:
    """The first day of the month ``months_back`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _periods(circle: Circle, start: date, end: date, by: str) -> list[Period]:
    """The weeks (circle weeks) or months that cover start..end, oldest first."""
    periods = []
    if by == "week":
        first = week_start(circle, start)
        current = week_start(circle, today_for(circle))
        while first <= end:
            # The calendar ends on 9999-12-31: the last week stops there.
            last = first + min(timedelta(days=6), date.max - first)
            label = format_interval(first, last, "yMMMd", locale=_locale())
            url = _week_url(circle, first) if first <= current else None
            periods.append(Period(first, last, label, url, Totals()))
            if last == date.max:
                break
            first = last + timedelta(days=1)
    else:
        first = _month_start(start)
        while first <= end:
            last = first.replace(day=monthrange(first.year, first.month)[1])
            label = format_skeleton("yMMMM", first, locale=_locale())
            periods.append(Period(first, last, label, None, Totals()))
            if last == date.max:
                break
            first = last + timedelta(days=1)
    return periods


def _fold(periods: list[Period], daily: dict[date, Totals]) -> Totals:
    """Add the days into their periods; return the grand total."""
    grand = Totals()
    index = 0
    for day in sorted(daily):
        while index < len(periods) and periods[index].last < day:
            index += 1
        if index == len(periods):
            break
        if day < periods[index].first:
            continue
        for target in (periods[index].totals, grand):
            target.given += daily[day].given
            target.received += daily[day].received
            target.revenue_generated += daily[day].revenue_generated
            target.revenue_received += daily[day].revenue_received
    return grand


@bp.get("/circles/<int:circle_id>/ledger")
@login_required
def ledger(circle_id: int):
    """My ledger per week or month: referrals given and received, revenue both ways."""
    circle, me = _member_of(circle_id)
    form = LedgerForm(request.args)
    today = today_for(circle)
    valid = form.validate()
    by = form.by.data if form.by.data in ("week", "month") else "month"
    end = form.end.data or today
    start = form.start.data or _month_start(end, 11)
    if valid and start > end:
        _add_error(form.start, _("The start must not be after the end."))
        valid = False
    if valid and start < EARLIEST:
        _add_error(
            form.start,
            _("The date cannot be before %(day)s.", day=format_date(EARLIEST)),
        )
        valid = False
    if valid and (end - start).days > MAX_LEDGER_DAYS:
        _add_error(form.end, _("Choose a period of at most ten years."))
        valid = False
    if not valid:
        return render_template(
            "referrals/ledger.html", circle=circle, me=me, form=form, periods=None
        ), INVALID
    form.start.data, form.end.data, form.by.data = start, end, by
    periods = _periods(circle, start, end, by)
    daily = services.daily_totals(circle, me.id, periods[0].first, periods[-1].last)
    grand = _fold(periods, daily)
    return render_template(
        "referrals/ledger.html",
        circle=circle,
        me=me,
        form=form,
        periods=periods,
        grand=grand,
        balance=grand.revenue_generated - grand.revenue_received,
    )
