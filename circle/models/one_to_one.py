"""One-to-ones (two members met) and education credits (CEU) of a circle's members."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime
from circle.models.meeting import member_fk
from circle.models.membership import Membership


class OneToOne(Base):
    """Two members met; stored once per pair and day with the lower membership id first."""

    __tablename__ = "one_to_ones"
    __table_args__ = (
        UniqueConstraint("circle_id", "id", name="uq_one_to_ones_circle_id_id"),
        UniqueConstraint(
            "circle_id",
            "member_a_id",
            "member_b_id",
            "met_on",
            name="uq_one_to_ones_circle_id_member_a_id_member_b_id_met_on",
        ),
        UniqueConstraint("circle_id", "source_key", name="uq_one_to_ones_circle_id_source_key"),
        member_fk("member_a_id", "one_to_ones"),
        member_fk("member_b_id", "one_to_ones"),
        ForeignKeyConstraint(
            ["circle_id", "import_id"],
            ["imports.circle_id", "imports.id"],
            name="fk_one_to_ones_import_id_imports",
        ),
        CheckConstraint("member_a_id < member_b_id", name="ordered_pair"),
        CheckConstraint("(voided_at IS NULL) = (void_reason IS NULL)", name="void_reason"),
        Index("ix_one_to_ones_circle_id_met_on", "circle_id", "met_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    member_a_id: Mapped[int] = mapped_column()
    member_b_id: Mapped[int] = mapped_column()
    met_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(500))
    source_key: Mapped[str | None] = mapped_column(String(64))
    import_id: Mapped[int | None] = mapped_column()

    member_a: Mapped[Membership] = relationship(
        foreign_keys=[circle_id, member_a_id], viewonly=True, lazy="joined"
    )
    member_b: Mapped[Membership] = relationship(
        foreign_keys=[circle_id, member_b_id], viewonly=True, lazy="joined"
    )


class EducationCredit(Base):
    """A member's education credit (CEU): what they learned and for how long."""

    __tablename__ = "education_credits"
    __table_args__ = (
        UniqueConstraint("circle_id", "id", name="uq_education_credits_circle_id_id"),
        UniqueConstraint(
            "circle_id", "source_key", name="uq_education_credits_circle_id_source_key"
        ),
        member_fk("membership_id", "education_credits"),
        ForeignKeyConstraint(
            ["circle_id", "import_id"],
            ["imports.circle_id", "imports.id"],
            name="fk_education_credits_import_id_imports",
        ),
        CheckConstraint("minutes BETWEEN 1 AND 1440", name="minutes"),
        CheckConstraint("(voided_at IS NULL) = (void_reason IS NULL)", name="void_reason"),
        Index(
            "ix_education_credits_circle_id_membership_id_completed_on",
            "circle_id",
            "membership_id",
            "completed_on",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    membership_id: Mapped[int] = mapped_column()
    topic: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column()
    completed_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(500))
    source_key: Mapped[str | None] = mapped_column(String(64))
    import_id: Mapped[int | None] = mapped_column()

    member: Mapped[Membership] = relationship(
        foreign_keys=[circle_id, membership_id], viewonly=True, lazy="joined"
    )
