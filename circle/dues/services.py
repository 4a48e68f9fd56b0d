"""Dues: the plan, payments (Stripe or by hand) and each member's status.

A member's status on a day:
- ``paid`` while the day is within a paid period (``paid_through`` is the last day paid),
- ``grace`` for ``plan.grace_days`` after that (or after joining, when nothing was paid),
- ``overdue`` afterwards. An overdue member is flagged for the admins, never removed.
Without a plan there are no dues (``no_plan``). ``today`` is passed in, so the status can
be computed for any day (the tests move the clock that way).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import lazyload

from circle.auditlog import record as audit
from circle.core.clock import utcnow
from circle.core.errors import ValidationFailed
from circle.core.weeks import today_for
from circle.extensions import db
from circle.membership.services import member_in_circle
from circle.models import Circle, DuesPlan, DuesSubscription, Membership, Payment
from circle.roles.permissions import require

MAX_GRACE_DAYS = 90


@dataclass(frozen=True)
class PlanInput:
    """A dues plan as entered by an admin; amounts in minor units of the circle currency."""

    amount_minor: int
    interval: str = "year"
    joining_fee_minor: int = 0
    grace_days: int = 14
    stripe_price_id: str | None = None


@dataclass(frozen=True)
class DuesStatus:
    """Where a member stands on a given day."""

    state: str  # paid | grace | overdue | no_plan
    paid_through: date | None
    due_since: date | None  # the first unpaid day, when not paid


def current_plan(circle: Circle) -> DuesPlan | None:
    """The plan in force for a circle, if any."""
    return db.session.execute(_plan_statement(), {"dues_circle": circle.id}).scalar_one_or_none()


@cache
def _plan_statement() -> Select:
    """The statement of ``current_plan`` (built once per process)."""
    return select(DuesPlan).where(
        DuesPlan.circle_id == bindparam("dues_circle"), DuesPlan.archived_at.is_(None)
    )


def set_plan(circle: Circle, actor: Membership, data: PlanInput) -> DuesPlan:
    """Put a new plan in force (``manage_dues``); the previous one is archived, not deleted."""
    require(actor, "manage_dues")
    if not isinstance(data.amount_minor, int) or data.amount_minor <= 0:
        raise ValidationFailed(_("The amount must be greater than zero."), field="amount")
    if data.interval not in ("month", "year"):
        raise ValidationFailed(_("Choose monthly or yearly."), field="interval")
    if not isinstance(data.joining_fee_minor, int) or data.joining_fee_minor < 0:
        raise ValidationFailed(_("The joining fee cannot be negative."), field="joining_fee")
    if not isinstance(data.grace_days, int) or not 0 <= data.grace_days <= MAX_GRACE_DAYS:
        raise ValidationFailed(
            _("The grace period is 0 to %(n)s days.", n=MAX_GRACE_DAYS), field="grace_days"
        )
    old = current_plan(circle)
    if old is not None:
        old.archived_at = utcnow()
        db.session.flush()
    plan = DuesPlan(
        circle_id=circle.id,
        amount_minor=data.amount_minor,
        currency=circle.currency,
        interval=data.interval,
        joining_fee_minor=data.joining_fee_minor,
        grace_days=data.grace_days,
        stripe_price_id=data.stripe_price_id,
    )
    db.session.add(plan)
    db.session.flush()
    audit.record(
        circle.id,
        "dues_plan",
        plan.id,
        "create",
        actor.user,
        after=audit.snapshot(
            plan,
            (
                "amount_minor",
                "currency",
                "interval",
                "joining_fee_minor",
                "grace_days",
                "stripe_price_id",
            ),
        ),
    )
    return plan


def period_end(plan: DuesPlan, start: date) -> date:
    """The last day of the dues period that starts on ``start`` (at most the calendar's last)."""
    months = 1 if plan.interval == "month" else 12
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    if year > date.max.year:
        return date.max
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day) - timedelta(days=1)


def record_manual_payment(
    circle: Circle,
    actor: Membership,
    membership_id: int,
    amount_minor: int,
    period_start: date,
    period_end_day: date,
    paid_on: date,
    reference: str = "",
    note: str = "",
) -> Payment:
    """Record a bank transfer or cash payment (``manage_dues``); it counts like a Stripe payment."""
    require(actor, "manage_dues")
    member = member_in_circle(circle.id, membership_id)
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValidationFailed(_("The amount must be greater than zero."), field="amount")
    if period_end_day < period_start:
        raise ValidationFailed(_("The period cannot end before it starts."), field="period_end")
    if paid_on > today_for(circle):
        raise ValidationFailed(_("The date cannot be in the future."), field="paid_on")
    if len(reference) > 200 or len(note) > 2000:
        raise ValidationFailed(_("At most %(n)s characters, please.", n=200), field="reference")
    plan = current_plan(circle)
    payment = Payment(
        circle_id=circle.id,
        membership_id=member.id,
        plan_id=plan.id if plan else None,
        source="manual",
        amount_minor=amount_minor,
        currency=circle.currency,
        period_start=period_start,
        period_end=period_end_day,
        paid_on=paid_on,
        reference=reference.strip(),
        note=note.strip(),
        recorded_by_id=actor.user_id,
    )
    db.session.add(payment)
    db.session.flush()
    audit.record(
        circle.id,
        "payment",
        payment.id,
        "create",
        actor.user,
        after=audit.snapshot(
            payment,
            (
                "membership_id",
                "amount_minor",
                "currency",
                "period_start",
                "period_end",
                "paid_on",
                "reference",
            ),
        ),
    )
    return payment


def paid_through(circle: Circle, membership_ids: list[int] | None = None) -> dict[int, date]:
    """The last paid day per member (one GROUP BY query)."""
    values = {"dues_circle": circle.id}
    if membership_ids is not None:
        values["dues_members"] = membership_ids
    statement = _paid_through_statement(membership_ids is not None)
    return dict(db.session.execute(statement, values).all())


@cache
def _paid_through_statement(of_members: bool) -> Select:
    """The statement of ``paid_through``, for every member or for some (built once each)."""
    query = (
        select(Payment.membership_id, func.max(Payment.period_end))
        .where(Payment.circle_id == bindparam("dues_circle"))
        .group_by(Payment.membership_id)
    )
    if of_members:
        query = query.where(Payment.membership_id.in_(bindparam("dues_members", expanding=True)))
    return query


def status_of(
    plan: DuesPlan | None, member: Membership, last_paid: date | None, today: date
) -> DuesStatus:
    """A member's dues status on ``today`` (pure: no database access)."""
    if plan is None:
        return DuesStatus("no_plan", last_paid, None)
    if last_paid is not None and today <= last_paid:
        return DuesStatus("paid", last_paid, None)
    if last_paid is not None:
        due = last_paid + timedelta(days=1)
    else:
        joined = member.joined_at or member.created_at
        due = joined.date()
    state = "grace" if today <= due + timedelta(days=plan.grace_days) else "overdue"
    return DuesStatus(state, last_paid, due)


def dues_list(circle: Circle, today: date | None = None) -> list[tuple[Membership, DuesStatus]]:
    """Every active member with their status, by name (two statements for any circle size)."""
    return dues_overview(circle, today)[1]


def dues_overview(
    circle: Circle, today: date | None = None
) -> tuple[DuesPlan | None, list[tuple[Membership, DuesStatus]]]:
    """The plan in force and every active member with their status, by name: two
    statements, the plan and the members with their last paid day (``paid_through``)."""
    today = today or today_for(circle)
    plan = current_plan(circle)
    found = db.session.execute(_overview_statement(), {"dues_circle": circle.id}).all()
    rows = [(m, status_of(plan, m, last, today)) for m, last in found]
    return plan, sorted(rows, key=lambda row: row[0].user.name.casefold())


@cache
def _overview_statement() -> Select:
    """The members' statement of ``dues_overview`` (built once per process)."""
    last_paid = (
        select(func.max(Payment.period_end))
        .where(Payment.circle_id == Membership.circle_id, Payment.membership_id == Membership.id)
        .scalar_subquery()
    )
    return (
        select(Membership, last_paid)
        .where(Membership.circle_id == bindparam("dues_circle"), Membership.status == "active")
        .options(lazyload(Membership.circle))  # the circle asked about, in the session
    )


def payments_of(circle: Circle, membership_id: int) -> list[Payment]:
    """A member's payments, newest period first."""
    values = {"dues_circle": circle.id, "dues_member": membership_id}
    return list(db.session.execute(_payments_statement(), values).scalars())


@cache
def _payments_statement() -> Select:
    """The statement of ``payments_of`` (built once per process)."""
    return (
        select(Payment)
        .where(
            Payment.circle_id == bindparam("dues_circle"),
            Payment.membership_id == bindparam("dues_member"),
        )
        .order_by(Payment.period_end.desc(), Payment.id.desc())
        # One member's payments: that member is not joined again on every row.
        .options(lazyload(Payment.membership))
    )


#: Subscription states in which the member must not start a second subscription.
RUNNING_SUBSCRIPTION = ("active", "trialing", "past_due", "processing", "incomplete")


def subscription_of(circle: Circle, membership_id: int) -> DuesSubscription | None:
    """The member's Stripe subscription record, if they ever went through Checkout."""
    values = {"dues_circle": circle.id, "dues_member": membership_id}
    return db.session.execute(_subscription_statement(), values).scalar_one_or_none()


@cache
def _subscription_statement() -> Select:
    """The statement of ``subscription_of`` (built once per process)."""
    return select(DuesSubscription).where(
        DuesSubscription.circle_id == bindparam("dues_circle"),
        DuesSubscription.membership_id == bindparam("dues_member"),
    )
