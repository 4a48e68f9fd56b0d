"""Invitations by e-mail: "add a member" (reserves the seat) and plain invitations.

An admin never seats an account directly: both forms mail an invitation, and the person
joins when they accept it with the invited address (which confirms that address). "Add a
member" reserves the seat and the profession at once: the invitation counts toward the
seat limit and blocks the profession (``circle.models.invitation.reserving``) until it
is accepted, declined, revoked or expires; expiry is read from ``expires_at``, so an
expired reservation frees the seat without any job. A plain invitation reserves nothing:
the seat is checked again on acceptance. Until the invitee accepts, admins see only what
they typed (name and address), never the account behind the address.

A visitor host turns a visitor into an applicant the same way (``invite_to_apply``): the
visitor is mailed a link and the application is made only when they accept it, logged in
with that address; until then the hosts see only what they recorded about the visitor,
whether or not the address has an account.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, select

from circle.auditlog.record import record
from circle.auth.services import find_user_by_email, normalise_email
from circle.auth.verification import mark_confirmed
from circle.circles.access import find_circle, lock_circle, owned, require_admin
from circle.core.clock import utcnow
from circle.core.errors import AlreadyMember, Conflict, Forbidden, NotFound, ValidationFailed
from circle.core.security import new_token, token_hash
from circle.extensions import db
from circle.mail.send import external_url, send_mail
from circle.membership.professions import get_or_create_profession
from circle.membership.services import (
    apply,
    check_seat_free,
    live_membership,
    member_in_circle,
    refuse_if_live,
    take_seat,
)
from circle.models import Circle, Invitation, Membership, Profession, User, Visitor
from circle.models.invitation import reserving, still_open
from circle.roles.permissions import require


def add_member(
    circle: Circle, actor: Membership, email: str, name: str, profession_name: str
) -> Invitation:
    """Reserve a profession's seat for a person and mail them an invitation (admins).

    The seat counts as taken at once; the person joins when they accept. Returns the
    invitation (what the admin typed), never the account behind the address.
    """
    invitation, _token = _invite(circle, actor, email, name, profession_name, reserve=True)
    return invitation


def invite(
    circle: Circle, actor: Membership, email: str, name: str, profession_name: str
) -> tuple[Invitation, str]:
    """Invite someone by e-mail to a profession's seat (admins); returns the link token.

    The seat is checked now and again on acceptance; the token is stored hashed.
    """
    return _invite(circle, actor, email, name, profession_name, reserve=False)


def _invite(
    circle: Circle,
    actor: Membership,
    email: str,
    name: str,
    profession_name: str,
    *,
    reserve: bool,
) -> tuple[Invitation, str]:
    """Check the seat under the circle's lock, store the invitation and mail the link."""
    require_admin(actor)
    address = normalise_email(email)
    typed_name = " ".join(name.split())
    if reserve and not typed_name:
        raise ValidationFailed(_("Please enter the new member's name."), field="name")
    profession = get_or_create_profession(profession_name)
    locked = lock_circle(circle.id)
    user = find_user_by_email(address)
    if user is not None:
        refuse_if_live(locked.id, user)
    if reserve:
        _refuse_second_reservation(locked.id, address)
    check_seat_free(locked, profession)
    token = new_token()
    invitation = Invitation(
        circle_id=locked.id,
        email=address,
        name=typed_name,
        profession_id=profession.id,
        invited_by_id=actor.id,
        token_hash=token_hash(token),
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
        reserves_seat=reserve,
    )
    db.session.add(invitation)
    db.session.flush()
    _mail_invitation(locked, actor, invitation, profession, token, user)
    return invitation, token


def _refuse_second_reservation(circle_id: int, address: str) -> None:
    """Refuse a second open seat reservation for the same address in one circle."""
    open_one = db.session.execute(
        select(Invitation.id).where(
            Invitation.circle_id == circle_id, Invitation.email == address, *reserving()
        )
    ).first()
    if open_one is not None:
        raise Conflict(
            _("A seat is already reserved for %(email)s in this circle.", email=address),
            field="email",
        )


def _mail_invitation(
    circle: Circle,
    actor: Membership,
    invitation: Invitation,
    profession: Profession,
    token: str,
    user: User | None,
) -> None:
    """Mail the invitation link in the invitee's language (German for a new address)."""
    link = external_url("membership.invitation", token=token)
    days = current_app.config["INVITATION_DAYS"]
    with force_locale(user.locale if user else "de"):
        body = _(
            "%(admin)s invites you to take the seat for %(profession)s in the circle "
            "%(circle)s.\n\nAccept the invitation here (valid for %(days)s days):\n%(link)s\n",
            admin=actor.user.name,
            profession=profession.name,
            circle=circle.name,
            days=days,
            link=link,
        )
        if invitation.reserves_seat:
            body += "\n" + _(
                "The seat is kept for you until then. If you do not want it, decline the "
                "invitation on the same page: the seat is freed for someone else.\n"
            )
        send_mail(
            invitation.email,
            _("Invitation to %(circle)s", circle=circle.name),
            body,
            circle_id=circle.id,
        )


def open_invitations(circle_id: int) -> list[Invitation]:
    """Invitations of a circle that are neither accepted, declined, revoked nor expired."""
    values = {"open_circle": circle_id, "open_now": utcnow()}
    return list(db.session.execute(_open_statement(), values).scalars())


@cache
def _open_statement() -> Select:
    """The statement of ``open_invitations`` (built once per process)."""
    return (
        select(Invitation)
        .where(
            Invitation.circle_id == bindparam("open_circle"),
            *still_open(bindparam("open_now")),
        )
        .order_by(Invitation.created_at)
    )


def revoke_invitation(circle: Circle, actor: Membership, invitation_id: int) -> Invitation:
    """Withdraw an open invitation (admins); a reserved seat is free again."""
    require_admin(actor)
    invitation = owned(Invitation, circle.id, invitation_id)
    if invitation is None:
        raise NotFound(_("Invitation not found."))
    if invitation.is_open(utcnow()):
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
    """Take the invited (or reserved) seat. The account's e-mail must be the invited address.

    Accepting proves the address (the link was mailed to it), so it also confirms it. An
    invitation to apply makes the application instead (``accept_invitation_to_apply``).
    """
    invitation = invitation_by_token(token)
    check_invitation_addressee(invitation, user)
    if invitation.visitor_id is not None:
        return accept_invitation_to_apply(invitation, user)
    circle = lock_circle(invitation.circle_id)
    existing = live_membership(circle.id, user.id)
    if existing is not None and existing.status == "active":
        raise AlreadyMember(_("You are already a member of this circle."))
    profession = invitation.profession
    check_seat_free(circle, profession, reservation=invitation)
    mark_confirmed(user)
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


def decline_invitation(token: str, user: User) -> Invitation:
    """The invitee says no through the mailed link; a reserved seat is free again.

    Like accepting, only with the invited address (Forbidden for another account).
    """
    invitation = invitation_by_token(token)
    check_invitation_addressee(invitation, user)
    invitation.declined_at = utcnow()
    db.session.flush()
    return invitation


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
    circle = find_circle(invitation.circle_id)
    return circle, member_in_circle(circle.id, invitation.invited_by_id)


# --- invitations to apply (visitors) -----------------------------------------------


def open_invitation_to_apply(circle_id: int, visitor_id: int) -> Invitation | None:
    """The visitor's open invitation to apply, if one was mailed and is still valid."""
    return db.session.execute(
        select(Invitation)
        .where(
            Invitation.circle_id == circle_id,
            Invitation.visitor_id == visitor_id,
            *still_open(),
        )
        .order_by(Invitation.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def invited_to_apply(circle_id: int) -> tuple[set[int], datetime | None]:
    """Ids of the circle's visitors with an open invitation to apply, and the moment the
    first of those invitations expires (None without any), in one query."""
    values = {"open_circle": circle_id, "open_now": utcnow()}
    rows = db.session.execute(_to_apply_statement(), values).all()
    return {visitor for visitor, _expires in rows}, min((e for _v, e in rows), default=None)


@cache
def _to_apply_statement() -> Select:
    """The statement of ``invited_to_apply`` (built once per process)."""
    return select(Invitation.visitor_id, Invitation.expires_at).where(
        Invitation.circle_id == bindparam("open_circle"),
        Invitation.visitor_id.is_not(None),
        *still_open(bindparam("open_now")),
    )


def invite_to_apply(circle: Circle, actor: Membership, visitor: Visitor) -> Invitation:
    """Mail a visitor a link to apply for their profession's seat (``manage_visitors``).

    The caller has locked the visitor and checked that it has an address and no
    application. The same work and the same answer whether or not the address has an
    account: nothing about an account is read back to the host. A link mailed earlier is
    replaced (revoked), so asking again re-sends the invitation.
    """
    require(actor, "manage_visitors")
    profession = get_or_create_profession(visitor.profession_name)
    earlier = open_invitation_to_apply(circle.id, visitor.id)
    if earlier is not None:
        earlier.revoked_at = utcnow()
    token = new_token()
    invitation = Invitation(
        circle_id=circle.id,
        email=normalise_email(visitor.email),
        name=visitor.name,
        profession_id=profession.id,
        invited_by_id=actor.id,
        token_hash=token_hash(token),
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
        reserves_seat=False,
        visitor_id=visitor.id,
    )
    db.session.add(invitation)
    db.session.flush()
    _mail_invitation_to_apply(circle, actor, invitation, profession, token)
    return invitation


def _mail_invitation_to_apply(
    circle: Circle, actor: Membership, invitation: Invitation, profession: Profession, token: str
) -> None:
    """Mail the link to apply, in German (nothing is looked up about the address)."""
    link = external_url("membership.invitation", token=token)
    days = current_app.config["INVITATION_DAYS"]
    with force_locale("de"):
        body = _(
            "Thank you for visiting the circle %(circle)s. %(host)s invites you to apply for "
            "the seat for %(profession)s.\n\nTo apply, open this link (valid for %(days)s "
            "days), log in or create an account with this address and confirm:\n%(link)s\n\n"
            "If you do not want to apply, ignore this mail or decline on the same page.\n",
            circle=circle.name,
            host=actor.user.name,
            profession=profession.name,
            days=days,
            link=link,
        )
        send_mail(
            invitation.email,
            _("Your application to %(circle)s", circle=circle.name),
            body,
            circle_id=circle.id,
        )


def accept_invitation_to_apply(invitation: Invitation, user: User) -> Membership:
    """Make the application the visitor agreed to (the addressee checked by the caller).

    Sponsored by the member who invited the visitor when still active; a taken profession
    or a full circle puts the applicant on the waitlist. Following the mailed link proves
    the address, so it is confirmed.
    """
    visitor = db.session.execute(
        select(Visitor)
        .where(Visitor.circle_id == invitation.circle_id, Visitor.id == invitation.visitor_id)
        .with_for_update(of=Visitor)
    ).scalar_one()
    if visitor.applicant_id is not None:
        raise Conflict(_("This invitation was already used."))
    circle = find_circle(invitation.circle_id)
    mark_confirmed(user)
    sponsor = None
    if visitor.invited_by_id is not None:
        inviter = owned(Membership, circle.id, visitor.invited_by_id)
        sponsor = inviter if inviter is not None and inviter.status == "active" else None
    if sponsor is not None and sponsor.user_id == user.id:
        sponsor = None
    applicant = apply(circle, user, invitation.profession.name, waitlist=True, sponsor=sponsor)
    visitor.applicant_id = applicant.id
    invitation.accepted_at = utcnow()
    db.session.flush()
    record(
        circle.id,
        "visitor",
        visitor.id,
        "status",
        user,
        before={"applicant_id": None},
        after={"applicant_id": applicant.id, "status": applicant.status},
    )
    return applicant
