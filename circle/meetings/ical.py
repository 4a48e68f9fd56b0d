"""The calendar feed: a member's secret URL with the circle's meetings as iCalendar.

Only the SHA-256 of the token is stored (``membership.calendar_token_hash``); a new
token replaces the old one, whose URL stops working at once. The feed is written by
hand after RFC 5545: CRLF line ends, TEXT values escaped, lines folded at 75 octets.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from circle.core.security import new_token, token_hash
from circle.core.weeks import today_for
from circle.extensions import db
from circle.models import Circle, Meeting, Membership

#: How far back the feed lists past meetings.
PAST_DAYS = 92
PRODID = "-//Circle//Meetings//DE"
MAX_OCTETS = 75


def issue_token(member: Membership) -> str:
    """Give the member a new secret token (the old URL stops working); returns it once."""
    token = new_token()
    member.calendar_token_hash = token_hash(token)
    db.session.flush()
    return token


def member_for_token(token: str) -> Membership | None:
    """The active membership whose feed token this is, or None."""
    if not token or len(token) > 128:
        return None
    return db.session.execute(
        select(Membership).where(
            Membership.calendar_token_hash == token_hash(token), Membership.status == "active"
        )
    ).scalar_one_or_none()


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks (RFC 5545 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets, never inside a character."""
    out: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = MAX_OCTETS if not out else MAX_OCTETS - 1  # continuation lines start with " "
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _utc(value: datetime) -> str:
    """A UTC date-time as ``20250326T060000Z``."""
    return value.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def _event(circle: Circle, meeting: Meeting, host: str, stamp: datetime) -> list[str]:
    """The VEVENT lines of one meeting."""
    end = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
    lines = [
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.id}@{host}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(meeting.starts_at)}",
        f"DTEND:{_utc(end)}",
        f"SUMMARY:{escape_text(circle.name)}",
        "STATUS:CANCELLED" if meeting.is_cancelled else "STATUS:CONFIRMED",
    ]
    if meeting.place:
        lines.append(f"LOCATION:{escape_text(meeting.place)}")
    notes = [meeting.cancel_reason] if meeting.is_cancelled and meeting.cancel_reason else []
    if meeting.video_link:
        lines.append(f"URL:{meeting.video_link}")
        notes.append(meeting.video_link)
    if notes:
        lines.append(f"DESCRIPTION:{escape_text(chr(10).join(notes))}")
    lines.append("END:VEVENT")
    return lines


def feed(circle: Circle, host: str, now: datetime, today: date | None = None) -> str:
    """The circle's meetings (the last three months and those ahead) as an iCalendar text."""
    today = today or today_for(circle, now)
    meetings = db.session.execute(
        select(Meeting)
        .where(Meeting.circle_id == circle.id, Meeting.held_on >= today - timedelta(days=PAST_DAYS))
        .order_by(Meeting.held_on)
    ).scalars()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(circle.name)}",
        f"X-WR-TIMEZONE:{circle.timezone}",
    ]
    for meeting in meetings:
        lines += _event(circle, meeting, host, now)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
