"""The circle's numbers over time: referrals and closed business per week, attendance per
meeting. Each is one grouped statement; weeks start on the circle's meeting weekday.

Void entries never count; closed business counts only in the circle's currency (an
amount in another currency cannot be added to it). Attendance: P (present) and L (late)
count as present, S (a substitute came) on its own, A and M as absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import cache

from sqlalchemy import Select, bindparam, func, literal, select, true, union_all

from circle.core.memo import Memo
from circle.core.weeks import shift, week_start
from circle.extensions import db
from circle.models import Attendance, Circle, ClosedBusiness, Meeting, Referral

#: The periods a member may choose, in weeks; and the one shown first.
PERIODS = (13, 26, 52)
DEFAULT_PERIOD = 26
#: The codes that count as present (late is present too), as a substitute, as absent.
PRESENT_CODES = ("P", "L")
SUBSTITUTE_CODES = ("S",)
ABSENT_CODES = ("A", "M")


@dataclass
class Week:
    """One circle week: its first and last day, the referrals given in it (non-void) and
    the closed business (minor units of the circle's currency, non-void)."""

    start: date
    end: date
    referrals: int = 0
    business_minor: int = 0


@dataclass(frozen=True)
class MeetingAttendance:
    """Who was there at one held meeting: present (P and L), substitutes (S), absent (A and
    M), and how many members were recorded at all."""

    held_on: date
    present: int
    substitutes: int
    absent: int
    recorded: int

    @property
    def share(self) -> Fraction | None:
        """The share present of those recorded (None when nobody was recorded)."""
        return Fraction(self.present, self.recorded) if self.recorded else None


def weeks_ending(circle: Circle, today: date, count: int) -> list[Week]:
    """The ``count`` circle weeks up to the one holding ``today``, oldest first, nothing
    counted yet."""
    current = week_start(circle, today)
    starts = [shift(current, -7 * back) for back in range(count - 1, -1, -1)]
    return [Week(start, shift(start, 6)) for start in starts]


#: The weekly numbers computed last, in this server's memory (``weekly_activity``).
ACTIVITY_KEPT = 32
_kept: Memo[tuple[tuple[int, int], ...]] = Memo(ACTIVITY_KEPT)


def weekly_activity(circle: Circle, today: date, count: int) -> list[Week]:
    """Referrals given and closed business per circle week over the last ``count`` weeks
    (the current one so far included): one statement, grouped by day in SQL.

    The numbers are kept in memory under the circle's ``slips_stamp`` (new with every slip
    written, corrected or voided), its currency and meeting weekday, and the weeks."""
    weeks = weeks_ending(circle, today, count)
    first, last = weeks[0].start, weeks[-1].end
    key = (circle.id, circle.slips_stamp, circle.currency, first, last)
    numbers = _kept.get(key, lambda: _counted(circle, weeks))
    for week, (referrals, business) in zip(weeks, numbers, strict=True):
        week.referrals, week.business_minor = referrals, business
    return weeks


def _counted(circle: Circle, weeks: list[Week]) -> tuple[tuple[int, int], ...]:
    """Count the slips of ``weeks`` (as ``weekly_activity`` does): (referrals, business)
    for each week."""
    first, last = weeks[0].start, weeks[-1].end
    referrals = (
        select(
            Referral.given_on.label("day"),
            func.count(Referral.id).label("referrals"),
            literal(0).label("business"),
        )
        .where(
            Referral.circle_id == circle.id,
            Referral.voided_at.is_(None),
            Referral.given_on >= first,
            Referral.given_on <= last,
        )
        .group_by(Referral.given_on)
    )
    business = (
        select(
            ClosedBusiness.closed_on.label("day"),
            literal(0).label("referrals"),
            func.sum(ClosedBusiness.amount_minor).label("business"),
        )
        .where(
            ClosedBusiness.circle_id == circle.id,
            ClosedBusiness.voided_at.is_(None),
            ClosedBusiness.currency == circle.currency,
            ClosedBusiness.closed_on >= first,
            ClosedBusiness.closed_on <= last,
        )
        .group_by(ClosedBusiness.closed_on)
    )
    by_start = {week.start: week for week in weeks}
    for day, referral_count, amount in db.session.execute(union_all(referrals, business)):
        week = by_start[week_start(circle, day)]
        week.referrals += int(referral_count)
        week.business_minor += int(amount or 0)  # SUM is a Decimal on PostgreSQL
    return tuple((week.referrals, week.business_minor) for week in weeks)


def attendance_per_meeting(circle: Circle, first: date, today: date) -> list[MeetingAttendance]:
    """Attendance at every meeting held from ``first`` to ``today`` (not cancelled), oldest
    first, with the counts of each kind; one statement. A meeting nobody recorded
    attendance for is listed with zeros.

    On PostgreSQL each meeting's rows are counted on their own, through the index on the
    meeting (a lateral subquery): joined and grouped, PostgreSQL read every attendance row
    of the circle's whole history for a year's meetings (2.2 ms at five years, growing
    with them; 1.1 ms this way at any length). SQLite has no lateral subqueries and plans
    the join through the index by itself."""
    statement = _attendance_statement(db.session.get_bind().dialect.name == "postgresql")
    values = {"trend_circle": circle.id, "trend_first": first, "trend_today": today}
    rows = db.session.execute(statement, values).all()
    return [MeetingAttendance(*row) for row in rows]


@cache
def _attendance_statement(lateral: bool) -> Select:
    """The statement of ``attendance_per_meeting``, with a lateral subquery (PostgreSQL)
    or a join (built once each per process)."""
    meetings = (
        Meeting.circle_id == bindparam("trend_circle"),
        Meeting.status == "scheduled",
        Meeting.held_on >= bindparam("trend_first"),
        Meeting.held_on <= bindparam("trend_today"),
    )
    of_meeting = (Attendance.circle_id == Meeting.circle_id) & (Attendance.meeting_id == Meeting.id)
    counts = (
        func.count(Attendance.id).filter(Attendance.code.in_(PRESENT_CODES)),
        func.count(Attendance.id).filter(Attendance.code.in_(SUBSTITUTE_CODES)),
        func.count(Attendance.id).filter(Attendance.code.in_(ABSENT_CODES)),
        func.count(Attendance.id),
    )
    if lateral:
        each = select(*counts).where(of_meeting).lateral("counts")
        statement = select(Meeting.held_on, *each.c).join(each, true())
    else:
        statement = (
            select(Meeting.held_on, *counts)
            .outerjoin(Attendance, of_meeting)
            .group_by(Meeting.id, Meeting.held_on)
        )
    return statement.where(*meetings).order_by(Meeting.held_on)
