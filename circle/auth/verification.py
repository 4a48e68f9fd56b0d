"""Confirmed e-mail addresses: the mailed link that proves an address, and the rule using it.

A new account, and a new address asked for on the account page, is confirmed by a
signed, expiring link (itsdangerous, like the password-reset link) mailed to that
address. The link carries a fingerprint of the account's address state, so it works
once: confirming changes the state and every older link stops working. It works only
for the logged-in owner (mailbox and password both). An unconfirmed
account may log in, but may not create a circle, apply or take a seat
(``require_confirmed``). Links come from ``circle.mail.send.external_url``.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from circle.auth.events import auth_event
from circle.core.clock import utcnow
from circle.core.errors import EmailNotConfirmed, EmailTaken, NotFound
from circle.core.security import token_hash
from circle.extensions import db
from circle.mail.send import external_url, send_mail
from circle.models import User


def _serializer() -> URLSafeTimedSerializer:
    """Signer for confirmation links, keyed by the app secret."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="email-confirm")


def _fingerprint(user: User) -> str:
    """A digest of the address state; it changes when an address is confirmed or replaced."""
    confirmed = user.email_verified_at.isoformat() if user.email_verified_at else ""
    return token_hash(f"{user.id}|{user.email}|{user.pending_email or ''}|{confirmed}")[:16]


def make_confirm_token(user: User, address: str) -> str:
    """A signed, expiring, single-use token that confirms ``address`` for ``user``."""
    return _serializer().dumps({"u": user.id, "e": address, "f": _fingerprint(user)})


def _invalid() -> NotFound:
    """The one refusal for a bad, used or expired link."""
    return NotFound(_("This link is invalid or has expired."))


def address_to_confirm(token: str, user: User) -> str:
    """The address a link confirms for the logged-in ``user``; NotFound when the link is
    forged, expired, already used or made for another account.
    """
    try:
        data = _serializer().loads(token, max_age=current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    except (SignatureExpired, BadSignature) as error:
        raise _invalid() from error
    if not isinstance(data, dict) or data.get("u") != user.id:
        raise _invalid()
    address = data.get("e")
    if data.get("f") != _fingerprint(user) or not address:
        raise _invalid()
    if address == user.pending_email:
        return address
    if address == user.email and user.email_verified_at is None:
        return address
    raise _invalid()


def confirm(token: str, user: User) -> User:
    """Follow a confirmation link while logged in: confirm the account's address, or make
    the pending new address the login address.

    The link alone is not enough: whoever follows it must also know the password, so an
    account someone else registered with your address cannot be confirmed from your
    mailbox, nor yours from theirs. NotFound for a bad, used, expired or foreign link;
    EmailTaken when another account took the new address in the meantime.
    """
    address = address_to_confirm(token, user)
    event = "email_confirm"
    if address == user.pending_email:
        if _taken_by_other(user, address):
            raise EmailTaken(_("An account with this e-mail address already exists."))
        user.email = address
        user.pending_email = None
        event = "email_change"
    user.email_verified_at = utcnow()
    db.session.flush()
    auth_event(event, "success", user=user)
    return user


def _taken_by_other(user: User, address: str) -> bool:
    """True when another account holds ``address`` (any case)."""
    return (
        db.session.execute(
            select(User.id).where(func.lower(User.email) == address, User.id != user.id)
        ).first()
        is not None
    )


def mark_confirmed(user: User) -> None:
    """Record that the owner proved the account's address another way (a link mailed to it)."""
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()


def require_confirmed(user: User) -> None:
    """Raise EmailNotConfirmed until the account's address is confirmed."""
    if user.email_verified_at is None:
        raise EmailNotConfirmed(
            _(
                "Please confirm your e-mail address first: follow the link we mailed to "
                "%(email)s, or ask for a new one on your account page.",
                email=user.email,
            )
        )


def send_confirmation(user: User, address: str | None = None) -> None:
    """Mail the confirmation link to ``address`` (the account's own address by default)."""
    target = address or user.email
    link = external_url("auth.confirm_email", token=make_confirm_token(user, target))
    hours = max(current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 3600, 1)
    with force_locale(user.locale):
        send_mail(
            target,
            _("Confirm your e-mail address for Circle"),
            _(
                "Hello %(name)s,\n\nplease confirm that %(email)s is your address for Circle. "
                "The link works once and for %(hours)s hours:\n%(link)s\n\nIf you did not ask "
                "for this, ignore this mail.\n",
                name=user.name,
                email=target,
                hours=hours,
                link=link,
            ),
        )


def mail_new_address(user: User) -> None:
    """Mail the confirmation link to the pending new address; when another account holds
    that address, tell its owner instead (the requester sees no difference).
    """
    address = user.pending_email or ""
    owner = db.session.execute(
        select(User).where(func.lower(User.email) == address, User.id != user.id)
    ).scalar_one_or_none()
    if owner is None:
        send_confirmation(user, address)
        return
    with force_locale(owner.locale):
        send_mail(
            owner.email,
            _("Someone wanted to use your address for Circle"),
            _(
                "Hello %(name)s,\n\nsomeone asked to make %(email)s, the address of your "
                "Circle account, the address of another account. Nothing was changed, and "
                "nothing needs to be done.\n",
                name=owner.name,
                email=owner.email,
            ),
        )


def resend_confirmation(user: User) -> bool:
    """Mail a new link for the pending address, else for an unconfirmed account address.

    Returns False when there is nothing to confirm.
    """
    if user.pending_email:
        mail_new_address(user)
    elif user.email_verified_at is None:
        send_confirmation(user)
    else:
        return False
    auth_event("email_confirm_request", "sent", user=user)
    return True


def mail_registration_attempt(user: User) -> None:
    """Tell the owner of an address that someone tried to register it again."""
    link = external_url("auth.forgot_password")
    with force_locale(user.locale):
        send_mail(
            user.email,
            _("Someone tried to register with your address"),
            _(
                "Hello %(name)s,\n\nsomeone tried to create a new Circle account with "
                "%(email)s, which already has an account. If it was you: you can log in, or "
                "choose a new password here if you forgot it:\n%(link)s\n\nIf it was not you, "
                "ignore this mail: nothing was changed.\n",
                name=user.name,
                email=user.email,
                link=link,
            ),
        )


def mail_change_notice(user: User, new_address: str) -> None:
    """Tell the current address that a change to ``new_address`` waits for confirmation."""
    with force_locale(user.locale):
        send_mail(
            user.email,
            _("Your Circle address is about to change"),
            _(
                "Hello %(name)s,\n\nsomeone logged in to your Circle account asked to change "
                "its e-mail address to %(new)s. The change takes effect only once the link "
                "mailed to that address is followed. If this was not you, change your "
                "password now and log out your other sessions on your account page.\n",
                name=user.name,
                new=new_address,
            ),
        )
