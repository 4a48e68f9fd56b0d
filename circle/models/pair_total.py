"""Running totals of what flowed between two parties of a circle, over its whole history.

One row per circle, kind and ordered pair: ``referral`` rows count the live (not voided)
referrals from ``source`` (the giver) to ``target`` (the receiver); ``business`` rows sum
the live closed business credited to ``source`` (the thanked member) and reported by
``target`` (who earned it). A side that is no member of the circle (an external party, an
unknown reporter) is NULL, exactly as the slips group it; ``source_key`` and ``target_key``
repeat the ids with 0 for NULL so that the row of a pair is unique (NULLs never are).

The balance over the whole history reads these few hundred rows instead of every slip
(``circle.balance.totals``). They are kept in the same transaction as every slip written,
corrected or voided, and rebuilt from the slips by ``flask circle rebuild-balance-totals``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from circle.db import Base

PAIR_TOTAL_KINDS = ("referral", "business")


class PairTotal(Base):
    """What one party gave another in a circle, all time: a count and an amount."""

    __tablename__ = "pair_totals"
    __table_args__ = (
        UniqueConstraint(
            "circle_id",
            "kind",
            "source_key",
            "target_key",
            name="uq_pair_totals_circle_id_kind_source_key_target_key",
        ),
        ForeignKeyConstraint(
            ["circle_id", "source_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_pair_totals_source_id_memberships",
        ),
        ForeignKeyConstraint(
            ["circle_id", "target_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_pair_totals_target_id_memberships",
        ),
        CheckConstraint("kind IN ('referral', 'business')", name="kind"),
        CheckConstraint("source_key = coalesce(source_id, 0)", name="source_key"),
        CheckConstraint("target_key = coalesce(target_id, 0)", name="target_key"),
        CheckConstraint("entries >= 0", name="entries"),
        CheckConstraint("amount_minor >= 0", name="amount"),
        CheckConstraint("kind = 'business' OR amount_minor = 0", name="referral_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    kind: Mapped[str] = mapped_column(String(8))
    source_id: Mapped[int | None] = mapped_column()
    target_id: Mapped[int | None] = mapped_column()
    source_key: Mapped[int] = mapped_column()
    target_key: Mapped[int] = mapped_column()
    #: Live slips of the pair (referrals, or closed-business reports).
    entries: Mapped[int] = mapped_column(default=0)
    #: Their amounts in the circle's minor units (business only; 0 for referrals).
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)

    def __repr__(self) -> str:
        return (
            f"<PairTotal {self.circle_id} {self.kind} {self.source_id}->{self.target_id} "
            f"{self.entries} {self.amount_minor}>"
        )


class MemberMonth(Base):
    """A member's live slips of one calendar month (``month``: its first day): referrals
    given and received, and the closed business credited to them (generated) and reported
    by them (received). The ledger by month reads these rows, a dozen a year, instead of
    every slip; kept in the slip's own transaction like ``PairTotal``."""

    __tablename__ = "member_months"
    __table_args__ = (
        ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_member_months_membership_id_memberships",
        ),
        CheckConstraint("given >= 0", name="given"),
        CheckConstraint("received >= 0", name="received"),
        CheckConstraint("revenue_generated >= 0", name="revenue_generated"),
        CheckConstraint("revenue_received >= 0", name="revenue_received"),
    )

    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"), primary_key=True)
    membership_id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    given: Mapped[int] = mapped_column(default=0)
    received: Mapped[int] = mapped_column(default=0)
    revenue_generated: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue_received: Mapped[int] = mapped_column(BigInteger, default=0)
