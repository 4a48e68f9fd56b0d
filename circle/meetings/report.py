"""The weekly report: the week's slips, closed business and attendance, and its lock.

The vice president (``lock_weekly_report``) reviews a week (``circle.core.weeks.week_of``)
and locks it. Until then its totals are provisional; after the lock they are final,
changes to its entries are corrections, and new slips go to the next open week
(``circle.meetings.locks``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from circle.auditlog import record as audit
from circle.core.checks import EARLIEST
from circle.core.errors import Conflict, ValidationFailed
from circle.core.weeks import today_for, week_of
from circle.extensions import db
from circle.meetings.locks import lock_of
from circle.meetings.schedule import ensure_meetings
from circle.meetings.services import sheet_of, sheet_statement
from circle.models import (
    ATTENDANCE_CODES,
    Attendance,
    Circle,
    ClosedBusiness,
    Meeting,
    Membership,
    Referral,
    WeeklyReport,
)
from circle.roles.permissions import require


@dataclass
class WeekTotals:
    """The week's numbers; void entries never count."""

    referrals: int = 0
    inside: int = 0
    outside: int = 0
    business_count: int = 0
    business_minor: int = 0
    attendance: dict[str, int] = field(default_factory=dict)
    not_recorded: int = 0


@dataclass
class WeekReport:
    """One week as the vice president reviews it."""

    circle: Circle
    start: date
    end: date
    meeting: Meeting | None
    lock: WeeklyReport | None
    locked_by: Membership | None
    referrals: list[Referral]
    business: list[ClosedBusiness]
    sheet: list[tuple[Membership, Attendance | None]]
    totals: WeekTotals

    @property
    def locked(self) -> bool:
        """True once the week's report is locked: its totals are final."""
        return self.lock is not None

    @property
    def provisional(self) -> bool:
        """True until the lock: the totals may still change."""
        return self.lock is None


def _check_week(circle: Circle, day: date) -> tuple[date, date]:
    """The week containing ``day``; weeks that have not begun, or lie before any entry
    could be made (EARLIEST), have no report."""
    if day < EARLIEST:
        raise ValidationFailed(
            _("There are no reports before %(day)s.", day=format_date(EARLIEST)), field="week"
        )
    start, end = week_of(circle, day)
    if start > today_for(circle):
        raise ValidationFailed(_("This week has not begun yet."), field="week")
    return start, end


#: Who locked a week, as a second membership in one statement (made once: making an
#: alias costs about a millisecond).
_LOCKER = aliased(Membership, name="locker")


def _meeting_and_lock(
    circle: Circle, start: date
) -> tuple[Meeting | None, WeeklyReport | None, Membership | None]:
    """The meeting of the week starting ``start``, the week's lock and who locked it, in
    one statement (each None when there is none)."""
    locker = _LOCKER
    return db.session.execute(
        select(Meeting, WeeklyReport, locker)
        .select_from(Circle)
        .outerjoin(Meeting, and_(Meeting.circle_id == Circle.id, Meeting.held_on == start))
        .outerjoin(
            WeeklyReport,
            and_(WeeklyReport.circle_id == Circle.id, WeeklyReport.week_start == start),
        )
        .outerjoin(
            locker, and_(locker.circle_id == Circle.id, locker.id == WeeklyReport.locked_by_id)
        )
        .where(Circle.id == circle.id)
        # Outer joins: a week nobody locked still has its one row.
        .options(
            joinedload(locker.user, innerjoin=False), joinedload(locker.circle, innerjoin=False)
        )
    ).one()


def _week_sheet(
    circle: Circle, start: date
) -> tuple[
    Meeting | None,
    WeeklyReport | None,
    Membership | None,
    list[tuple[Membership, Attendance | None]],
]:
    """The meeting of the week starting ``start``, the week's lock, who locked it and the
    meeting's attendance sheet (empty without a meeting or when it was cancelled), in one
    statement: the sheet's rows carry the meeting and the lock as columns."""
    locker = _LOCKER
    meeting_id = (
        select(Meeting.id)
        .where(Meeting.circle_id == circle.id, Meeting.held_on == start)
        .scalar_subquery()
    )
    found = db.session.execute(
        sheet_statement(circle.id, meeting_id)
        .add_columns(Meeting, WeeklyReport, locker)
        .outerjoin(
            Meeting, and_(Meeting.circle_id == Membership.circle_id, Meeting.held_on == start)
        )
        .outerjoin(
            WeeklyReport,
            and_(WeeklyReport.circle_id == Membership.circle_id, WeeklyReport.week_start == start),
        )
        .outerjoin(
            locker,
            and_(locker.circle_id == Membership.circle_id, locker.id == WeeklyReport.locked_by_id),
        )
        .options(
            joinedload(locker.user, innerjoin=False), joinedload(locker.circle, innerjoin=False)
        )
    ).all()
    if not found:  # nobody in the circle to list: the meeting and the lock on their own
        meeting, lock, locked_by = _meeting_and_lock(circle, start)
        return meeting, lock, locked_by, []
    _member, _row, meeting, lock, locked_by = found[0]
    if meeting is None or meeting.is_cancelled:
        return meeting, lock, locked_by, []
    rows = [(member, row) for member, row, *_week in found]
    return meeting, lock, locked_by, sheet_of(circle, meeting.held_on, rows)


def week_report(circle: Circle, actor: Membership, day: date) -> WeekReport:
    """The report of the week containing ``day`` (``lock_weekly_report`` holders)."""
    require(actor, "lock_weekly_report")
    start, end = _check_week(circle, day)
    referrals = list(
        db.session.execute(
            select(Referral)
            .where(
                Referral.circle_id == circle.id,
                Referral.given_on >= start,
                Referral.given_on <= end,
            )
            .order_by(Referral.given_on, Referral.id)
        )
        .unique()
        .scalars()
    )
    business = list(
        db.session.execute(
            select(ClosedBusiness)
            .where(
                ClosedBusiness.circle_id == circle.id,
                ClosedBusiness.closed_on >= start,
                ClosedBusiness.closed_on <= end,
            )
            .order_by(ClosedBusiness.closed_on, ClosedBusiness.id)
        )
        .unique()
        .scalars()
    )
    meeting, lock, locked_by, sheet = _week_sheet(circle, start)
    totals = WeekTotals()
    for referral in referrals:
        if referral.is_void:
            continue
        totals.referrals += 1
        if referral.kind == "outside":
            totals.outside += 1
        else:
            totals.inside += 1
    for entry in business:
        if not entry.is_void:
            totals.business_count += 1
            totals.business_minor += entry.amount_minor
    codes = Counter(row.code for _member, row in sheet if row is not None)
    totals.attendance = {code: codes.get(code, 0) for code in ATTENDANCE_CODES}
    totals.not_recorded = sum(1 for _member, row in sheet if row is None)
    return WeekReport(
        circle, start, end, meeting, lock, locked_by, referrals, business, sheet, totals
    )


def lock_week(circle: Circle, actor: Membership, day: date) -> WeeklyReport:
    """Lock the report of the week containing ``day``: its totals are final from now on."""
    require(actor, "lock_weekly_report")
    start, _end = _check_week(circle, day)
    if lock_of(circle, start) is not None:
        raise Conflict(_("This week's report is already locked."))
    lock = WeeklyReport(circle_id=circle.id, week_start=start, locked_by_id=actor.id)
    try:
        with db.session.begin_nested():  # two officers locking at once: one wins
            db.session.add(lock)
    except IntegrityError:
        raise Conflict(_("This week's report is already locked.")) from None
    audit.record(
        circle.id,
        "weekly_report",
        lock.id,
        "lock",
        actor.user,
        after={"week_start": start.isoformat()},
    )
    ensure_meetings(circle)  # the weekly moment to plan the coming meetings
    db.session.flush()
    return lock
