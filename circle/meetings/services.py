"""Meetings and attendance: the rules.

- Meetings are generated ahead (``schedule.ensure_meetings``); officers with
  ``manage_meetings`` cancel one (a holiday) with a reason and may undo it. Both are
  audited as ``cancel``.
- Officers with ``record_attendance`` record a meeting's attendance for every member
  holding a seat at once: all rows or none. Codes P, A, L, M, S; S names the substitute.
  A change after the week's report was locked is audited as ``correct``, else ``record``.
- Cancelled meetings take no attendance, and neither do meetings not yet begun.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, select
from sqlalchemy.orm import contains_eager, lazyload

from circle.auditlog import record as audit
from circle.circles.access import in_roster_order, owned, roster, zone
from circle.core.checks import check_reason
from circle.core.clock import utcnow
from circle.core.errors import Conflict, NotFound, ValidationFailed
from circle.core.weeks import today_for
from circle.extensions import db
from circle.meetings import absence
from circle.meetings.locks import change_action
from circle.models import (
    ATTENDANCE_CODES,
    Attendance,
    Circle,
    Meeting,
    Membership,
)
from circle.roles.permissions import require

MEETING_FIELDS = ("status", "cancel_reason")
ATTENDANCE_FIELDS = ("membership_id", "code", "substitute_name")
MAX_CANCEL_REASON = 200
MAX_SUBSTITUTE = 200
#: How many past meetings the meetings page lists.
PAST_SHOWN = 26


@dataclass(frozen=True)
class AttendanceInput:
    """One member's attendance as entered in a form or sent to the API."""

    membership_id: int
    code: str
    substitute_name: str = ""


# --- meetings ----------------------------------------------------------------------


def meeting_in(circle: Circle, meeting_id: int) -> Meeting:
    """A meeting of this circle; another circle's id is NotFound."""
    meeting = owned(Meeting, circle.id, meeting_id)
    if meeting is None:
        raise NotFound(_("Meeting not found."))
    return meeting


def meetings_overview(circle: Circle, today: date | None = None) -> tuple[list, list]:
    """Upcoming meetings (today on, oldest first) and past ones (newest first); reads only."""
    values = {"meetings_circle": circle.id, "meetings_today": today or today_for(circle)}
    upcoming, past = _overview_statements()
    return (
        list(db.session.execute(upcoming, values).scalars()),
        list(db.session.execute(past, values).scalars()),
    )


@cache
def _overview_statements() -> tuple[Select, Select]:
    """The two statements of ``meetings_overview`` (built once per process)."""
    circle_id, today = bindparam("meetings_circle"), bindparam("meetings_today")
    upcoming = (
        select(Meeting)
        .where(Meeting.circle_id == circle_id, Meeting.held_on >= today)
        .order_by(Meeting.held_on)
    )
    past = (
        select(Meeting)
        .where(Meeting.circle_id == circle_id, Meeting.held_on < today)
        .order_by(Meeting.held_on.desc())
        .limit(PAST_SHOWN)
    )
    return upcoming, past


def meetings_between(circle: Circle, start: date, end: date) -> list[Meeting]:
    """The circle's meetings held start..end (both included), oldest first."""
    return list(
        db.session.execute(
            select(Meeting)
            .where(Meeting.circle_id == circle.id, Meeting.held_on >= start, Meeting.held_on <= end)
            .order_by(Meeting.held_on)
        ).scalars()
    )


def cancel_meeting(circle: Circle, actor: Membership, meeting_id: int, reason: str) -> Meeting:
    """Cancel a meeting (e.g. a holiday) with a reason; it then counts for no absence.

    Inside a locked week the cancellation is audited as a correction.
    """
    require(actor, "manage_meetings")
    meeting = meeting_in(circle, meeting_id)
    if meeting.is_cancelled:
        raise Conflict(_("This meeting is already cancelled."))
    reason = check_reason(reason, MAX_CANCEL_REASON)
    before = audit.snapshot(meeting, MEETING_FIELDS)
    meeting.status = "cancelled"
    meeting.cancel_reason = reason
    meeting.cancelled_at = utcnow()
    audit.record(
        circle.id,
        "meeting",
        meeting.id,
        change_action(circle, meeting.held_on, "cancel"),
        actor.user,
        before,
        audit.snapshot(meeting, MEETING_FIELDS),
    )
    db.session.flush()
    return meeting


def restore_meeting(circle: Circle, actor: Membership, meeting_id: int) -> Meeting:
    """Undo a cancellation: the meeting takes place after all (a correction when locked)."""
    require(actor, "manage_meetings")
    meeting = meeting_in(circle, meeting_id)
    if not meeting.is_cancelled:
        raise Conflict(_("This meeting is not cancelled."))
    before = audit.snapshot(meeting, MEETING_FIELDS)
    meeting.status = "scheduled"
    meeting.cancel_reason = ""
    meeting.cancelled_at = None
    audit.record(
        circle.id,
        "meeting",
        meeting.id,
        change_action(circle, meeting.held_on, "cancel"),
        actor.user,
        before,
        audit.snapshot(meeting, MEETING_FIELDS),
    )
    db.session.flush()
    return meeting


# --- attendance --------------------------------------------------------------------


def seat_holders(circle: Circle, day: date | None = None) -> list[Membership]:
    """The active members holding a seat, by profession: whose attendance is recorded.

    With ``day``, only those who had joined by then (a meeting before someone joined
    is none of theirs).
    """
    members = [m for m in roster(circle.id) if m.holds_seat]
    if day is None:
        return members
    return [m for m in members if _seated_by(circle, m, day)]


def _seated_by(circle: Circle, member: Membership, day: date) -> bool:
    """True when the member had joined by ``day`` (a meeting before is none of theirs)."""
    return member.joined_at is None or member.joined_at.astimezone(zone(circle)).date() <= day


def attendance_at(circle: Circle, meeting: Meeting) -> dict[int, Attendance]:
    """The attendance rows of one meeting by membership id."""
    rows = db.session.execute(
        select(Attendance).where(
            Attendance.circle_id == circle.id, Attendance.meeting_id == meeting.id
        )
    ).scalars()
    return {row.membership_id: row for row in rows}


def attendance_sheet(
    circle: Circle, meeting: Meeting
) -> list[tuple[Membership, Attendance | None]]:
    """Every seat holder (and anyone recorded at the meeting since) with their row, if any.

    One statement: the roster (``seat_holders``' order) with each member's row at the
    meeting, and the members recorded there who hold no seat now, by their row's id.
    """
    found = db.session.execute(sheet_statement(circle.id, meeting.id)).all()
    return sheet_of(circle, meeting.held_on, [(m, row) for m, row, *_more in found])


def sheet_statement(circle_id, meeting_id, *also: ColumnElement[bool]) -> Select:
    """The statement of ``attendance_sheet``: every active member and anyone recorded at
    the meeting, each with their row there (or None), in roster order. ``circle_id`` and
    ``meeting_id`` are ids or bound parameters; the caller has read the meeting (a row's
    ``meeting`` is taken from the session). ``also``: conditions for more members to read
    with them (they are not on the sheet: ``sheet_of`` leaves them out); add columns to
    read more at once."""
    recorded = and_(
        Attendance.circle_id == Membership.circle_id,
        Attendance.membership_id == Membership.id,
        Attendance.meeting_id == meeting_id,
    )
    return (
        in_roster_order(select(Membership, Attendance))
        .outerjoin(Attendance, recorded)
        .where(
            Membership.circle_id == circle_id,
            or_(Membership.status == "active", Attendance.id.is_not(None), *also),
        )
        # The user and the profession from the joins the order needs (not joined again by
        # eager loading); the circle is the page's own, found in the session, and so are
        # each row's meeting (the caller's) and member (the row's own membership).
        .options(
            contains_eager(Membership.user),
            contains_eager(Membership.profession),
            lazyload(Membership.circle),
            lazyload(Attendance.meeting),
            lazyload(Attendance.member),
        )
    )


def sheet_of(
    circle: Circle, held_on: date, found: list[tuple[Membership, Attendance | None]]
) -> list[tuple[Membership, Attendance | None]]:
    """The sheet from the rows of ``sheet_statement``: the seat holders who had joined by
    the meeting, then the others recorded there, by their row's id."""
    members = [
        (m, row)
        for m, row in found
        if m.status == "active" and m.holds_seat and _seated_by(circle, m, held_on)
    ]
    listed = {m.id for m, _row in members}
    former = [(m, row) for m, row in found if row is not None and m.id not in listed]
    return members + sorted(former, key=lambda pair: pair[1].id)


def _check_items(
    circle: Circle, meeting: Meeting, items: list[AttendanceInput], existing: dict[int, Attendance]
) -> list[tuple[AttendanceInput, str]]:
    """Check every row; return each with its cleaned substitute name. Raise on the first fault.

    Allowed are the seat holders (who must all be listed) and anyone already recorded.
    """
    required = seat_holders(circle, meeting.held_on)
    allowed = {m.id for m in required} | set(existing)
    seen: set[int] = set()
    cleaned = []
    for index, item in enumerate(items):
        if item.membership_id not in allowed:
            raise ValidationFailed(
                _("This person holds no seat in this circle."),
                field=f"items.{index}.membership_id",
            )
        if item.membership_id in seen:
            raise ValidationFailed(
                _("Each member appears only once."), field=f"items.{index}.membership_id"
            )
        seen.add(item.membership_id)
        if item.code not in ATTENDANCE_CODES:
            raise ValidationFailed(_("Choose P, A, L, M or S."), field=f"items.{index}.code")
        name = (item.substitute_name or "").strip() if item.code == "S" else ""
        if item.code == "S" and not name:
            raise ValidationFailed(
                _("Please name the substitute."), field=f"items.{index}.substitute_name"
            )
        if len(name) > MAX_SUBSTITUTE:
            raise ValidationFailed(
                _("At most %(n)s characters, please.", n=MAX_SUBSTITUTE),
                field=f"items.{index}.substitute_name",
            )
        cleaned.append((item, name))
    missing = [m for m in required if m.id not in seen]
    if missing:
        raise ValidationFailed(
            _(
                "Please record every member; missing: %(names)s.",
                names=", ".join(m.user.name for m in missing),
            ),
            field="items",
        )
    return cleaned


def record_attendance(
    circle: Circle,
    actor: Membership,
    meeting_id: int,
    items: list[AttendanceInput],
    notify: bool = True,
) -> list[Attendance]:
    """Record (or change) the whole attendance of a meeting: every row, or none.

    Unchanged rows stay as they are; changes after the week's lock are corrections.
    Then mails members at their 1st, 2nd and 3rd absence (once each; ``notify=False``
    for the demo and migrations from another system: no mails, nothing marked as sent).
    """
    require(actor, "record_attendance")
    meeting = meeting_in(circle, meeting_id)
    if meeting.is_cancelled:
        raise Conflict(_("This meeting was cancelled; it takes no attendance."))
    if meeting.held_on > today_for(circle):
        raise ValidationFailed(
            _("Attendance can be recorded from the day of the meeting on."), field="items"
        )
    existing = attendance_at(circle, meeting)
    cleaned = _check_items(circle, meeting, items, existing)
    action = change_action(circle, meeting.held_on, "record")
    rows = []
    for item, name in cleaned:
        row = existing.get(item.membership_id)
        if row is None:
            row = Attendance(
                circle_id=circle.id,
                meeting_id=meeting.id,
                membership_id=item.membership_id,
                code=item.code,
                substitute_name=name,
                recorded_by_id=actor.user_id,
            )
            db.session.add(row)
            db.session.flush()
            audit.record(
                circle.id,
                "attendance",
                row.id,
                action,
                actor.user,
                after=audit.snapshot(row, ATTENDANCE_FIELDS),
            )
        elif (row.code, row.substitute_name) != (item.code, name):
            before = audit.snapshot(row, ATTENDANCE_FIELDS)
            row.code = item.code
            row.substitute_name = name
            row.recorded_by_id = actor.user_id
            audit.record(
                circle.id,
                "attendance",
                row.id,
                action,
                actor.user,
                before,
                audit.snapshot(row, ATTENDANCE_FIELDS),
            )
        rows.append(row)
    db.session.flush()
    if notify:
        absence.send_notices(circle, meeting, rows)
    return rows


def history_of(circle: Circle, member: Membership, since: date | None = None) -> list:
    """A member's attendance, newest first: ``(meeting, row or None)`` for held meetings.

    Lists the meetings from ``since`` (default: one year back) up to today, cancelled ones
    included (they count for nothing).
    """
    today = today_for(circle)
    since = since or today - timedelta(days=366)
    values = {
        "history_circle": circle.id,
        "history_member": member.id,
        "history_since": since,
        "history_today": today,
    }
    return [(meeting, row) for meeting, row in db.session.execute(_history_statement(), values)]


@cache
def _history_statement() -> Select:
    """The statement of ``history_of`` (built once per process): the meetings with the
    member's row of each, one statement."""
    circle_id = bindparam("history_circle")
    return (
        select(Meeting, Attendance)
        .outerjoin(
            Attendance,
            and_(
                Attendance.circle_id == Meeting.circle_id,
                Attendance.meeting_id == Meeting.id,
                Attendance.membership_id == bindparam("history_member"),
            ),
        )
        .where(
            Meeting.circle_id == circle_id,
            Meeting.held_on >= bindparam("history_since"),
            Meeting.held_on <= bindparam("history_today"),
        )
        .order_by(Meeting.held_on.desc())
        # The meeting is the row's own and the member is given: both are in the session
        # (joined, they carried a meeting and a member with its user, profession and
        # circle on every row).
        .options(lazyload(Attendance.meeting), lazyload(Attendance.member))
    )
