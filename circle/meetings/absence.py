"""The absence rule of a circle, and the mails at a member's 1st, 2nd and 3rd absence.

Absences are counted over a rolling window of ``circle.absence_window_months`` months
ending on a day (default: today in the circle's time zone). The window holds the
meetings held *after* the same calendar day that many months earlier, up to and
including the day itself (31st clamped to the month's end): with six months and the
day 15 July, a meeting on 15 January no longer counts, one on 16 January does.

- A (absent) counts 1; L (late) counts 0.5 only when ``circle.late_counts_half``;
  P, M (medical) and S (a substitute came) count 0; cancelled meetings count nothing.
- A seat is **at risk** with *more* than ``circle.absence_limit`` absences (default 3:
  four absences are at risk, three are not); **close** to it from one below the limit.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, select

from circle.circles.access import Listed, roster_names
from circle.core.formats import decimal_text
from circle.core.weeks import today_for
from circle.extensions import db
from circle.mail.send import external_url, send_mail
from circle.models import Attendance, Circle, Meeting, Membership
from circle.reminders import choices

#: A member is mailed at these absences within the window, once each.
NOTICES = (1, 2, 3)


def window_start(day: date, months: int) -> date:
    """The day ``months`` months before ``day`` (clamped): the window starts after it."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def weight(circle: Circle, code: str | None) -> float:
    """How much one attendance code counts as an absence in this circle."""
    if code == "A":
        return 1.0
    if code == "L" and circle.late_counts_half:
        return 0.5
    return 0.0


def counts(
    circle: Circle, day: date | None = None, member_ids: list[int] | None = None
) -> dict[int, float]:
    """Absences per membership id within the window ending on ``day`` (none: left out)."""
    day = day or today_for(circle)
    start = window_start(day, circle.absence_window_months)
    values = {
        "absence_circle": circle.id,
        "absence_codes": ["A", "L"] if circle.late_counts_half else ["A"],
        "absence_after": start,
        "absence_until": day,
    }
    if member_ids is not None:
        values["absence_members"] = member_ids or [0]
    totals: dict[int, float] = {}
    rows = db.session.execute(_counts_statement(member_ids is not None), values)
    for membership_id, code in rows:
        totals[membership_id] = totals.get(membership_id, 0.0) + weight(circle, code)
    return totals


@cache
def _counts_statement(of_members: bool) -> Select:
    """The statement of ``counts``, for every member or for some (built once each)."""
    query = (
        select(Attendance.membership_id, Attendance.code)
        .join(
            Meeting,
            and_(Meeting.circle_id == Attendance.circle_id, Meeting.id == Attendance.meeting_id),
        )
        .where(
            Attendance.circle_id == bindparam("absence_circle"),
            Attendance.code.in_(bindparam("absence_codes", expanding=True)),
            Meeting.status == "scheduled",
            Meeting.held_on > bindparam("absence_after"),
            Meeting.held_on <= bindparam("absence_until"),
        )
    )
    if of_members:
        members = bindparam("absence_members", expanding=True)
        query = query.where(Attendance.membership_id.in_(members))
    return query


def count_for(circle: Circle, membership_id: int, day: date | None = None) -> float:
    """One member's absences within the window ending on ``day``."""
    return counts(circle, day, [membership_id]).get(membership_id, 0.0)


def is_at_risk(circle: Circle, count: float) -> bool:
    """More absences than the circle's limit put the seat at risk."""
    return count > circle.absence_limit


def is_close(circle: Circle, count: float) -> bool:
    """Not yet at risk, but at most one absence away from it."""
    return count > 0 and not is_at_risk(circle, count) and count >= circle.absence_limit - 1


@dataclass(frozen=True)
class Standing:
    """A seat holder (as the roster lists them) with their absences in the window and what
    they mean."""

    member: Listed
    count: float
    at_risk: bool
    close: bool


def standings(circle: Circle, day: date | None = None) -> list[Standing]:
    """Every seat holder with absences in the window, most absences first."""
    members = {m.id: m for m in roster_names(circle.id) if m.holds_seat}
    totals = counts(circle, day, list(members))
    rows = [
        Standing(members[i], c, is_at_risk(circle, c), is_close(circle, c))
        for i, c in totals.items()
        if i in members and c > 0
    ]
    return sorted(rows, key=lambda s: (-s.count, s.member.name.casefold()))


def format_count(count: float, locale: str) -> str:
    """An absence count as ``3`` or ``2,5`` / ``2.5``."""
    return decimal_text(count, "#,##0.#", locale)


def send_notices(circle: Circle, meeting: Meeting, rows: list[Attendance]) -> list[Attendance]:
    """Mail each member whose row at ``meeting`` is an absence that makes their 1st, 2nd or
    3rd within the window ending on the meeting's day, once per number.

    A row that already triggered a mail (``absence_notice``) never mails again, also when
    it is saved again or changed back and forth; a number already mailed for another
    absence in the window is not sent twice. Returns the rows that mailed. Only flushes.
    """
    candidates = [r for r in rows if weight(circle, r.code) > 0 and r.absence_notice is None]
    if not candidates or meeting.is_cancelled:
        return []
    ids = [r.membership_id for r in candidates]
    totals = counts(circle, meeting.held_on, ids)
    start = window_start(meeting.held_on, circle.absence_window_months)
    sent: dict[int, set[int]] = {}
    for membership_id, notice in db.session.execute(
        select(Attendance.membership_id, Attendance.absence_notice)
        .join(
            Meeting,
            and_(Meeting.circle_id == Attendance.circle_id, Meeting.id == Attendance.meeting_id),
        )
        .where(
            Attendance.circle_id == circle.id,
            Attendance.membership_id.in_(ids),
            Attendance.absence_notice.is_not(None),
            Meeting.held_on > start,
            Meeting.held_on <= meeting.held_on,
        )
    ):
        sent.setdefault(membership_id, set()).add(notice)
    mailed = []
    for row in candidates:
        number = int(totals.get(row.membership_id, 0.0))
        if number not in NOTICES or number in sent.get(row.membership_id, set()):
            continue
        _mail_notice(circle, meeting, row, totals[row.membership_id])
        row.absence_notice = number
        sent.setdefault(row.membership_id, set()).add(number)
        mailed.append(row)
    db.session.flush()
    return mailed


def _mail_notice(circle: Circle, meeting: Meeting, row: Attendance, count: float) -> None:
    """Tell a member about an absence, how many they have, and where the limit lies."""
    member = row.member or db.session.get(Membership, row.membership_id)
    user = member.user
    if not choices.wants(user, "absence"):
        return  # the member chose not to get these notices
    with force_locale(user.locale):
        day = format_date(meeting.held_on, "long")
        if row.code == "L":
            first = _(
                "You were noted as late at the meeting of %(circle)s on %(day)s; "
                "in this circle, late counts as half an absence.",
                circle=circle.name,
                day=day,
            )
        else:
            first = _(
                "You were noted as absent at the meeting of %(circle)s on %(day)s.",
                circle=circle.name,
                day=day,
            )
        lines = [
            first,
            _(
                "That makes %(count)s absences within the last %(months)s months. "
                "With more than %(limit)s, your seat is at risk.",
                count=format_count(count, user.locale),
                months=circle.absence_window_months,
                limit=circle.absence_limit,
            ),
            _("If you cannot come, send a substitute: that is not an absence."),
            "",
            external_url("meetings.my_attendance", circle_id=circle.id),
        ]
        send_mail(
            user.email,
            _("Absence noted in %(circle)s", circle=circle.name),
            "\n".join(lines),
            circle_id=circle.id,
            headers=choices.unsubscribe_headers(user, "absence"),
        )
