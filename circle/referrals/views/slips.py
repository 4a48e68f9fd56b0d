"""One referral slip and one closed-business slip: the page, corrections, status, void."""

from __future__ import annotations

from http import HTTPStatus

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from circle.circles.access import members_by_id, roster_names
from circle.core.checks import EARLIEST
from circle.core.money import parse_amount
from circle.core.weeks import today_for, week_start
from circle.models import Circle, ClosedBusiness, Membership, Referral
from circle.referrals import reading, services
from circle.referrals.forms import (
    EDIT_PREFIX,
    VOID_PREFIX,
    CorrectBusinessForm,
    CorrectReferralForm,
    StatusForm,
    VoidForm,
    receiver_choices,
    referral_choices,
)
from circle.referrals.views.common import (
    amount_text,
    bp,
    business_input,
    day_label,
    referral_input,
    week_url,
)
from circle.referrals.views.history import slip_history
from circle.web.boundary import (
    attempt,
    circle_page,
    form_error,
    redirect_next,
    ui_locale,
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
    may_edit = reading.may_correct_referral(me, referral)
    if edit_form is None and may_edit:
        edit_form = _correct_referral_form(circle, me, formdata=None, obj=referral)
    page = render_template(
        "referrals/referral.html",
        circle=circle,
        me=me,
        referral=referral,
        history=slip_history(circle, "referral", referral.id),
        may_edit=may_edit,
        may_void=reading.may_void_referral(me, referral),
        may_set_status=reading.may_set_status(me, referral),
        edit_form=edit_form,
        void_form=void_form or VoidForm(formdata=None, prefix=VOID_PREFIX),
        status_form=StatusForm(formdata=None),
        action_error=action_error,
        week_url=week_url(circle, week_start(circle, referral.given_on)),
    )
    return page, status


def _correct_referral_form(circle: Circle, me: Membership, **kwargs) -> CorrectReferralForm:
    """The correction form of a referral with its choices."""
    form = CorrectReferralForm(prefix=EDIT_PREFIX, **kwargs)
    members = roster_names(circle.id)
    form.set_choices(receiver_choices(members), today_for(circle))
    form.giver_id.choices = form.receiver_id.choices[1:]
    return form


@bp.get("/circles/<int:circle_id>/referrals/<int:referral_id>")
@circle_page()
def referral(circle: Circle, me: Membership, referral_id: int):
    """A referral slip: details and history (the members involved and admins only)."""
    slip = reading.visible_referral(circle, me, referral_id)
    return _referral_page(circle, me, slip)


@bp.post("/circles/<int:circle_id>/referrals/<int:referral_id>/edit")
@circle_page()
def correct_referral(circle: Circle, me: Membership, referral_id: int):
    """Correct a referral (its giver or an admin); the change is audited."""
    slip = reading.visible_referral(circle, me, referral_id)
    form = _correct_referral_form(circle, me)
    if not form.validate_on_submit():
        return _referral_page(
            circle, me, slip, edit_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    data = referral_input(form, form.giver_id.data if me.is_admin else None)
    _result, error = attempt(lambda: services.correct_referral(circle, me, referral_id, data))
    if error is not None:
        form_error(form, error)
        slip = reading.visible_referral(circle, me, referral_id)
        return _referral_page(circle, me, slip, edit_form=form, status=error.status)
    flash(_("The referral was corrected."), "success")
    return redirect(url_for("referrals.referral", circle_id=circle.id, referral_id=referral_id))


@bp.post("/circles/<int:circle_id>/referrals/<int:referral_id>/status")
@circle_page()
def set_status(circle: Circle, me: Membership, referral_id: int):
    """Move a received referral on: contacted, won or lost."""
    slip = reading.visible_referral(circle, me, referral_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _referral_page(circle, me, slip, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    wanted = form.status.data or ""
    result, error = attempt(lambda: services.set_status(circle, me, referral_id, wanted))
    if error is not None:
        slip = reading.visible_referral(circle, me, referral_id)
        return _referral_page(circle, me, slip, action_error=error.message, status=error.status)
    flash(
        _("The referral is now: %(status)s.", status=reading.status_label(result.status)),
        "success",
    )
    return redirect_next("referrals.referral", circle_id=circle.id, referral_id=referral_id)


@bp.post("/circles/<int:circle_id>/referrals/<int:referral_id>/void")
@circle_page()
def void_referral(circle: Circle, me: Membership, referral_id: int):
    """Void a referral with a reason; it stays visible, struck through, and counts nowhere."""
    slip = reading.visible_referral(circle, me, referral_id)
    form = VoidForm(prefix=VOID_PREFIX)
    if not form.validate_on_submit():
        return _referral_page(
            circle, me, slip, void_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    reason = form.reason.data or ""
    _result, error = attempt(lambda: services.void_referral(circle, me, referral_id, reason))
    if error is not None:
        form_error(form, error)
        slip = reading.visible_referral(circle, me, referral_id)
        return _referral_page(circle, me, slip, void_form=form, status=error.status)
    flash(_("The referral was voided."), "success")
    return redirect(url_for("referrals.referral", circle_id=circle.id, referral_id=referral_id))


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
    may_edit = reading.may_correct_business(me, business)
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
        history=slip_history(circle, "closed_business", business.id),
        may_edit=may_edit,
        may_void=reading.may_void_business(me, business),
        edit_form=edit_form,
        void_form=void_form or VoidForm(formdata=None, prefix=VOID_PREFIX),
        week_url=week_url(circle, week_start(circle, business.closed_on)),
    )
    return page, status


def _correct_business_form(
    circle: Circle, me: Membership, business: ClosedBusiness, **kwargs
) -> CorrectBusinessForm:
    """The correction form of closed business with its choices."""
    form = CorrectBusinessForm(prefix=EDIT_PREFIX, **kwargs)
    members = roster_names(circle.id)
    reporter = members_by_id(circle.id, {business.reporter_id}).get(business.reporter_id)
    linkable = reading.received_for_linking(circle, reporter, EARLIEST) if reporter else []
    if business.referral_id is not None and business.referral_id not in {r.id for r in linkable}:
        linkable.append(reading.Linkable.of(reading.referral_in(circle, business.referral_id)))
    form.set_choices(members, referral_choices(linkable, day_label), today_for(circle))
    form.reporter_id.choices = form.giver_id.choices[1:]
    return form


@bp.get("/circles/<int:circle_id>/closed-business/<int:business_id>")
@circle_page()
def business(circle: Circle, me: Membership, business_id: int):
    """A closed business: details and history (the members involved and admins only)."""
    entry = reading.visible_business(circle, me, business_id)
    return _business_page(circle, me, entry)


@bp.post("/circles/<int:circle_id>/closed-business/<int:business_id>/edit")
@circle_page()
def correct_business(circle: Circle, me: Membership, business_id: int):
    """Correct closed business (its reporter or an admin); the change is audited."""
    entry = reading.visible_business(circle, me, business_id)
    form = _correct_business_form(circle, me, entry)
    if not form.validate_on_submit():
        return _business_page(
            circle, me, entry, edit_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    reporter_id = form.reporter_id.data if me.is_admin else None

    def correct() -> ClosedBusiness:
        amount = parse_amount(form.amount.data, circle.currency, ui_locale())
        data = business_input(form, amount, reporter_id)
        return services.correct_business(circle, me, business_id, data)

    _result, error = attempt(correct)
    if error is not None:
        form_error(form, error)
        entry = reading.visible_business(circle, me, business_id)
        return _business_page(circle, me, entry, edit_form=form, status=error.status)
    flash(_("The closed business was corrected."), "success")
    return redirect(url_for("referrals.business", circle_id=circle.id, business_id=business_id))


@bp.post("/circles/<int:circle_id>/closed-business/<int:business_id>/void")
@circle_page()
def void_business(circle: Circle, me: Membership, business_id: int):
    """Void closed business with a reason; it then counts nowhere."""
    entry = reading.visible_business(circle, me, business_id)
    form = VoidForm(prefix=VOID_PREFIX)
    if not form.validate_on_submit():
        return _business_page(
            circle, me, entry, void_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    reason = form.reason.data or ""
    _result, error = attempt(lambda: services.void_business(circle, me, business_id, reason))
    if error is not None:
        form_error(form, error)
        entry = reading.visible_business(circle, me, business_id)
        return _business_page(circle, me, entry, void_form=form, status=error.status)
    flash(_("The closed business was voided."), "success")
    return redirect(url_for("referrals.business", circle_id=circle.id, business_id=business_id))
