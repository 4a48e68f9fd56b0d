"""The weekly report: the week's slips, closed business and attendance, and its lock.

A week's figures are summed by the database (one row per member, whatever the number of
slips) and its slips are listed a page at a time (keyset pages, newest first), so the
report costs the same in a quiet week and in a week of hundreds of slips.

The vice president (``lock_weekly_report``) reviews a week (``circle.core.weeks.week_of``)
and locks it. Until then its totals are provisional; after the lock they are final,
changes to its entries are corrections, and new slips go to the next open week
(``circle.meetings.locks``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, case, func, literal, select, union, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, lazyload

from circle.auditlog import record as audit
from circle.core.checks import EARLIEST
from circle.core.errors import Conflict, ValidationFailed
from circle.core.paging import (
    Keyset,
    KeysetPage,
    Position,
    keyset_bound,
    keyset_page,
)
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
from circle.referrals.reading import attach_parties, parties_read_before, slip_day
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


#: Slips and closed business listed per page of the report (each list pages on its own).
PER_PAGE = 25


@dataclass(frozen=True)
class MemberWeek:
    """One member's week: referrals given and received, and the closed business the
    member was thanked for (void entries never count)."""

    member: Membership
    given: int = 0
    received: int = 0
    business_count: int = 0
    business_minor: int = 0


@dataclass
class WeekReport:
    """One week as the vice president reviews it: its totals, a row per member, the
    attendance sheet and one page of each list of entries."""

    circle: Circle
    start: date
    end: date
    meeting: Meeting | None
    lock: WeeklyReport | None
    locked_by: Membership | None
    referrals: KeysetPage[Referral] | None  # None: asked without the lists (the API)
    business: KeysetPage[ClosedBusiness] | None
    sheet: list[tuple[Membership, Attendance | None]]
    totals: WeekTotals
    members: list[MemberWeek] = field(default_factory=list)
    #: Referrals given by former members or outside parties (in the totals, in no row).
    others_given: int = 0

    @property
    def locked(self) -> bool:
        """True once the week's report is locked: its totals are final."""
        return self.lock is not None

    @property
    def provisional(self) -> bool:
        """True until the lock: the totals may still change."""
        return self.lock is None


def reported_week(circle: Circle, actor: Membership, day: date) -> tuple[date, date]:
    """The week containing ``day`` whose report ``actor`` asks for: Forbidden without
    ``lock_weekly_report``, ValidationFailed for a week without a report (``_check_week``)."""
    require(actor, "lock_weekly_report")
    return _check_week(circle, day)


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
    return db.session.execute(
        _meeting_and_lock_statement(), {"wk_circle": circle.id, "wk_start": start}
    ).one()


#: The parameters of the report's statements, which are built once per process (building
#: them cost about as much as running them): the circle, the week, its meeting.
_WK_CIRCLE, _WK_MEETING = bindparam("wk_circle"), bindparam("wk_meeting")
_WK_START, _WK_END = bindparam("wk_start"), bindparam("wk_end")


@cache
def _meeting_and_lock_statement() -> Select:
    """The statement of ``_meeting_and_lock``."""
    locker = _LOCKER
    return (
        select(Meeting, WeeklyReport, locker)
        .select_from(Circle)
        .outerjoin(Meeting, and_(Meeting.circle_id == Circle.id, Meeting.held_on == _WK_START))
        .outerjoin(
            WeeklyReport,
            and_(WeeklyReport.circle_id == Circle.id, WeeklyReport.week_start == _WK_START),
        )
        .outerjoin(
            locker, and_(locker.circle_id == Circle.id, locker.id == WeeklyReport.locked_by_id)
        )
        .where(Circle.id == _WK_CIRCLE)
        # Outer joins: a week nobody locked still has its one row. The locker's circle is
        # the page's own, found in the session.
        .options(joinedload(locker.user, innerjoin=False), lazyload(locker.circle))
    )


def _week_sheet(
    circle: Circle, start: date
) -> tuple[
    Meeting | None,
    WeeklyReport | None,
    Membership | None,
    list[tuple[Membership, Attendance | None]],
    list[Membership],
    dict[int, Membership],
]:
    """The meeting of the week starting ``start``, the week's lock, who locked it, the
    meeting's attendance sheet (empty without a meeting or when it was cancelled), the
    active members in roster order and every member read (by id), in two statements: the
    meeting with the lock (one row), then the sheet. Carried as columns of each of the
    sheet's rows, the meeting, the lock and its locker cost more to read than a statement
    of their own.

    The sheet's statement also reads every member who took part in a slip of the week (a
    member who has left since, too): the lists of the week's slips then find their
    parties in the session instead of reading each party with every slip."""
    meeting, lock, locked_by = _meeting_and_lock(circle, start)
    found = db.session.execute(
        _sheet_with_parties(),
        {
            "wk_circle": circle.id,
            # Without a meeting no attendance row matches (``= NULL``): the members only.
            "wk_meeting": meeting.id if meeting is not None else None,
            "wk_start": start,
            "wk_end": start + timedelta(days=6),
        },
    ).all()
    members = [member for member, _row in found if member.status == "active"]
    read = {member.id: member for member, _row in found}
    if meeting is None or meeting.is_cancelled:
        return meeting, lock, locked_by, [], members, read
    rows = [(member, row) for member, row in found]
    return meeting, lock, locked_by, sheet_of(circle, meeting.held_on, rows), members, read


@cache
def _sheet_with_parties() -> Select:
    """The sheet's statement (``sheet_statement``) with the members who took part in a
    slip of the week."""
    return sheet_statement(_WK_CIRCLE, _WK_MEETING, Membership.id.in_(_week_parties()))


def _week_parties():
    """The ids of the members who gave, received, thanked or were thanked in a slip of
    the week, void ones too (the week's lists show those as well)."""
    referrals = (Referral.circle_id == _WK_CIRCLE, Referral.given_on.between(_WK_START, _WK_END))
    business = (
        ClosedBusiness.circle_id == _WK_CIRCLE,
        ClosedBusiness.closed_on.between(_WK_START, _WK_END),
    )
    return union(
        select(Referral.giver_id).where(*referrals),
        select(Referral.receiver_id).where(*referrals),
        select(ClosedBusiness.thanked_id).where(*business),
        select(ClosedBusiness.reporter_id).where(*business),
    )


#: Per member (None: an outside party or nobody): referrals given, of them outside,
#: referrals received, closed business thanked for and its sum.
Figures = dict[int | None, tuple[int, int, int, int, int]]


#: The figures of ``Figures``, as the union's columns are named.
_FIGURE_NAMES = ("given", "outside", "received", "business_count", "business_minor")


def _entries(member_id, *figures) -> Select:
    """One branch of the week's union: the member's id and the five figures (numbers or
    columns), each labelled: the same literal twice in one select would be one column."""
    columns = (f if hasattr(f, "label") else literal(f) for f in figures)
    return select(
        member_id.label("member_id"),
        *(column.label(name) for column, name in zip(columns, _FIGURE_NAMES, strict=True)),
    )


def _week_figures(circle_id: int, start: date, end: date) -> Figures:
    """The week's live entries summed per member in one statement: a row per member who
    gave, received or was thanked, however many slips the week holds."""
    rows = db.session.execute(
        _figures_statement(), {"wk_circle": circle_id, "wk_start": start, "wk_end": end}
    ).all()
    return {row[0]: tuple(int(value or 0) for value in row[1:]) for row in rows}


@cache
def _figures_statement() -> Select:
    """The statement of ``_week_figures``."""
    live_referral = (
        Referral.circle_id == _WK_CIRCLE,
        Referral.given_on >= _WK_START,
        Referral.given_on <= _WK_END,
        Referral.voided_at.is_(None),
    )
    outside = case((Referral.kind == "outside", 1), else_=0)
    given = _entries(Referral.giver_id, 1, outside, 0, 0, 0).where(*live_referral)
    received = _entries(Referral.receiver_id, 0, 0, 1, 0, 0).where(*live_referral)
    thanked = _entries(ClosedBusiness.thanked_id, 0, 0, 0, 1, ClosedBusiness.amount_minor).where(
        ClosedBusiness.circle_id == _WK_CIRCLE,
        ClosedBusiness.closed_on >= _WK_START,
        ClosedBusiness.closed_on <= _WK_END,
        ClosedBusiness.voided_at.is_(None),
    )
    entries = union_all(given, received, thanked).subquery()
    columns = list(entries.c)
    return select(columns[0], *(func.sum(column) for column in columns[1:])).group_by(columns[0])


def _totals(figures: Figures, sheet: list[tuple[Membership, Attendance | None]]) -> WeekTotals:
    """The week's totals from its figures (outside parties included) and its sheet."""
    totals = WeekTotals()
    for given, outside, _received, business_count, business_minor in figures.values():
        totals.referrals += given
        totals.outside += outside
        totals.business_count += business_count
        totals.business_minor += business_minor
    totals.inside = totals.referrals - totals.outside
    codes = Counter(row.code for _member, row in sheet if row is not None)
    totals.attendance = {code: codes.get(code, 0) for code in ATTENDANCE_CODES}
    totals.not_recorded = sum(1 for _member, row in sheet if row is None)
    return totals


def _slips_page(
    model: type[Referral] | type[ClosedBusiness],
    circle: Circle,
    start: date,
    end: date,
    asked: Keyset,
    parties: dict[int, Membership],
) -> KeysetPage:
    """One page of the week's referrals or closed business, void ones too, newest first;
    their member parties from ``parties`` (read with the sheet)."""
    values = {"wk_circle": circle.id, "wk_start": start, "wk_end": end, **asked.bound()}
    rows = db.session.execute(_slips_page_statement(model, asked.way), values)
    slips = rows.unique().scalars().all()
    attach_parties(slips, model, parties)
    day = slip_day(model).key
    return keyset_page(slips, lambda s: Position(getattr(s, day), s.id), asked, PER_PAGE)


@cache
def _slips_page_statement(model: type[Referral] | type[ClosedBusiness], way: str) -> Select:
    """The statement of ``_slips_page`` for a model and the pages read ``way`` (built once
    each per process)."""
    day = slip_day(model)
    query = (
        select(model)
        .where(model.circle_id == _WK_CIRCLE, day >= _WK_START, day <= _WK_END)
        .options(*parties_read_before(model))
    )
    return keyset_bound(query, day, model.id, way, PER_PAGE)


def week_report(
    circle: Circle,
    actor: Membership,
    day: date,
    referrals: Keyset | None = None,
    business: Keyset | None = None,
    *,
    lists: bool = True,
) -> WeekReport:
    """The report of the week containing ``day`` (``lock_weekly_report`` holders), with
    the pages ``referrals`` and ``business`` of its lists (the newest when None), or
    without the lists when ``lists`` is False."""
    require(actor, "lock_weekly_report")
    start, end = _check_week(circle, day)
    figures = _week_figures(circle.id, start, end)
    meeting, lock, locked_by, sheet, members, read = _week_sheet(circle, start)
    rows = [MemberWeek(m, *_member_figures(figures.get(m.id))) for m in members]
    listed = {m.id for m in members}
    others_given = sum(given for key, (given, *_rest) in figures.items() if key not in listed)
    return WeekReport(
        circle,
        start,
        end,
        meeting,
        lock,
        locked_by,
        _slips_page(Referral, circle, start, end, referrals or Keyset(prefix="r_"), read)
        if lists
        else None,
        _slips_page(ClosedBusiness, circle, start, end, business or Keyset(prefix="b_"), read)
        if lists
        else None,
        sheet,
        _totals(figures, sheet),
        rows,
        others_given,
    )


def _member_figures(found: tuple[int, int, int, int, int] | None) -> tuple[int, int, int, int]:
    """A member's given, received, business count and sum from the week's figures."""
    if found is None:
        return 0, 0, 0, 0
    given, _outside, received, business_count, business_minor = found
    return given, received, business_count, business_minor


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
