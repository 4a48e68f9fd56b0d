"""The weekly meetings of a circle, generated ahead from its settings.

Meetings are planned ``WEEKS_AHEAD`` weeks ahead on write requests only, never while a
page is read: when a circle is created or its settings change, when a member logs in
(``plan_for_user``, for their circles), when the vice president locks a week, and daily by
``flask circle send-reminders``. Pages show the meetings that exist.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from circle.core.clock import utcnow
from circle.core.weeks import today_for, week_start
from circle.extensions import db
from circle.models import (
    Attendance,
    Circle,
    Meeting,
    MeetingReply,
    Membership,
    User,
    VisitorVisit,
)

#: How many weeks ahead meetings exist, so they can be cancelled (holidays) in advance.
WEEKS_AHEAD = 12


def meeting_start(circle: Circle, day: date) -> datetime:
    """The aware start time of a meeting on ``day`` at the circle's meeting time and zone."""
    local = datetime.combine(day, circle.meeting_time, tzinfo=ZoneInfo(circle.timezone))
    return local.astimezone(ZoneInfo("UTC"))


def ensure_meetings(
    circle: Circle, today: date | None = None, weeks_ahead: int = WEEKS_AHEAD
) -> list[Meeting]:
    """Create the missing meetings from this week's meeting day up to ``weeks_ahead`` weeks.

    Idempotent: existing meetings (also cancelled ones) are kept as they are. Returns the
    meetings of that range, oldest first. Only flushes.
    """
    today = today or today_for(circle)
    first = week_start(circle, today)
    days = [first + timedelta(weeks=n) for n in range(weeks_ahead + 1)]
    existing = _meetings_between(circle, days[0], days[-1])
    missing = [day for day in days if day not in existing]
    if missing:
        # One statement for every missing week; two requests may plan the same circle at
        # once, so the unique index (circle, day) decides and a duplicate is skipped.
        db.session.execute(
            _insert_skipping_duplicates().values(
                [
                    {
                        "circle_id": circle.id,
                        "held_on": day,
                        "starts_at": meeting_start(circle, day),
                        "duration_minutes": circle.meeting_minutes,
                        "place": circle.meeting_place,
                        "video_link": circle.meeting_link,
                        "status": "scheduled",
                    }
                    for day in missing
                ]
            )
        )
        existing = _meetings_between(circle, days[0], days[-1])
    return [existing[d] for d in days]


def _meetings_between(circle: Circle, first: date, last: date) -> dict[date, Meeting]:
    """The circle's meetings from ``first`` to ``last`` (inclusive), by day."""
    return {
        m.held_on: m
        for m in db.session.execute(
            select(Meeting).where(
                Meeting.circle_id == circle.id,
                Meeting.held_on >= first,
                Meeting.held_on <= last,
            )
        ).scalars()
    }


def _insert_skipping_duplicates():
    """``INSERT … ON CONFLICT DO NOTHING`` into meetings, in the session's SQL dialect."""
    insert = (
        postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    return insert(Meeting).on_conflict_do_nothing()


def plan_for_user(user: User) -> None:
    """Plan the coming meetings of every circle the user holds a seat in (at login)."""
    circles = db.session.execute(
        select(Circle)
        .join(Membership, Membership.circle_id == Circle.id)
        .where(Membership.user_id == user.id, Membership.status == "active")
    ).scalars()
    for circle in circles:
        ensure_meetings(circle)


def meeting_on(circle: Circle, day: date) -> Meeting | None:
    """The circle's meeting on ``day`` (scheduled or cancelled), if there is one."""
    return db.session.execute(
        select(Meeting).where(Meeting.circle_id == circle.id, Meeting.held_on == day)
    ).scalar_one_or_none()


def reschedule_upcoming(circle: Circle, now: datetime | None = None) -> list[Meeting]:
    """Carry changed settings (place, link, duration, time) into meetings not yet held.

    Scheduled meetings that start after ``now`` take the circle's current place, video
    link, duration and start time; cancelled and past meetings stay as they were. When
    the weekday changed, the upcoming meetings on the old weekday that nobody recorded
    anything for (attendance, a reply, an announced visitor) are dropped (they were only generated)
    and generated anew on the new weekday. Returns the upcoming meetings. Only flushes.
    """
    now = now or utcnow()
    candidates = db.session.execute(
        select(Meeting).where(
            Meeting.circle_id == circle.id,
            Meeting.status == "scheduled",
            Meeting.held_on >= now.date() - timedelta(days=1),
        )
    ).scalars()
    upcoming = [m for m in candidates if m.starts_at > now]
    stale = [m.id for m in upcoming if m.held_on.weekday() != circle.meeting_weekday]
    if stale:
        recorded = set()
        # attendance, a member's reply, or a guest announced for it
        for model in (Attendance, MeetingReply, VisitorVisit):
            recorded |= set(
                db.session.execute(
                    select(model.meeting_id).where(
                        model.circle_id == circle.id, model.meeting_id.in_(stale)
                    )
                ).scalars()
            )
        dropped = [i for i in stale if i not in recorded]
        if dropped:
            db.session.execute(
                delete(Meeting)
                .where(Meeting.circle_id == circle.id, Meeting.id.in_(dropped))
                .execution_options(synchronize_session="fetch")
            )
        upcoming = [m for m in upcoming if m.id not in dropped]
    for meeting in upcoming:
        meeting.starts_at = meeting_start(circle, meeting.held_on)
        meeting.duration_minutes = circle.meeting_minutes
        meeting.place = circle.meeting_place
        meeting.video_link = circle.meeting_link
    db.session.flush()
    if stale:
        ensure_meetings(circle)
    return upcoming
