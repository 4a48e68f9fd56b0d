"""The treasurer's two forms as the dues list offers them: the plan form filled from the
plan in force, and the manual payment form with the members to choose and, for a member
asked for, the next period, the plan's amount and today (amounts as the user types them)."""

from __future__ import annotations

from wtforms import SelectChoice

from circle.core.formats import decimal_text
from circle.core.money import minor_units, to_decimal
from circle.core.weeks import shift, today_for
from circle.dues import services
from circle.dues.forms import ManualPaymentForm, PlanForm
from circle.models import Circle, DuesPlan, Membership
from circle.web.boundary import ui_locale


def payment_defaults(
    circle: Circle,
    form: ManualPaymentForm,
    member_id: int | None,
    plan: DuesPlan | None,
    rows: list[tuple[Membership, services.DuesStatus]],
) -> None:
    """Fill the manual payment form for a member (one of ``rows``, the dues list): the
    period after their paid-through day (or from joining), the plan's amount, paid today."""
    today = today_for(circle)
    form.paid_on.data = today
    found = [(m, s) for m, s in rows if m.id == member_id] if member_id is not None else []
    if not found:
        return
    target, status = found[0]
    form.member.data = target.id
    last = status.paid_through
    if last is not None:
        start = shift(last, 1)
    else:
        joined = target.joined_at or target.created_at
        start = joined.date() if joined else today
    form.period_start.data = start
    if plan is not None:
        form.period_end.data = services.period_end(plan, start)
        form.amount.data = typed_amount(plan.amount_minor, circle.currency)


def typed_amount(amount_minor: int, currency: str) -> str:
    """An amount as a user types it in their locale (``600,00``)."""
    digits = minor_units(currency)
    pattern = "0." + "0" * digits if digits else "0"
    return decimal_text(to_decimal(amount_minor, currency), pattern, ui_locale())


def admin_forms(
    circle: Circle,
    plan,
    rows: list,
    asked_member: int | None,
    plan_form: PlanForm | None,
    payment_form: ManualPaymentForm | None,
) -> tuple[PlanForm, ManualPaymentForm]:
    """The plan form (filled from the plan in force) and the manual payment form (members
    to choose, defaults for ``asked_member``), or the forms that were sent."""
    if plan_form is None:
        plan_form = PlanForm(formdata=None)
        if plan is not None:
            plan_form.amount.data = typed_amount(plan.amount_minor, circle.currency)
            plan_form.interval.data = plan.interval
            plan_form.joining_fee.data = (
                typed_amount(plan.joining_fee_minor, circle.currency)
                if plan.joining_fee_minor
                else ""
            )
            plan_form.grace_days.data = plan.grace_days
            plan_form.stripe_price_id.data = plan.stripe_price_id or ""
    if payment_form is None:
        payment_form = ManualPaymentForm(formdata=None)
        member_choices(payment_form, rows)
        payment_defaults(circle, payment_form, asked_member, plan, rows)
    else:
        member_choices(payment_form, rows)
    return plan_form, payment_form


def member_choices(form: ManualPaymentForm, rows) -> None:
    """The members a payment can be recorded for (the circle's active members)."""
    form.member.choices = [SelectChoice(m.id, m.user.name) for m, _s in rows]
