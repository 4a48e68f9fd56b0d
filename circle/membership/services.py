"""Seat rules: at most ``seat_limit`` (≤ 40) seats, taken or reserved for an invitee, and
at most one per profession. Every path that fills a seat locks the circle row, counts,
checks the profession (``check_seat_free``) and flushes in a savepoint (``take_seat``), so
the partial unique indexes turn a lost race into the same domain error instead of a 500.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from circle.auth.services import create_invited_user, find_user_by_email
from circle.auth.verification import require_confirmed
from circle.circles.access import lock_circle, owned, require_admin, seats_taken
from circle.core.clock import utcnow
from circle.core.errors import (
    AlreadyMember,
    CircleFull,
    Conflict,
    NotFound,
    ProfessionTaken,
    ValidationFailed,
)
from circle.extensions import db
from circle.mail.send import external_url, send_mail
from circle.membership.professions import get_or_create_profession
from circle.models import (
    LIVE_STATUSES,
    Circle,
    Invitation,
    Membership,
    MembershipRole,
    Profession,
    User,
)
from circle.models.invitation import reserving
from circle.roles.permissions import PERMISSIONS

# --- seat checks -------------------------------------------------------------------


def seat_holder(circle_id: int, profession_id: int) -> Membership | None:
    """The active member holding a profession's seat in a circle, if any."""
    return db.session.execute(
        select(Membership).where(
            Membership.circle_id == circle_id,
            Membership.profession_id == profession_id,
            Membership.status == "active",
        )
    ).scalar_one_or_none()


def reservation_for(
    circle_id: int, profession_id: int, exclude: Invitation | None = None
) -> Invitation | None:
    """The open, unexpired invitation that reserves a profession's seat, if any."""
    query = select(Invitation).where(
        Invitation.circle_id == circle_id,
        Invitation.profession_id == profession_id,
        *reserving(),
    )
    if exclude is not None:
        query = query.where(Invitation.id != exclude.id)
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def check_seat_free(
    circle: Circle,
    profession: Profession,
    exclude: Membership | None = None,
    *,
    name_holder: bool = True,
    reservation: Invitation | None = None,
) -> None:
    """Raise ProfessionTaken or CircleFull when ``profession`` cannot get a seat now.

    ``exclude`` is a membership that already holds a seat and is only changing
    profession (it does not need a new seat); ``reservation`` is the invitation being
    accepted, whose reserved seat is the one to take. ``name_holder`` puts the holder's
    name in the message (for admins; applicants only learn that it is taken); a seat
    reserved for an invitee is named by what the admin typed, never by an account.
    """
    holder = seat_holder(circle.id, profession.id)
    if holder is not None and (exclude is None or holder.id != exclude.id):
        _refuse_taken(profession, holder.user.name if name_holder else None)
    reserved = reservation_for(circle.id, profession.id, exclude=reservation)
    if reserved is not None:
        _refuse_taken(profession, (reserved.name or reserved.email) if name_holder else None)
    needs_new_seat = exclude is None or not exclude.holds_seat
    taken = seats_taken(circle.id)
    if reservation is not None and reservation.reserves_seat:
        taken -= 1  # the seat being taken is counted already
    if needs_new_seat and taken >= circle.seat_limit:
        raise CircleFull(
            _(
                "The circle is full: %(taken)s of %(limit)s seats taken.",
                taken=taken,
                limit=circle.seat_limit,
            )
        )


def _refuse_taken(profession: Profession, name: str | None) -> None:
    """Raise ProfessionTaken, naming who holds the seat when ``name`` is given."""
    if name is not None:
        message = _(
            "The profession %(profession)s is already taken in this circle (%(name)s).",
            profession=profession.name,
            name=name,
        )
    else:
        message = _(
            "The profession %(profession)s is already taken in this circle.",
            profession=profession.name,
        )
    raise ProfessionTaken(message, field="profession")


def take_seat(membership: Membership) -> Membership:
    """Flush a membership that now holds a seat; a lost race becomes a domain error."""
    try:
        with db.session.begin_nested():
            db.session.add(membership)
    except IntegrityError as error:
        raise _integrity_to_domain(error, membership) from error
    return membership


def _integrity_to_domain(error: IntegrityError, membership: Membership) -> Exception:
    """Translate a unique-index violation on memberships into the matching domain error."""
    text = str(error.orig)
    if "uq_memberships_live_user" in text or "memberships.circle_id, memberships.user_id" in text:
        return AlreadyMember(_("This person is already in this circle."))
    profession = db.session.get(Profession, membership.profession_id)
    name = profession.name if profession else ""
    return ProfessionTaken(
        _("The profession %(profession)s is already taken in this circle.", profession=name),
        field="profession",
    )


def live_membership(circle_id: int, user_id: int) -> Membership | None:
    """The user's live (invited, applying, waitlisted or active) membership in a circle."""
    return db.session.execute(
        select(Membership).where(
            Membership.circle_id == circle_id,
            Membership.user_id == user_id,
            Membership.status.in_(LIVE_STATUSES),
        )
    ).scalar_one_or_none()


def member_in_circle(circle_id: int, membership_id: int) -> Membership:
    """Load a membership of this circle by id; another circle's id is NotFound."""
    membership = owned(Membership, circle_id, membership_id)
    if membership is None:
        raise NotFound(_("Member not found."))
    return membership


def refuse_if_live(circle_id: int, user: User) -> None:
    """Raise AlreadyMember when the user already holds or asked for a seat here."""
    existing = live_membership(circle_id, user.id)
    if existing is None:
        return
    if existing.status == "active":
        raise AlreadyMember(
            _("%(name)s is already a member of this circle.", name=user.name), field="email"
        )
    raise AlreadyMember(
        _("%(name)s has already applied to this circle or is on its waitlist.", name=user.name),
        field="email",
    )


# --- seating without an invitation --------------------------------------------------


def seat_directly(
    circle: Circle, actor: Membership, email: str, name: str, profession_name: str
) -> Membership:
    """Seat a person at once, unmailed: only for data an operator moves over (the demo).

    No page or API reaches it; admins there reserve and invite (``invitations.add_member``).
    """
    require_admin(actor)
    profession = get_or_create_profession(profession_name)
    locked = lock_circle(circle.id)
    user = find_user_by_email(email)
    if user is not None:
        refuse_if_live(locked.id, user)
    check_seat_free(locked, profession)
    if user is None:
        user = create_invited_user(email, name)
    return take_seat(
        Membership(
            circle_id=locked.id,
            user_id=user.id,
            profession_id=profession.id,
            role="member",
            status="active",
            joined_at=utcnow(),
        )
    )


# --- users ask for seats -----------------------------------------------------------


def apply(
    circle: Circle,
    user: User,
    profession_name: str,
    *,
    waitlist: bool = False,
    sponsor: Membership | None = None,
    answers: dict[str, str] | None = None,
) -> Membership:
    """Apply for a profession's seat; with ``waitlist`` join its waitlist when it is taken.

    Refuses (ProfessionTaken / CircleFull) without ``waitlist`` so the user can choose.
    ``sponsor`` (an active member) and ``answers`` are checked by the caller
    (``circle.membership.applications``).
    """
    profession = get_or_create_profession(profession_name)
    locked = lock_circle(circle.id)
    refuse_if_live(locked.id, user)
    status = "applicant"
    try:
        check_seat_free(locked, profession, name_holder=False)
    except (ProfessionTaken, CircleFull):
        if not waitlist:
            raise
        status = "waitlisted"
    membership = Membership(
        circle_id=locked.id,
        user_id=user.id,
        profession_id=profession.id,
        role="member",
        status=status,
        sponsor_id=sponsor.id if sponsor is not None else None,
        application_answers=answers or None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(membership)
    except IntegrityError as error:
        raise AlreadyMember(_("You have already applied to this circle.")) from error
    _mail_admins_about_application(locked, membership)
    return membership


def withdraw(circle: Circle, user: User) -> Membership:
    """Withdraw one's own application or waitlist place."""
    membership = live_membership(circle.id, user.id)
    if membership is None or membership.status not in ("applicant", "waitlisted", "invited"):
        raise NotFound(_("You have no open application in this circle."))
    _end(membership, "left")
    return membership


def accept_offer(circle: Circle, user: User) -> Membership:
    """Take a freed seat that was offered to the first person on the waitlist."""
    locked = lock_circle(circle.id)
    membership = live_membership(locked.id, user.id)
    if membership is None or membership.status != "waitlisted" or membership.offered_at is None:
        raise NotFound(_("There is no seat offered to you in this circle."))
    require_confirmed(user)
    check_seat_free(locked, membership.profession, name_holder=False)
    membership.status = "active"
    membership.joined_at = utcnow()
    membership.offered_at = None
    return take_seat(membership)


def waitlist(circle_id: int) -> list[Membership]:
    """Waitlisted people of a circle, first in line first."""
    return list(
        db.session.execute(
            select(Membership)
            .where(Membership.circle_id == circle_id, Membership.status == "waitlisted")
            .order_by(Membership.created_at, Membership.id)
        ).scalars()
    )


# --- admins change seats -----------------------------------------------------------


def remove(circle: Circle, actor: Membership, membership_id: int) -> Membership:
    """Remove a member (admins): the seat is freed, the membership and its history stay."""
    require_admin(actor)
    locked = lock_circle(circle.id)
    membership = member_in_circle(locked.id, membership_id)
    if membership.status != "active":
        raise NotFound(_("Member not found."))
    _keep_an_admin(locked.id, membership)
    _end(membership, "removed")
    offer_freed_seat(locked)
    return membership


def leave(circle: Circle, user: User) -> Membership:
    """Give up one's own seat; the last admin must appoint another admin first."""
    locked = lock_circle(circle.id)
    membership = live_membership(locked.id, user.id)
    if membership is None or membership.status != "active":
        raise NotFound(_("You are not a member of this circle."))
    _keep_an_admin(locked.id, membership)
    _end(membership, "left")
    offer_freed_seat(locked)
    return membership


def change_profession(
    circle: Circle, actor: Membership, membership_id: int, profession_name: str
) -> Membership:
    """Move a member to another profession (admins); the seat rules apply."""
    require_admin(actor)
    profession = get_or_create_profession(profession_name)
    locked = lock_circle(circle.id)
    membership = member_in_circle(locked.id, membership_id)
    if membership.status != "active":
        raise NotFound(_("Member not found."))
    if membership.profession_id == profession.id:
        return membership
    check_seat_free(locked, profession, exclude=membership)
    membership.profession_id = profession.id
    take_seat(membership)
    db.session.refresh(membership, ["profession"])
    offer_freed_seat(locked)
    return membership


def set_role(circle: Circle, actor: Membership, membership_id: int, role: str) -> Membership:
    """Appoint or dismiss an admin (admins); a circle always keeps one admin."""
    require_admin(actor)
    if role not in ("member", "admin"):
        raise ValidationFailed(_("Unknown role."), field="role")
    locked = lock_circle(circle.id)
    membership = member_in_circle(locked.id, membership_id)
    if membership.status != "active":
        raise NotFound(_("Member not found."))
    if role == "member" and membership.role == "admin":
        if membership.profession_id is None:
            raise Conflict(_("An organiser without a profession cannot become a plain member."))
        _keep_an_admin(locked.id, membership)
    membership.role = role
    db.session.flush()
    return membership


def _keep_an_admin(circle_id: int, leaving: Membership) -> None:
    """Refuse when ``leaving`` is the circle's only active admin."""
    if leaving.role != "admin":
        return
    admins = db.session.execute(
        select(func.count(Membership.id)).where(
            Membership.circle_id == circle_id,
            Membership.status == "active",
            Membership.role == "admin",
            Membership.id != leaving.id,
        )
    ).scalar_one()
    if admins == 0:
        raise Conflict(_("A circle needs at least one admin: appoint another admin first."))


def _end(membership: Membership, status: str) -> None:
    """End a membership without deleting it."""
    membership.status = status
    membership.ended_at = utcnow()
    membership.offered_at = None
    db.session.flush()


def offer_freed_seat(circle: Circle) -> Membership | None:
    """Offer a free seat to the first person on the waitlist whose profession is now free.

    Nobody is offered a seat while an earlier offer for the same profession is open.
    """
    if seats_taken(circle.id) >= circle.seat_limit:
        return None
    offered: set[int] = set()
    for candidate in waitlist(circle.id):
        if candidate.offered_at is not None:
            offered.add(candidate.profession_id)
            continue
        if candidate.profession_id in offered:
            continue
        if seat_holder(circle.id, candidate.profession_id) is not None:
            continue
        candidate.offered_at = utcnow()
        db.session.flush()
        link = external_url("circles.show_public", circle_id=circle.id)
        with force_locale(candidate.user.locale):
            send_mail(
                candidate.user.email,
                _("A seat is free in %(circle)s", circle=circle.name),
                _(
                    "The seat for %(profession)s in %(circle)s is free and offered to you as "
                    "the first on the waitlist. Accept it here:\n%(link)s",
                    profession=candidate.profession.name,
                    circle=circle.name,
                    link=link,
                ),
                circle_id=circle.id,
            )
        return candidate
    return None


# --- mail ---


def deciders(circle_id: int) -> list[Membership]:
    """Active members who may decide applications: admins and the roles that hold the right."""
    roles = select(MembershipRole.membership_id).where(
        MembershipRole.circle_id == circle_id,
        MembershipRole.role.in_(PERMISSIONS["approve_applications"]),
    )
    return list(
        db.session.execute(
            select(Membership)
            .where(
                Membership.circle_id == circle_id,
                Membership.status == "active",
                or_(Membership.role == "admin", Membership.id.in_(roles)),
            )
            .order_by(Membership.id)
        ).scalars()
    )


def _mail_admins_about_application(circle: Circle, membership: Membership) -> None:
    """Tell everyone who may decide (admins, membership committee ...) about a new request."""
    admins = deciders(circle.id)
    link = external_url("membership.applications", circle_id=circle.id)
    for admin in admins:
        with force_locale(admin.user.locale):
            if membership.status == "waitlisted":
                subject = _("New waitlist entry in %(circle)s", circle=circle.name)
            else:
                subject = _("New application in %(circle)s", circle=circle.name)
            send_mail(
                admin.user.email,
                subject,
                _(
                    "%(name)s asks for the seat %(profession)s. Review it here:\n%(link)s",
                    name=membership.user.name,
                    profession=membership.profession.name,
                    link=link,
                ),
                circle_id=circle.id,
            )
