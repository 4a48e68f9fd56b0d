"""Weeks of a circle: they start on the circle's meeting weekday, in its time zone.

Dates come from users (URLs, query strings, forms), so every step here stays inside the
calendar: ``shift`` stops at ``date.min`` and ``date.max`` instead of overflowing, and a
week at either end of the calendar is cut off there.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from circle.core.clock import utcnow

if TYPE_CHECKING:  # typing only: the core imports nothing of the app
    from circle.models import Circle


def today_for(circle: Circle, now: datetime | None = None) -> date:
    """Today's date where the circle meets (``now`` is an aware UTC time, default: now)."""
    return (now or utcnow()).astimezone(ZoneInfo(circle.timezone)).date()


def shift(day: date, days: int) -> date:
    """``day`` moved by ``days`` (negative: back), stopping at the calendar's first or last day.

    ``date.max + timedelta(days=1)`` raises OverflowError; a period ending 9999-12-31 or
    a week of 0001-01-01 must not (they answer with a message, not a 500).
    """
    if days >= 0:
        return day + timedelta(days=min(days, (date.max - day).days))
    return day - timedelta(days=min(-days, (day - date.min).days))


def week_start(circle: Circle, day: date) -> date:
    """The first day (the meeting weekday) of the circle's week that contains ``day``
    (``date.min`` for the calendar's first, cut-off week)."""
    return shift(day, -((day.weekday() - circle.meeting_weekday) % 7))


def week_of(circle: Circle, day: date) -> tuple[date, date]:
    """First and last day of the circle's week that contains ``day`` (both inclusive; cut
    off at the calendar's ends)."""
    start = week_start(circle, day)
    return start, shift(start, 6)
