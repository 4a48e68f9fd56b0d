"""Accounts over the API: tokens, registration and ``/me``."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from circle.api.endpoint import Unauthorized, current_user, endpoint
from circle.api.schemas import MeOut, TokenCreated, TokenIn, TokenList, UserIn
from circle.api.schemas_people import RegisteredOut
from circle.auth import services as accounts
from circle.auth.twofactor import require_code
from circle.circles.access import circles_of
from circle.core.errors import Forbidden, ValidationFailed

#: Token issuing and registration are throttled per client address.
THROTTLE = "5 per minute"


@endpoint(
    "/tokens",
    "POST",
    summary="Issue a token",
    tag="tokens",
    body=TokenIn,
    response=TokenCreated,
    status=201,
    auth=False,
    problems=("unauthorized",),
    rate_limit=THROTTLE,
)
def create_token(data):
    """Exchange e-mail and password for a bearer token. The token is shown only this once.

    An account with two-factor login must send ``code`` too (from the app, or a recovery code).
    """
    user = accounts.check_login(data["email"], data["password"], via="api")
    if user is None:
        raise Unauthorized(_("Wrong e-mail address or password."))
    try:
        require_code(user, data["code"])
    except ValidationFailed as error:
        raise Unauthorized(error.message) from error
    _token, plain = accounts.create_api_token(user, data["name"])
    return {"token": plain}


@endpoint("/tokens", "GET", summary="List my tokens", tag="tokens", response=TokenList)
def list_tokens():
    """The caller's tokens that are not revoked, newest first (prefix only, never the token)."""
    return {"items": accounts.api_tokens_of(current_user())}


@endpoint("/tokens/<int:token_id>", "DELETE", summary="Revoke a token", tag="tokens")
def revoke_token(token_id):
    """Revoke one of the caller's tokens; another user's token is not found."""
    accounts.revoke_api_token(current_user(), token_id)


@endpoint(
    "/users",
    "POST",
    summary="Register",
    tag="accounts",
    body=UserIn,
    response=RegisteredOut,
    status=202,
    auth=False,
    problems=("forbidden",),
    rate_limit=THROTTLE,
)
def register(data):
    """Register while open registration is on (otherwise 403): a link to confirm the address
    is mailed to it. The answer is the same when the address already has an account (its
    owner is mailed instead), so it never tells whether an account exists.
    """
    if not current_app.config["OPEN_REGISTRATION"]:
        raise Forbidden(_("Registration is closed."))
    accounts.register_user(data["email"], data["password"], data["name"], data["locale"])
    address = accounts.normalise_email(data["email"])
    return {
        "email": address,
        "detail": _(
            "We have sent a mail to %(email)s. Follow the link in it to confirm the address.",
            email=address,
        ),
    }


@endpoint("/me", "GET", summary="My account", tag="accounts", response=MeOut)
def me():
    """The caller's account with every live membership (active, applied, waitlisted, invited)."""
    user = current_user()
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "locale": user.locale,
        "memberships": circles_of(user),
    }
