"""Which weeks of a circle are locked: the one place that answers it for every capability.

A week starts on the circle's meeting weekday (``circle.core.weeks.week_of``). Once the vice
president locks a week's report, its totals are final: changes to its entries are
corrections (``change_action``: attendance, a referral's status, a meeting cancelled or
restored), and new slips dated inside it go to the first day of the next open week.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from circle.core.weeks import week_start
from circle.extensions import db
from circle.models import Circle, WeeklyReport


def lock_of(circle: Circle, day: date) -> WeeklyReport | None:
    """The lock of the week containing ``day``, if that week is locked."""
    return db.session.execute(
        select(WeeklyReport).where(
            WeeklyReport.circle_id == circle.id,
            WeeklyReport.week_start == week_start(circle, day),
        )
    ).scalar_one_or_none()


def is_locked(circle: Circle, day: date | None) -> bool:
    """True when the week containing ``day`` has a locked report (None: not locked)."""
    if not isinstance(day, date):
        return False
    return lock_of(circle, day) is not None


def change_action(circle: Circle, day: date | None, action: str) -> str:
    """The audit action of a change to something dated ``day``: ``"correct"`` once its
    week is locked (its totals were final), else ``action``."""
    return "correct" if is_locked(circle, day) else action


def first_open_day(circle: Circle, day: date) -> date:
    """``day`` itself when its week is open, else the first day of the next open week."""
    start = week_start(circle, day)
    locked = set(
        db.session.execute(
            select(WeeklyReport.week_start).where(
                WeeklyReport.circle_id == circle.id, WeeklyReport.week_start >= start
            )
        ).scalars()
    )
    if start not in locked:
        return day
    while start in locked:
        start += timedelta(weeks=1)
    return start
