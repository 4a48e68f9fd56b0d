"""Does membership pay off? Dues paid vs revenue received through circle referrals.

For a period (``circle.core.periods.Period``) and each member: the dues paid
(payments whose ``paid_on`` lies in the period) and the revenue the member received
through referrals (closed business the member reported, not voided, closed in the
period). Each side is one GROUP BY query, whatever the size of the circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import func, select

from circle.core.periods import Period
from circle.extensions import db
from circle.models import Circle, ClosedBusiness, Membership, Payment


@dataclass(frozen=True)
class Payoff:
    """One member's dues and referral revenue in a period (minor units)."""

    member: Membership
    dues: int
    revenue: int

    @property
    def difference(self) -> int:
        """Revenue received minus dues paid."""
        return self.revenue - self.dues

    @property
    def ratio(self) -> Fraction | None:
        """Revenue per unit of dues; None when nothing was paid."""
        return Fraction(self.revenue, self.dues) if self.dues else None


@dataclass(frozen=True)
class PaymentSummary:
    """A member's payments in total: the last one and the sum."""

    last_paid_on: date | None
    last_amount: int | None
    total: int


def dues_paid(circle: Circle, period: Period, membership_ids: list[int] | None = None) -> dict:
    """Dues paid per member with ``paid_on`` in the period (one GROUP BY query)."""
    query = (
        select(Payment.membership_id, func.sum(Payment.amount_minor))
        .where(
            Payment.circle_id == circle.id,
            Payment.paid_on >= period.start,
            Payment.paid_on <= period.end,
        )
        .group_by(Payment.membership_id)
    )
    if membership_ids is not None:
        query = query.where(Payment.membership_id.in_(membership_ids))
    return {member_id: int(total) for member_id, total in db.session.execute(query).all()}


def revenue_received(
    circle: Circle, period: Period, membership_ids: list[int] | None = None
) -> dict:
    """Referral revenue each member reported as received in the period, voids excluded
    (one GROUP BY query)."""
    query = (
        select(ClosedBusiness.reporter_id, func.sum(ClosedBusiness.amount_minor))
        .where(
            ClosedBusiness.circle_id == circle.id,
            ClosedBusiness.reporter_id.is_not(None),
            ClosedBusiness.voided_at.is_(None),
            ClosedBusiness.closed_on >= period.start,
            ClosedBusiness.closed_on <= period.end,
        )
        .group_by(ClosedBusiness.reporter_id)
    )
    if membership_ids is not None:
        query = query.where(ClosedBusiness.reporter_id.in_(membership_ids))
    return {member_id: int(total) for member_id, total in db.session.execute(query).all()}


def payoff(circle: Circle, period: Period, members: list[Membership]) -> list[Payoff]:
    """Dues vs referral revenue for the given members, by name."""
    ids = [m.id for m in members]
    paid = dues_paid(circle, period, ids)
    revenue = revenue_received(circle, period, ids)
    rows = [Payoff(m, paid.get(m.id, 0), revenue.get(m.id, 0)) for m in members]
    return sorted(rows, key=lambda row: row.member.user.name.casefold())


def payment_summaries(circle: Circle) -> dict[int, PaymentSummary]:
    """Per member: the most recent payment (by ``paid_on``) and the sum of all payments
    (one query, ordered, folded in Python)."""
    rows = db.session.execute(
        select(Payment.membership_id, Payment.paid_on, Payment.amount_minor)
        .where(Payment.circle_id == circle.id)
        .order_by(Payment.membership_id, Payment.paid_on, Payment.id)
    ).all()
    out: dict[int, PaymentSummary] = {}
    for member_id, paid_on, amount in rows:
        before = out.get(member_id)
        total = (before.total if before else 0) + int(amount)
        out[member_id] = PaymentSummary(paid_on, int(amount), total)
    return out
