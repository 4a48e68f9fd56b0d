"""Visitors: recorded at a meeting by visitor hosts, credited to the inviting member.

A visitor attends at most ``circle.visitor_max_visits`` meetings before applying. The
visits are counted under a row lock on the visitor (PostgreSQL ``FOR UPDATE``), and the
unique ``(visitor, meeting)`` index refuses the same visit twice, so two hosts clicking
at once cannot overshoot. A visitor with an e-mail can be turned into an applicant: an
account (new ones get a set-password mail) and an application sponsored by the inviter.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from circle.audit import record, snapshot
from circle.auth.services import create_invited_user, find_user_by_email, make_reset_token
from circle.circles.services import owned
from circle.errors import Conflict, NotAMember, NotFound, ValidationFailed
from circle.extensions import db
from circle.mail import external_url, send_mail
from circle.meetings.schedule import ensure_meetings
from circle.membership import services as membership
from circle.models import Circle, Meeting, Membership, Visitor, VisitorVisit
from circle.permissions import require
from circle.weeks import today_for

#: Meetings offered when recording a visit: this many weeks back and ahead of today.
WEEKS_BACK = 8
WEEKS_AHEAD = 4
#: Column sizes of the visitor's details.
LIMITS = {"name": 200, "company": 200, "profession": 120, "email": 254, "phone": 50}
SNAPSHOT = ("name", "company", "profession_name", "email", "phone", "invited_by_id")


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
    ensure_meetings(circle)
    today = today_for(circle)
    return list(
        db.session.execute(
            select(Meeting)
            .where(
                Meeting.circle_id == circle.id,
                Meeting.status == "scheduled",
                Meeting.held_on >= today - timedelta(weeks=WEEKS_BACK),
                Meeting.held_on <= today + timedelta(weeks=WEEKS_AHEAD),
            )
            .order_by(Meeting.held_on.desc())
        ).scalars()
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


def invited_counts(circle_id: int) -> Counter:
    """How many visitors each member invited (membership id → count)."""
    rows = db.session.execute(
        select(Visitor.invited_by_id, func.count(Visitor.id))
        .where(Visitor.circle_id == circle_id, Visitor.invited_by_id.is_not(None))
        .group_by(Visitor.invited_by_id)
    )
    return Counter(dict(rows.all()))


def invited_by(member: Membership) -> int:
    """How many visitors a member invited."""
    return db.session.execute(
        select(func.count(Visitor.id)).where(
            Visitor.circle_id == member.circle_id, Visitor.invited_by_id == member.id
        )
    ).scalar_one()


def turn_into_applicant(circle: Circle, actor: Membership, visitor_id: int) -> Membership:
    """Make a visitor an applicant sponsored by the inviter (``manage_visitors``).

    Needs the visitor's e-mail; finds or creates the account (a new one gets a mail to
    choose a password). A taken profession or a full circle puts them on the waitlist.
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
    user = find_user_by_email(visitor.email)
    created = user is None
    if user is None:
        user = create_invited_user(visitor.email, visitor.name)
    sponsor = None
    if visitor.invited_by_id is not None:
        inviter = owned(Membership, circle.id, visitor.invited_by_id)
        sponsor = inviter if inviter is not None and inviter.status == "active" else None
    applicant = membership.apply(
        circle, user, visitor.profession_name, waitlist=True, sponsor=sponsor
    )
    visitor.applicant_id = applicant.id
    db.session.flush()
    record(
        circle.id,
        "visitor",
        visitor.id,
        "status",
        actor.user,
        before={"applicant_id": None},
        after={"applicant_id": applicant.id, "status": applicant.status},
    )
    _mail_applicant(circle, applicant, created)
    return applicant


def _mail_applicant(circle: Circle, applicant: Membership, created: bool) -> None:
    """Tell the new applicant; a new account gets a link to choose a password."""
    user = applicant.user
    with force_locale(user.locale):
        if applicant.status == "waitlisted":
            body = _(
                "You are on the waitlist for the seat %(profession)s in the circle %(circle)s.",
                profession=applicant.profession.name,
                circle=circle.name,
            )
        else:
            body = _(
                "Your application for the seat %(profession)s in the circle %(circle)s was "
                "recorded after your visit; the membership committee decides on it.",
                profession=applicant.profession.name,
                circle=circle.name,
            )
        if created:
            link = external_url("auth.reset_password", token=make_reset_token(user))
            body += "\n\n" + _("Choose your password here:\n%(link)s", link=link)
        send_mail(user.email, _("Your application to %(circle)s", circle=circle.name), body)
