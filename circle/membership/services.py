"""Seat rules: at most ``seat_limit`` (≤ 40) active seats, at most one per profession.

Every path that fills a seat goes through ``take_seat``: it locks the circle row,
counts, checks the profession, and flushes inside a savepoint so that the partial
unique indexes turn a lost race into the same domain error instead of a 500.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from circle.auth.services import create_invited_user, find_user_by_email, normalise_email
from circle.circles.services import lock_circle, owned, require_admin, seats_taken
from circle.db import utcnow
from circle.errors import (
    AlreadyMember,
    CircleFull,
    Conflict,
    Forbidden,
    NotFound,
    ProfessionTaken,
    ValidationFailed,
)
from circle.extensions import db
from circle.mail import external_url, send_mail
from circle.models import (
    LIVE_STATUSES,
    Circle,
    Invitation,
    Membership,
    Profession,
    User,
    profession_key,
)
from circle.security import new_token, token_hash

MAX_PROFESSION_LENGTH = 120


# --- professions -------------------------------------------------------------------


def get_or_create_profession(name: str) -> Profession:
    """Find a profession by its normalised name or add it to the platform-wide list."""
    clean = " ".join(name.split())
    if not clean:
        raise ValidationFailed(_("Please enter a profession."), field="profession")
    if len(clean) > MAX_PROFESSION_LENGTH:
        raise ValidationFailed(
            _("A profession has at most %(n)s characters.", n=MAX_PROFESSION_LENGTH),
            field="profession",
        )
    key = profession_key(clean)
    existing = _profession_by_key(key)
    if existing is not None:
        return existing
    profession = Profession(name=clean, key=key)
    try:
        with db.session.begin_nested():
            db.session.add(profession)
    except IntegrityError:
        # Another request added the same profession a moment ago.
        existing = _profession_by_key(key)
        if existing is None:
            raise
        return existing
    return profession


def _profession_by_key(key: str) -> Profession | None:
    """Look a profession up by its normalised key."""
    return db.session.execute(select(Profession).where(Profession.key == key)).scalar_one_or_none()


def list_professions() -> list[Profession]:
    """All professions, by name."""
    return list(db.session.execute(select(Profession).order_by(Profession.name)).scalars())


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


def check_seat_free(
    circle: Circle,
    profession: Profession,
    exclude: Membership | None = None,
    *,
    name_holder: bool = True,
) -> None:
    """Raise ProfessionTaken or CircleFull when ``profession`` cannot get a seat now.

    ``exclude`` is a membership that already holds a seat and is only changing
    profession (it does not need a new seat). ``name_holder`` puts the holder's
    name in the message (for admins; applicants only learn that it is taken).
    """
    holder = seat_holder(circle.id, profession.id)
    if holder is not None and (exclude is None or holder.id != exclude.id):
        if name_holder:
            message = _(
                "The profession %(profession)s is already taken in this circle (%(name)s).",
                profession=profession.name,
                name=holder.user.name,
            )
        else:
            message = _(
                "The profession %(profession)s is already taken in this circle.",
                profession=profession.name,
            )
        raise ProfessionTaken(message, field="profession")
    needs_new_seat = exclude is None or not exclude.holds_seat
    taken = seats_taken(circle.id)
    if needs_new_seat and taken >= circle.seat_limit:
        raise CircleFull(
            _(
                "The circle is full: %(taken)s of %(limit)s seats taken.",
                taken=taken,
                limit=circle.seat_limit,
            )
        )


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


def _refuse_if_live(circle_id: int, user: User) -> None:
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


# --- admins fill seats -------------------------------------------------------------


def add_member(
    circle: Circle,
    actor: Membership,
    email: str,
    name: str,
    profession_name: str,
    *,
    notify: bool = True,
) -> Membership:
    """Seat a person directly (admins). Unknown e-mails get an account and a set-password mail.

    ``notify=False`` seats people without mailing them (moving an existing chapter over,
    the demo data); a new account then sets its password through "forgot password".
    """
    require_admin(actor)
    profession = get_or_create_profession(profession_name)
    locked = lock_circle(circle.id)
    user = find_user_by_email(email)
    if user is not None:
        _refuse_if_live(locked.id, user)
    check_seat_free(locked, profession)
    created = user is None
    if user is None:
        user = create_invited_user(email, name)
    membership = take_seat(
        Membership(
            circle_id=locked.id,
            user_id=user.id,
            profession_id=profession.id,
            role="member",
            status="active",
            joined_at=utcnow(),
        )
    )
    if notify:
        _mail_welcome(locked, user, profession, created)
    return membership


def invite(
    circle: Circle, actor: Membership, email: str, name: str, profession_name: str
) -> tuple[Invitation, str]:
    """Invite someone by e-mail to a profession's seat (admins); returns the link token.

    The seat is checked now and again on acceptance; the token is stored hashed.
    """
    require_admin(actor)
    address = normalise_email(email)
    profession = get_or_create_profession(profession_name)
    user = find_user_by_email(address)
    if user is not None:
        _refuse_if_live(circle.id, user)
    check_seat_free(circle, profession)
    token = new_token()
    invitation = Invitation(
        circle_id=circle.id,
        email=address,
        name=name.strip(),
        profession_id=profession.id,
        invited_by_id=actor.id,
        token_hash=token_hash(token),
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    link = external_url("membership.invitation", token=token)
    with force_locale(user.locale if user else "de"):
        send_mail(
            address,
            _("Invitation to %(circle)s", circle=circle.name),
            _(
                "%(admin)s invites you to take the seat for %(profession)s in the circle "
                "%(circle)s.\n\nAccept the invitation here (valid for %(days)s days):\n%(link)s\n",
                admin=actor.user.name,
                profession=profession.name,
                circle=circle.name,
                days=current_app.config["INVITATION_DAYS"],
                link=link,
            ),
        )
    return invitation, token


def open_invitations(circle_id: int) -> list[Invitation]:
    """Invitations of a circle that are neither accepted, revoked nor expired."""
    now = utcnow()
    return list(
        db.session.execute(
            select(Invitation)
            .where(
                Invitation.circle_id == circle_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at)
        ).scalars()
    )


def revoke_invitation(circle: Circle, actor: Membership, invitation_id: int) -> Invitation:
    """Withdraw an open invitation (admins)."""
    require_admin(actor)
    invitation = owned(Invitation, circle.id, invitation_id)
    if invitation is None:
        raise NotFound(_("Invitation not found."))
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        db.session.flush()
    return invitation


def invitation_by_token(token: str) -> Invitation:
    """Find an open invitation by its link token; NotFound when unknown, used or expired."""
    invitation = db.session.execute(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if invitation is None or not invitation.is_open(utcnow()):
        raise NotFound(_("This invitation link is invalid or has expired."))
    return invitation


def accept_invitation(token: str, user: User) -> Membership:
    """Take the invited seat. The account's e-mail must be the invited address."""
    invitation = invitation_by_token(token)
    check_invitation_addressee(invitation, user)
    circle = lock_circle(invitation.circle_id)
    existing = live_membership(circle.id, user.id)
    if existing is not None and existing.status == "active":
        raise AlreadyMember(_("You are already a member of this circle."))
    profession = invitation.profession
    check_seat_free(circle, profession)
    if existing is not None:  # an application or waitlist place turns into the seat
        existing.profession_id = profession.id
        existing.status = "active"
        existing.joined_at = utcnow()
        existing.offered_at = None
        membership = take_seat(existing)
    else:
        membership = take_seat(
            Membership(
                circle_id=circle.id,
                user_id=user.id,
                profession_id=profession.id,
                role="member",
                status="active",
                joined_at=utcnow(),
            )
        )
    invitation.accepted_at = utcnow()
    db.session.flush()
    return membership


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
    _refuse_if_live(locked.id, user)
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
            )
        return candidate
    return None


# --- mail --------------------------------------------------------------------------


def _mail_welcome(circle: Circle, user: User, profession: Profession, created: bool) -> None:
    """Tell a directly added member; a new account gets a link to set its password."""
    from circle.auth.services import make_reset_token

    with force_locale(user.locale):
        body = _(
            "You now hold the seat for %(profession)s in the circle %(circle)s.",
            profession=profession.name,
            circle=circle.name,
        )
        if created:
            link = external_url("auth.reset_password", token=make_reset_token(user))
            body += "\n\n" + _("Choose your password here:\n%(link)s", link=link)
        send_mail(user.email, _("Welcome to %(circle)s", circle=circle.name), body)


def _mail_admins_about_application(circle: Circle, membership: Membership) -> None:
    """Tell everyone who may decide (admins, membership committee ...) about a new request."""
    from circle.membership.applications import deciders

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
            )


# --- invitation page ---------------------------------------------------------------


def check_invitation_addressee(invitation: Invitation, user: User) -> None:
    """Raise Forbidden when ``user`` is logged in with another address than the invited one."""
    if normalise_email(user.email) != invitation.email:
        raise Forbidden(
            _(
                "This invitation was sent to %(email)s. Log in with that address to accept it.",
                email=invitation.email,
            )
        )


def invitation_details(invitation: Invitation) -> tuple[Circle, Membership]:
    """The circle of an invitation and the admin membership that sent it."""
    from circle.circles.services import find_circle

    circle = find_circle(invitation.circle_id)
    return circle, member_in_circle(circle.id, invitation.invited_by_id)
