"""Weeks of a circle: they start on the circle's meeting weekday, in its time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from circle.models import Circle


def today_for(circle: Circle, now: datetime | None = None) -> date:
    """Today's date where the circle meets (``now`` is an aware UTC time, default: now)."""
    from circle.db import utcnow

    return (now or utcnow()).astimezone(ZoneInfo(circle.timezone)).date()


def week_start(circle: Circle, day: date) -> date:
    """The first day (the meeting weekday) of the circle's week that contains ``day``."""
    return day - timedelta(days=(day.weekday() - circle.meeting_weekday) % 7)


def week_of(circle: Circle, day: date) -> tuple[date, date]:
    """First and last day of the circle's week that contains ``day`` (both inclusive)."""
    start = week_start(circle, day)
    return start, start + timedelta(days=6)
