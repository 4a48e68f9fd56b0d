"""Weekly meetings, attendance per member, and the lock of each week's report.

Every foreign key to memberships and meetings carries ``circle_id``, so attendance can
never join a meeting of one circle with a member of another.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime
from circle.models.membership import Membership

MEETING_STATUSES = ("scheduled", "cancelled")
#: Present, absent, late, medical, substitute.
ATTENDANCE_CODES = ("P", "A", "L", "M", "S")
#: A member's answer before a meeting: coming, not coming, sending a substitute.
REPLY_ANSWERS = ("yes", "no", "substitute")


def member_fk(column: str, table: str) -> ForeignKeyConstraint:
    """A composite foreign key ``(circle_id, column) -> memberships(circle_id, id)``."""
    return ForeignKeyConstraint(
        ["circle_id", column],
        ["memberships.circle_id", "memberships.id"],
        name=f"fk_{table}_{column}_memberships",
    )


def meeting_fk(table: str) -> ForeignKeyConstraint:
    """A composite foreign key ``(circle_id, meeting_id) -> meetings(circle_id, id)``."""
    return ForeignKeyConstraint(
        ["circle_id", "meeting_id"],
        ["meetings.circle_id", "meetings.id"],
        name=f"fk_{table}_meeting_id_meetings",
    )


class Meeting(Base):
    """One weekly meeting on a day in the circle's time zone; cancelled ones stay listed."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("circle_id", "id", name="uq_meetings_circle_id_id"),
        UniqueConstraint("circle_id", "held_on", name="uq_meetings_circle_id_held_on"),
        CheckConstraint("status IN ('scheduled', 'cancelled')", name="status"),
        CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled"),
        CheckConstraint("duration_minutes BETWEEN 15 AND 480", name="duration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    #: The local day of the meeting.
    held_on: Mapped[date] = mapped_column(Date)
    #: Start as an aware UTC time (from the circle's meeting time and time zone).
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(default=90)
    place: Mapped[str] = mapped_column(String(200), default="")
    video_link: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_cancelled(self) -> bool:
        """True when the meeting does not take place (e.g. a holiday)."""
        return self.status == "cancelled"


class Attendance(Base):
    """A member's attendance at one meeting: P, A, L, M or S (with the substitute's name)."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("circle_id", "id", name="uq_attendance_circle_id_id"),
        UniqueConstraint(
            "meeting_id",
            "membership_id",
            "circle_id",
            name="uq_attendance_meeting_id_membership_id_circle_id",
        ),
        meeting_fk("attendance"),
        member_fk("membership_id", "attendance"),
        CheckConstraint("code IN ('P', 'A', 'L', 'M', 'S')", name="code"),
        CheckConstraint("(code = 'S') = (substitute_name <> '')", name="substitute"),
        CheckConstraint("absence_notice IS NULL OR absence_notice BETWEEN 1 AND 3", name="notice"),
        Index("ix_attendance_circle_id_membership_id", "circle_id", "membership_id"),
        # A window's meetings' attendance from the index alone (scores, trends; 0029).
        Index(
            "ix_attendance_circle_id_meeting_id",
            "circle_id",
            "meeting_id",
            "membership_id",
            "code",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    meeting_id: Mapped[int] = mapped_column()
    membership_id: Mapped[int] = mapped_column()
    code: Mapped[str] = mapped_column(String(1))
    substitute_name: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    #: Which absence mail (1st, 2nd, 3rd) this absence triggered, once.
    absence_notice: Mapped[int | None] = mapped_column()

    meeting: Mapped[Meeting] = relationship(
        foreign_keys=[circle_id, meeting_id], viewonly=True, lazy="joined"
    )
    member: Mapped[Membership] = relationship(
        foreign_keys=[circle_id, membership_id], viewonly=True, lazy="joined"
    )


class WeeklyReport(Base):
    """The lock of one week (starting on the meeting weekday): totals final after it."""

    __tablename__ = "weekly_reports"
    __table_args__ = (
        UniqueConstraint("circle_id", "week_start", name="uq_weekly_reports_circle_id_week_start"),
        member_fk("locked_by_id", "weekly_reports"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    week_start: Mapped[date] = mapped_column(Date)
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_by_id: Mapped[int | None] = mapped_column()


class MeetingReply(Base):
    """A member's answer to "are you coming?" for one meeting (changed, never deleted).

    What the secretary records afterwards is ``Attendance``; the reply only tells the
    circle ahead who will be there. Changes are audited (entity ``meeting_reply``).
    """

    __tablename__ = "meeting_replies"
    __table_args__ = (
        UniqueConstraint("circle_id", "id", name="uq_meeting_replies_circle_id_id"),
        UniqueConstraint(
            "circle_id",
            "meeting_id",
            "membership_id",
            name="uq_meeting_replies_circle_id_meeting_id_membership_id",
        ),
        meeting_fk("meeting_replies"),
        member_fk("membership_id", "meeting_replies"),
        CheckConstraint("answer IN ('yes', 'no', 'substitute')", name="answer"),
        Index("ix_meeting_replies_circle_id_membership_id", "circle_id", "membership_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    meeting_id: Mapped[int] = mapped_column()
    membership_id: Mapped[int] = mapped_column()
    answer: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ReminderSent(Base):
    """One reminder mail per member and week: sending twice is a no-op."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint(
            "membership_id",
            "week_start",
            "circle_id",
            name="uq_reminders_sent_membership_id_week_start_circle_id",
        ),
        member_fk("membership_id", "reminders_sent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    membership_id: Mapped[int] = mapped_column()
    week_start: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AbsenceWarningSent(Base):
    """One weekly absence warning per circle, week and officer (who may see who is at
    risk): a second run, or a second worker, finds the row and sends nothing."""

    __tablename__ = "absence_warnings_sent"
    __table_args__ = (member_fk("membership_id", "absence_warnings_sent"),)

    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    membership_id: Mapped[int] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
