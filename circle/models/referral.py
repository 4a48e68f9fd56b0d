"""Referral slips and closed business (TYFCB): what members give and what it earned.

Both tables carry ``circle_id`` in every foreign key to memberships, so a slip can never
join members of two circles. Nothing is deleted: a wrong entry is voided with a reason.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime
from circle.models.external import ExternalParty
from circle.models.membership import Membership

REFERRAL_KINDS = ("inside", "outside")
SPHERES = ("private", "professional", "local", "interests")
REFERRAL_STATUSES = ("new", "contacted", "won", "lost")
BUSINESS_KINDS = ("new", "repeat")


def _in(column: str, values: tuple[str, ...]) -> str:
    """SQL ``column IN ('a', 'b')`` for a CHECK constraint."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _member_fk(column: str, table: str) -> ForeignKeyConstraint:
    """A composite foreign key ``(circle_id, column) -> memberships(circle_id, id)``."""
    return ForeignKeyConstraint(
        ["circle_id", column],
        ["memberships.circle_id", "memberships.id"],
        name=f"fk_{table}_{column}_memberships",
    )


def _external_fk(column: str, table: str) -> ForeignKeyConstraint:
    """A composite foreign key ``(circle_id, column) -> external_parties(circle_id, id)``."""
    return ForeignKeyConstraint(
        ["circle_id", column],
        ["external_parties.circle_id", "external_parties.id"],
        name=f"fk_{table}_{column}_external_parties",
    )


class Referral(Base):
    """A slip: giver → receiver, inside or outside, hotness 1 to 5, status set by the receiver."""

    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("circle_id", "id", name="uq_referrals_circle_id_id"),
        UniqueConstraint("circle_id", "source_key", name="uq_referrals_circle_id_source_key"),
        _member_fk("giver_id", "referrals"),
        _member_fk("receiver_id", "referrals"),
        _external_fk("giver_external_id", "referrals"),
        _external_fk("receiver_external_id", "referrals"),
        ForeignKeyConstraint(
            ["circle_id", "import_id"],
            ["imports.circle_id", "imports.id"],
            name="fk_referrals_import_id_imports",
        ),
        CheckConstraint("(giver_id IS NULL) <> (giver_external_id IS NULL)", name="one_giver"),
        CheckConstraint(
            "(receiver_id IS NULL) <> (receiver_external_id IS NULL)", name="one_receiver"
        ),
        CheckConstraint("giver_id IS NULL OR giver_id <> receiver_id", name="not_self"),
        CheckConstraint(_in("kind", REFERRAL_KINDS), name="kind"),
        CheckConstraint(_in("status", REFERRAL_STATUSES), name="status"),
        CheckConstraint(f"sphere IS NULL OR {_in('sphere', SPHERES)}", name="sphere"),
        CheckConstraint("hotness IS NULL OR hotness BETWEEN 1 AND 5", name="hotness"),
        CheckConstraint("(voided_at IS NULL) = (void_reason IS NULL)", name="void_reason"),
        Index("ix_referrals_circle_id_given_on", "circle_id", "given_on"),
        Index("ix_referrals_circle_id_giver_id_given_on", "circle_id", "giver_id", "given_on"),
        Index(
            "ix_referrals_circle_id_receiver_id_given_on", "circle_id", "receiver_id", "given_on"
        ),
        # My open and my won referrals on the home page, from the index alone (0028).
        Index(
            "ix_referrals_live_by_receiver_status",
            "circle_id",
            "receiver_id",
            "status",
            "id",
            postgresql_where=text("voided_at IS NULL"),
            sqlite_where=text("voided_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    giver_id: Mapped[int | None] = mapped_column()
    receiver_id: Mapped[int | None] = mapped_column()
    giver_external_id: Mapped[int | None] = mapped_column()
    receiver_external_id: Mapped[int | None] = mapped_column()
    given_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8), default="inside")
    hotness: Mapped[int | None] = mapped_column(SmallInteger)
    sphere: Mapped[str | None] = mapped_column(String(16))
    prospect_name: Mapped[str] = mapped_column(String(200), default="")
    prospect_phone: Mapped[str] = mapped_column(String(50), default="")
    prospect_email: Mapped[str] = mapped_column(String(254), default="")
    #: When the prospect details were erased after the circle's retention period.
    prospect_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="new")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(500))
    #: Identifies an imported row so that importing the same file twice adds nothing.
    source_key: Mapped[str | None] = mapped_column(String(64))
    import_id: Mapped[int | None] = mapped_column()

    giver: Mapped[Membership | None] = relationship(
        foreign_keys=[circle_id, giver_id], viewonly=True, lazy="joined"
    )
    receiver: Mapped[Membership | None] = relationship(
        foreign_keys=[circle_id, receiver_id], viewonly=True, lazy="joined"
    )
    giver_external: Mapped[ExternalParty | None] = relationship(
        foreign_keys=[circle_id, giver_external_id], viewonly=True, lazy="joined"
    )
    receiver_external: Mapped[ExternalParty | None] = relationship(
        foreign_keys=[circle_id, receiver_external_id], viewonly=True, lazy="joined"
    )

    @property
    def is_void(self) -> bool:
        """True once the slip was voided (it then counts nowhere)."""
        return self.voided_at is not None


class ClosedBusiness(Base):
    """Revenue the reporter (receiver) earned, credited to the thanked member (the giver)."""

    __tablename__ = "closed_business"
    __table_args__ = (
        UniqueConstraint("circle_id", "id", name="uq_closed_business_circle_id_id"),
        UniqueConstraint("circle_id", "source_key", name="uq_closed_business_circle_id_source_key"),
        _member_fk("thanked_id", "closed_business"),
        _member_fk("reporter_id", "closed_business"),
        _external_fk("thanked_external_id", "closed_business"),
        _external_fk("reporter_external_id", "closed_business"),
        ForeignKeyConstraint(
            ["circle_id", "import_id"],
            ["imports.circle_id", "imports.id"],
            name="fk_closed_business_import_id_imports",
        ),
        ForeignKeyConstraint(
            ["circle_id", "referral_id"],
            ["referrals.circle_id", "referrals.id"],
            name="fk_closed_business_referral_id_referrals",
        ),
        CheckConstraint(
            "(thanked_id IS NULL) <> (thanked_external_id IS NULL)", name="one_thanked"
        ),
        # The reporter may be unknown (BNI's TYFCB rows do not say who thanked).
        CheckConstraint("reporter_id IS NULL OR reporter_external_id IS NULL", name="one_reporter"),
        CheckConstraint("thanked_id IS NULL OR thanked_id <> reporter_id", name="not_self"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("length(currency) = 3", name="currency"),
        CheckConstraint(_in("kind", BUSINESS_KINDS), name="kind"),
        CheckConstraint("(voided_at IS NULL) = (void_reason IS NULL)", name="void_reason"),
        Index("ix_closed_business_circle_id_closed_on", "circle_id", "closed_on"),
        Index(
            "ix_closed_business_circle_id_thanked_id_closed_on",
            "circle_id",
            "thanked_id",
            "closed_on",
        ),
        Index(
            "ix_closed_business_circle_id_reporter_id_closed_on",
            "circle_id",
            "reporter_id",
            "closed_on",
        ),
        # "Won, not yet thanked for" asks whether a referral has closed business.
        Index("ix_closed_business_circle_id_referral_id", "circle_id", "referral_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    thanked_id: Mapped[int | None] = mapped_column()
    reporter_id: Mapped[int | None] = mapped_column()
    thanked_external_id: Mapped[int | None] = mapped_column()
    reporter_external_id: Mapped[int | None] = mapped_column()
    referral_id: Mapped[int | None] = mapped_column()
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    closed_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8), default="new")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(500))
    source_key: Mapped[str | None] = mapped_column(String(64))
    import_id: Mapped[int | None] = mapped_column()

    thanked: Mapped[Membership | None] = relationship(
        foreign_keys=[circle_id, thanked_id], viewonly=True, lazy="joined"
    )
    reporter: Mapped[Membership | None] = relationship(
        foreign_keys=[circle_id, reporter_id], viewonly=True, lazy="joined"
    )
    thanked_external: Mapped[ExternalParty | None] = relationship(
        foreign_keys=[circle_id, thanked_external_id], viewonly=True, lazy="joined"
    )
    reporter_external: Mapped[ExternalParty | None] = relationship(
        foreign_keys=[circle_id, reporter_external_id], viewonly=True, lazy="joined"
    )

    @property
    def is_void(self) -> bool:
        """True once the entry was voided."""
        return self.voided_at is not None
