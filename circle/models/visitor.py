"""Visitors to a circle's meetings, credited to the member who invited them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime
from circle.models.meeting import Meeting, meeting_fk, member_fk
from circle.models.membership import Membership


class Visitor(Base):
    """A guest (not a user) who visits meetings; may later become an applicant."""

    __tablename__ = "visitors"
    __table_args__ = (
        UniqueConstraint("circle_id", "id", name="uq_visitors_circle_id_id"),
        member_fk("invited_by_id", "visitors"),
        member_fk("applicant_id", "visitors"),
        Index("ix_visitors_circle_id_invited_by_id", "circle_id", "invited_by_id"),
        # The visitors page's keyset pages, newest first (migration 0015).
        Index("ix_visitors_circle_id_created_at_id", "circle_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200), default="")
    profession_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    #: The member credited with the invitation.
    invited_by_id: Mapped[int | None] = mapped_column()
    #: The membership (status applicant …) this visitor was turned into.
    applicant_id: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    invited_by: Mapped[Membership | None] = relationship(
        foreign_keys=[circle_id, invited_by_id], viewonly=True, lazy="joined"
    )


class VisitorVisit(Base):
    """One visit of a visitor at one meeting of the same circle."""

    __tablename__ = "visitor_visits"
    __table_args__ = (
        UniqueConstraint(
            "visitor_id",
            "meeting_id",
            "circle_id",
            name="uq_visitor_visits_visitor_id_meeting_id_circle_id",
        ),
        ForeignKeyConstraint(
            ["circle_id", "visitor_id"],
            ["visitors.circle_id", "visitors.id"],
            name="fk_visitor_visits_visitor_id_visitors",
        ),
        meeting_fk("visitor_visits"),
        Index("ix_visitor_visits_circle_id_meeting_id", "circle_id", "meeting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    visitor_id: Mapped[int] = mapped_column()
    meeting_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    visitor: Mapped[Visitor] = relationship(
        foreign_keys=[circle_id, visitor_id], viewonly=True, lazy="joined"
    )
    meeting: Mapped[Meeting] = relationship(
        foreign_keys=[circle_id, meeting_id], viewonly=True, lazy="joined"
    )
