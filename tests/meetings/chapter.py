"""A chapter for the meeting tests and those built on them: a circle with a vice
president, a secretary-treasurer, a membership committee member, two plain members who
joined long ago, and this week's meeting (``make_chapter``; the ``chapter`` fixture); and
sending a meeting's attendance form (``record_attendance``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from circle.extensions import db
from circle.models import Circle, Meeting, Membership, User

LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def today() -> date:
    """Today where the test circles meet."""
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


def this_week_start(weekday: int = 2) -> date:
    """The first day of the current circle week (the meeting weekday)."""
    day = today()
    return day - timedelta(days=(day.weekday() - weekday) % 7)


#: The first day of last week (at import: the week the tests lock and report on).
LAST_WEEK = this_week_start() - timedelta(weeks=1)


@dataclass
class Chapter:
    """A circle with officers, two plain members and this week's meeting."""

    circle: Circle
    admin: User
    vp: Membership
    secretary: Membership
    committee: Membership
    fritz: Membership
    paula: Membership
    meeting: Meeting


def make_chapter(app, make) -> Chapter:
    """A circle with officers, two plain members and this week's meeting; all joined long ago."""
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin)

    def seat(name, profession, role=None):
        member = make.member(circle, make.user(name=name, locale="en"), profession=profession)
        if role:
            make.officer(member, role)
        return make.joined(member, LONG_AGO)

    vp = seat("Viktor Vize", "Vertrieb", "vice_president")
    secretary = seat("Sarah Sekretär", "Steuerberatung", "secretary_treasurer")
    committee = seat("Carla Komitee", "Coaching", "membership_committee")
    fritz = seat("Fritz Foto", "Fotograf")
    paula = seat("Paula Pharma", "Apotheker")
    with app.test_request_context():
        for m in db.session.scalars(select(Membership).where(Membership.circle_id == circle.id)):
            m.joined_at = LONG_AGO
        db.session.commit()
        db.session.remove()
    meeting = make.meeting(circle, this_week_start())
    return Chapter(circle, admin, vp, secretary, committee, fritz, paula, meeting)


def url(ch: Chapter, path: str = "") -> str:
    """A path of the chapter's circle."""
    return f"/circles/{ch.circle.id}{path}"


def rows(app, model, **where):
    """The rows of ``model`` matching ``where``, read outside any request."""
    with app.app_context():
        out = list(db.session.scalars(select(model).filter_by(**where)))
        db.session.remove()
    return out


def record_attendance(forms, circle, meeting, codes: dict):
    """Send a meeting's attendance form with ``codes`` (member id -> code; others present)."""
    data = {f"code_{member_id}": code for member_id, code in codes.items()}
    return forms.submit(f"/circles/{circle.id}/meetings/{meeting.id}/attendance", data)
