"""A membership: one user holding (or asking for) one profession's seat in one circle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime
from circle.models.circle import Circle
from circle.models.profession import Profession
from circle.models.user import User

ROLES = ("member", "admin")
MEMBERSHIP_STATUSES = (
    "invited",
    "applicant",
    "waitlisted",
    "active",
    "left",
    "removed",
    "declined",
)
#: Statuses in which a user is (or wants to be) part of a circle: one per user and circle.
LIVE_STATUSES = ("invited", "applicant", "waitlisted", "active")

_live_sql = "status IN ('invited', 'applicant', 'waitlisted', 'active')"


def _quoted(values: tuple[str, ...]) -> str:
    """Render a tuple of strings as an SQL list for CHECK constraints."""
    return ", ".join(f"'{v}'" for v in values)


class Membership(Base):
    """A seat (when active) or a request for one; never deleted, only ended."""

    __tablename__ = "memberships"
    __table_args__ = (
        # Target of the composite foreign keys of every circle-owned table.
        UniqueConstraint("circle_id", "id", name="uq_memberships_circle_id_id"),
        CheckConstraint(f"role IN ({_quoted(ROLES)})", name="role"),
        CheckConstraint(f"status IN ({_quoted(MEMBERSHIP_STATUSES)})", name="status"),
        CheckConstraint(
            "(status IN ('left', 'removed', 'declined')) = (ended_at IS NOT NULL)",
            name="ended_at",
        ),
        # A decided decline carries its reason (the applicant is told why).
        CheckConstraint(
            "decided_at IS NULL OR status <> 'declined' OR decision_reason <> ''",
            name="decline_reason",
        ),
        # Only an admin may sit without a profession (an organiser holding no seat).
        CheckConstraint("profession_id IS NOT NULL OR role = 'admin'", name="profession"),
        # One active seat per profession and circle.
        Index(
            "uq_memberships_active_profession",
            "circle_id",
            "profession_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        # One live membership per user and circle.
        Index(
            "uq_memberships_live_user",
            "circle_id",
            "user_id",
            unique=True,
            sqlite_where=text(_live_sql),
            postgresql_where=text(_live_sql),
        ),
        # An applicant's sponsor is a member of the same circle.
        ForeignKeyConstraint(
            ["circle_id", "sponsor_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_memberships_sponsor_id_memberships",
        ),
        ForeignKeyConstraint(
            ["circle_id", "decided_by_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_memberships_decided_by_id_memberships",
        ),
        # The calendar feed's URL carries only the token: the hash leads.
        Index(
            "uq_memberships_calendar_token_hash_circle_id",
            "calendar_token_hash",
            "circle_id",
            unique=True,
        ),
        Index("ix_memberships_user_id", "user_id"),
        Index("ix_memberships_circle_id_status", "circle_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    profession_id: Mapped[int | None] = mapped_column(ForeignKey("professions.id"))
    role: Mapped[str] = mapped_column(String(16), default="member")
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When a freed seat was offered to this waitlisted user.
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Application: the member who vouches for the applicant, and their short answers.
    sponsor_id: Mapped[int | None] = mapped_column()
    application_answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Which member decided an application, when, and why (the reason is required for a decline).
    decided_by_id: Mapped[int | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    #: SHA-256 of the secret token in the member's calendar feed URL.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64))

    circle: Mapped[Circle] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    profession: Mapped[Profession | None] = relationship(lazy="joined")

    @property
    def holds_seat(self) -> bool:
        """True when this membership occupies one of the circle's seats."""
        return self.status == "active" and self.profession_id is not None

    @property
    def is_admin(self) -> bool:
        """True for an active member with the admin role."""
        return self.status == "active" and self.role == "admin"

    def __repr__(self) -> str:
        return f"<Membership {self.id} circle={self.circle_id} user={self.user_id} {self.status}>"
