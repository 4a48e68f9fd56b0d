"""Visitors: recorded at a meeting by visitor hosts, credited to the inviting member.

A visitor attends at most ``circle.visitor_max_visits`` meetings before applying. The
visits are counted under a row lock on the visitor (PostgreSQL ``FOR UPDATE``), and the
unique ``(visitor, meeting)`` index refuses the same visit twice, so two hosts clicking
at once cannot overshoot. A visitor with an e-mail can be invited to apply: a mailed link,
and an application sponsored by the inviter once the visitor accepts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defaultload

from circle.auditlog.record import record, snapshot
from circle.circles.access import Listed, listed_with_built, owned
from circle.core.errors import Conflict, NotAMember, NotFound, ValidationFailed
from circle.core.paging import (
    Keyset,
    KeysetPage,
    Position,
    keyset_bound,
    keyset_page,
)
from circle.core.weeks import today_for
from circle.db import count_where
from circle.extensions import db
from circle.membership import invitations
from circle.models import Circle, Invitation, Meeting, Membership, Visitor, VisitorVisit
from circle.roles.permissions import require

#: Meetings offered when recording a visit: this many weeks back and ahead of today.
WEEKS_BACK = 8
WEEKS_AHEAD = 4
#: Column sizes of the visitor's details.
LIMITS = {"name": 200, "company": 200, "profession": 120, "email": 254, "phone": 50}
SNAPSHOT = ("name", "company", "profession_name", "email", "phone", "invited_by_id")
#: Visitors shown per page of the visitors page (each row carries its forms).
PER_PAGE = 10


def _clean(value: str | None, field: str, *, required: bool = False) -> str:
    """Collapse spaces and check a detail's length (and presence when required)."""
    text = " ".join((value or "").split())
    if required and not text:
        messages = {
            "name": _("Please enter the visitor's name."),
            "profession": _("Please enter a profession."),
        }
        raise ValidationFailed(messages[field], field=field)
    if len(text) > LIMITS[field]:
        raise ValidationFailed(_("At most %(n)s characters, please.", n=LIMITS[field]), field=field)
    return text


def _inviter(circle_id: int, membership_id: int) -> Membership:
    """The active member credited with the invitation."""
    inviter = owned(Membership, circle_id, membership_id)
    if inviter is None or inviter.status != "active":
        raise NotAMember(_("The inviting member is not in this circle."), field="invited_by_id")
    return inviter


def _meeting(circle_id: int, meeting_id: int) -> Meeting:
    """A meeting of this circle that takes place."""
    meeting = owned(Meeting, circle_id, meeting_id)
    if meeting is None:
        raise ValidationFailed(_("Choose a meeting of this circle."), field="meeting_id")
    if meeting.is_cancelled:
        raise Conflict(_("This meeting is cancelled."), field="meeting_id")
    return meeting


def meeting_choices(circle: Circle) -> list[Meeting]:
    """Meetings a visit can be recorded at: recent and upcoming ones, newest first."""
    today = today_for(circle)
    values = {
        "visits_circle": circle.id,
        "visits_from": today - timedelta(weeks=WEEKS_BACK),
        "visits_until": today + timedelta(weeks=WEEKS_AHEAD),
    }
    return list(db.session.execute(_meetings_statement(), values).scalars())


@cache
def _meetings_statement() -> Select:
    """The statement of ``meeting_choices`` (built once per process)."""
    return (
        select(Meeting)
        .where(
            Meeting.circle_id == bindparam("visits_circle"),
            Meeting.status == "scheduled",
            Meeting.held_on >= bindparam("visits_from"),
            Meeting.held_on <= bindparam("visits_until"),
        )
        .order_by(Meeting.held_on.desc())
    )


def default_meeting(meetings: list[Meeting], circle: Circle) -> Meeting | None:
    """Today's or the latest past meeting, else the next one."""
    today = today_for(circle)
    past = [m for m in meetings if m.held_on <= today]
    if past:
        return max(past, key=lambda m: m.held_on)
    return min(meetings, key=lambda m: m.held_on) if meetings else None


def record_visitor(
    circle: Circle,
    actor: Membership,
    *,
    name: str,
    profession: str,
    invited_by_id: int,
    meeting_id: int,
    company: str = "",
    email: str = "",
    phone: str = "",
) -> Visitor:
    """Record a new visitor at a meeting, credited to the inviting member (``manage_visitors``)."""
    require(actor, "manage_visitors")
    visitor = Visitor(
        circle_id=circle.id,
        name=_clean(name, "name", required=True),
        company=_clean(company, "company"),
        profession_name=_clean(profession, "profession", required=True),
        email=_clean(email, "email").lower(),
        phone=_clean(phone, "phone"),
        invited_by_id=_inviter(circle.id, invited_by_id).id,
        created_by_id=actor.user_id,
    )
    meeting = _meeting(circle.id, meeting_id)
    db.session.add(visitor)
    db.session.flush()
    record(
        circle.id, "visitor", visitor.id, "create", actor.user, after=snapshot(visitor, SNAPSHOT)
    )
    _add_visit(circle, actor, visitor, meeting)
    return visitor


def visitor_in_circle(circle_id: int, visitor_id: int, *, lock: bool = False) -> Visitor:
    """A visitor of this circle (under a row lock with ``lock``); others are NotFound."""
    query = select(Visitor).where(Visitor.circle_id == circle_id, Visitor.id == visitor_id)
    if lock:
        query = query.with_for_update(of=Visitor).execution_options(populate_existing=True)
    visitor = db.session.execute(query).unique().scalar_one_or_none()
    if visitor is None:
        raise NotFound(_("Visitor not found."))
    return visitor


def add_visit(circle: Circle, actor: Membership, visitor_id: int, meeting_id: int) -> Visitor:
    """Record a returning visitor at another meeting; refused beyond the circle's limit."""
    require(actor, "manage_visitors")
    visitor = visitor_in_circle(circle.id, visitor_id, lock=True)
    meeting = _meeting(circle.id, meeting_id)
    _add_visit(circle, actor, visitor, meeting)
    return visitor


def _add_visit(circle: Circle, actor: Membership, visitor: Visitor, meeting: Meeting) -> None:
    """Count the visits (the visitor row is locked or new) and add one in a savepoint."""
    visits = visit_count(visitor)
    if visits >= circle.visitor_max_visits:
        raise Conflict(
            _(
                "%(name)s has already visited %(n)s times: to come again, they must apply "
                "for membership.",
                name=visitor.name,
                n=visits,
            ),
            field="meeting_id",
        )
    try:
        with db.session.begin_nested():
            db.session.add(
                VisitorVisit(circle_id=circle.id, visitor_id=visitor.id, meeting_id=meeting.id)
            )
    except IntegrityError as error:
        raise Conflict(
            _("%(name)s is already recorded at this meeting.", name=visitor.name),
            field="meeting_id",
        ) from error
    record(
        circle.id,
        "visitor",
        visitor.id,
        "record",
        actor.user,
        after={"meeting_id": meeting.id, "held_on": meeting.held_on.isoformat()},
    )


def visit_count(visitor: Visitor) -> int:
    """How many meetings a visitor has attended."""
    return db.session.execute(
        select(func.count(VisitorVisit.id)).where(
            VisitorVisit.circle_id == visitor.circle_id, VisitorVisit.visitor_id == visitor.id
        )
    ).scalar_one()


def visitors(circle_id: int) -> list[Visitor]:
    """The visitors of a circle, newest first."""
    return list(
        db.session.execute(
            select(Visitor)
            .where(Visitor.circle_id == circle_id)
            .order_by(Visitor.created_at.desc(), Visitor.id.desc())
        )
        .unique()
        .scalars()
    )


def visits_by_visitor(circle_id: int) -> dict[int, list[VisitorVisit]]:
    """Every visit of a circle's visitors, by visitor id, oldest first."""
    out: dict[int, list[VisitorVisit]] = {}
    rows = (
        db.session.execute(
            select(VisitorVisit)
            .join(
                Meeting,
                (Meeting.circle_id == VisitorVisit.circle_id)
                & (Meeting.id == VisitorVisit.meeting_id),
            )
            .where(VisitorVisit.circle_id == circle_id)
            .order_by(Meeting.held_on, VisitorVisit.id)
        )
        .unique()
        .scalars()
    )
    for visit in rows:
        out.setdefault(visit.visitor_id, []).append(visit)
    return out


@dataclass(frozen=True)
class VisitorRow:
    """A visitor on the visitors page with the starts of the meetings they visited."""

    visitor: Visitor
    visits: list[datetime]


def _position(row: VisitorRow) -> Position:
    """A visitor's place in the list: newest first by when they were recorded."""
    return Position(row.visitor.created_at, row.visitor.id)


def visitor_page(circle_id: int, asked: Keyset) -> KeysetPage[VisitorRow]:
    """One page (``PER_PAGE``) of the circle's visitors, newest first, each with their
    visits (oldest first): one statement, whatever the length of the history."""
    values = {"visitors_circle": circle_id, **asked.bound()}
    rows = db.session.execute(_visitor_page_statement(asked.way), values).all()
    found: dict[int, VisitorRow] = {}
    for visitor, visit_id, starts_at in rows:
        row = found.setdefault(visitor.id, VisitorRow(visitor, []))
        if visit_id is not None:
            row.visits.append(starts_at)
    return keyset_page(list(found.values()), _position, asked, PER_PAGE)


@cache
def _visitor_page_statement(way: str) -> Select:
    """The statement of ``visitor_page`` for the pages read ``way`` (built once each)."""
    page = keyset_bound(
        select(Visitor.id).where(Visitor.circle_id == bindparam("visitors_circle")),
        Visitor.created_at,
        Visitor.id,
        way,
        PER_PAGE,
    ).subquery()
    return (
        select(Visitor, VisitorVisit.id, Meeting.starts_at)
        .join(page, page.c.id == Visitor.id)
        .outerjoin(
            VisitorVisit,
            (VisitorVisit.circle_id == Visitor.circle_id) & (VisitorVisit.visitor_id == Visitor.id),
        )
        .outerjoin(
            Meeting,
            (Meeting.circle_id == VisitorVisit.circle_id) & (Meeting.id == VisitorVisit.meeting_id),
        )
        .order_by(Meeting.held_on, VisitorVisit.id)
        # The inviter with user and profession, not their circle (the page's own).
        .options(defaultload(Visitor.invited_by).lazyload(Membership.circle))
    )


def inviters(circle_id: int) -> list[tuple[Listed, int]]:
    """The circle's active members (``roster`` order, as plain rows) with how many
    visitors each invited, in one statement."""
    return listed_with_built(circle_id, _invited)


def _invited(circle: BindParameter) -> tuple[ColumnElement, ...]:
    """How many visitors each member invited (correlated to ``Membership``), in the circle
    of the bound parameter: the column of ``inviters``."""
    return (
        count_where(Visitor, Visitor.circle_id == circle, Visitor.invited_by_id == Membership.id),
    )


def invited_by(member: Membership) -> int:
    """How many visitors a member invited."""
    return db.session.execute(
        select(func.count(Visitor.id)).where(
            Visitor.circle_id == member.circle_id, Visitor.invited_by_id == member.id
        )
    ).scalar_one()


def turn_into_applicant(circle: Circle, actor: Membership, visitor_id: int) -> Invitation:
    """Invite a visitor to apply for their profession's seat (``manage_visitors``).

    Needs the visitor's e-mail and profession. Mails a link; the visitor becomes an
    applicant (sponsored by the inviter) only on accepting it, logged in or registered
    with that address. The host sees the same outcome whether or not the address has an
    account, and only what was recorded about the visitor. Asking again re-sends the link.
    """
    require(actor, "manage_visitors")
    visitor = visitor_in_circle(circle.id, visitor_id, lock=True)
    if visitor.applicant_id is not None:
        raise Conflict(_("%(name)s is already an applicant.", name=visitor.name))
    if not visitor.email:
        raise ValidationFailed(
            _("%(name)s needs an e-mail address to become an applicant.", name=visitor.name),
            field="email",
        )
    if not visitor.profession_name:
        raise ValidationFailed(
            _("%(name)s needs a profession to become an applicant.", name=visitor.name),
            field="profession",
        )
    invitation = invitations.invite_to_apply(circle, actor, visitor)
    record(
        circle.id,
        "visitor",
        visitor.id,
        "status",
        actor.user,
        before={"invited_to_apply": False},
        after={"invited_to_apply": True},
    )
    return invitation
