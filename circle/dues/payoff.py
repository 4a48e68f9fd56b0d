"""Does membership pay off? Dues paid vs revenue received through circle referrals.

For a period (``circle.core.periods.Period``) and each member: the dues paid
(payments whose ``paid_on`` lies in the period) and the revenue the member received
through referrals (closed business the member reported, not voided, closed in the
period). One statement for the members and both sums, whatever the size of the circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import select

from circle.core.periods import Period
from circle.db import sum_where
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


def payoff(circle: Circle, period: Period, only: Membership | None = None) -> list[Payoff]:
    """Dues vs referral revenue in the period for every active member (or ``only`` one),
    by name: one statement, each member with their two sums as scalar subqueries.

    Dues are the payments whose ``paid_on`` lies in the period; revenue is the closed
    business the member reported as received in the period, voids excluded.
    """
    paid = sum_where(
        Payment.amount_minor,
        Payment.circle_id == Membership.circle_id,
        Payment.membership_id == Membership.id,
        Payment.paid_on >= period.start,
        Payment.paid_on <= period.end,
    )
    revenue = sum_where(
        ClosedBusiness.amount_minor,
        ClosedBusiness.circle_id == Membership.circle_id,
        ClosedBusiness.reporter_id == Membership.id,
        ClosedBusiness.voided_at.is_(None),
        ClosedBusiness.closed_on >= period.start,
        ClosedBusiness.closed_on <= period.end,
    )
    query = select(Membership, paid, revenue).where(
        Membership.circle_id == circle.id, Membership.status == "active"
    )
    if only is not None:
        query = query.where(Membership.id == only.id)
    rows = [Payoff(m, int(dues), int(earned)) for m, dues, earned in db.session.execute(query)]
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
