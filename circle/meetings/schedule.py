"""The weekly meetings of a circle, generated ahead from its settings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from circle.extensions import db
from circle.models import Circle, Meeting
from circle.weeks import today_for, week_start

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
    existing = {
        m.held_on: m
        for m in db.session.execute(
            select(Meeting).where(
                Meeting.circle_id == circle.id,
                Meeting.held_on >= days[0],
                Meeting.held_on <= days[-1],
            )
        ).scalars()
    }
    for day in days:
        if day not in existing:
            meeting = Meeting(
                circle_id=circle.id,
                held_on=day,
                starts_at=meeting_start(circle, day),
                duration_minutes=circle.meeting_minutes,
                place=circle.meeting_place,
                video_link=circle.meeting_link,
                status="scheduled",
            )
            db.session.add(meeting)
            existing[day] = meeting
    db.session.flush()
    return [existing[d] for d in days]


def meeting_on(circle: Circle, day: date) -> Meeting | None:
    """The circle's meeting on ``day`` (scheduled or cancelled), if there is one."""
    return db.session.execute(
        select(Meeting).where(Meeting.circle_id == circle.id, Meeting.held_on == day)
    ).scalar_one_or_none()
