"""Accounts: registration, login checks, password reset links and API tokens."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from circle.auth import sessions, throttle
from circle.auth.events import auth_event
from circle.auth.passwords import is_common_password
from circle.db import utcnow
from circle.errors import EmailTaken, NotFound, ValidationFailed
from circle.extensions import db
from circle.models import ApiToken, User
from circle.security import (
    hash_password,
    new_token,
    password_needs_rehash,
    token_hash,
    verify_password,
)

#: ASVS 5.0 (6.2.1, 6.2.9): at least 8 characters; 64 and more must be allowed. The cap
#: only keeps absurd inputs out; argon2 hashes any length in the same time.
MIN_PASSWORD = 8
MAX_PASSWORD = 128
TOKEN_PREFIX = "cir_"  # noqa: S105 - a public prefix, not a secret  # nosec B105
#: Never matches a password: marks accounts created by an admin until a password is chosen.
UNUSABLE_PASSWORD = "!unusable"  # noqa: S105 - not a password  # nosec B105


def normalise_email(email: str) -> str:
    """Trim and lower-case an e-mail address for storage and comparison."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """Find a user by e-mail address, ignoring case."""
    return db.session.execute(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).scalar_one_or_none()


def check_password_rules(password: str) -> None:
    """Raise ValidationFailed when a new password is too short, too long or too common."""
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            _("The password needs at least %(n)s characters.", n=MIN_PASSWORD), field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(
            _("The password may have at most %(n)s characters.", n=MAX_PASSWORD),
            field="password",
        )
    if is_common_password(password):
        raise ValidationFailed(
            _(
                "This password is on the list of the most common passwords; "
                "please choose another one."
            ),
            field="password",
        )


def register_user(email: str, password: str, name: str, locale: str = "de") -> User:
    """Create an account; refuses a taken e-mail address (any case) with EmailTaken."""
    address = normalise_email(email)
    if not name.strip():
        raise ValidationFailed(_("Please enter your name."), field="name")
    check_password_rules(password)
    if find_user_by_email(address) is not None:
        raise EmailTaken(_("An account with this e-mail address already exists."), field="email")
    user = User(
        email=address,
        name=" ".join(name.split()),
        password_hash=hash_password(password),
        locale=locale if locale in ("de", "en") else "de",
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as error:
        raise EmailTaken(
            _("An account with this e-mail address already exists."), field="email"
        ) from error
    return user


def create_invited_user(email: str, name: str, locale: str = "de") -> User:
    """Create an account for someone an admin seats directly; they set a password by mail."""
    if not name.strip():
        raise ValidationFailed(_("Please enter the new member's name."), field="name")
    user = User(
        email=normalise_email(email),
        name=" ".join(name.split()),
        password_hash=UNUSABLE_PASSWORD,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user when the password matches; upgrades an outdated hash on the way."""
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so that timing does not reveal accounts.
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.flush()
    return user


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against when the account does not exist (computed once)."""
    if not _DUMMY:
        _DUMMY.append(hash_password(new_token()))
    return _DUMMY[0]


def check_login(email: str, password: str, via: str) -> User | None:
    """Authenticate a login attempt with the per-account throttle, and log its outcome.

    Raises TooManyAttempts (without checking the password) once the account's failed
    attempts are used up; ``via`` (``web`` or ``api``) only goes into the log line.
    """
    try:
        throttle.refuse_if_blocked(email)
    except throttle.TooManyAttempts:
        auth_event("login", "throttled", email=email, via=via)
        raise
    user = authenticate(email, password)
    if user is None:
        throttle.count_failure(email)
        auth_event("login", "failure", email=email, via=via)
        return None
    auth_event("login", "success", user=user, via=via)
    return user


def set_password(user: User, password: str) -> None:
    """Set a new password after checking the rules; every existing session of the user ends."""
    check_password_rules(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    sessions.end_all(user)
    db.session.flush()


def require_current_password(user: User, password: str) -> None:
    """Re-authentication: raise ValidationFailed unless ``password`` is the user's current one."""
    if not verify_password(user.password_hash, password or ""):
        auth_event("reauth", "failure", user=user)
        raise ValidationFailed(_("Your current password is not correct."), field="current_password")


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password after re-authentication; other sessions of the user end."""
    require_current_password(user, current_password)
    set_password(user, new_password)
    auth_event("password_change", "success", user=user)


def change_email(user: User, current_password: str, new_email: str) -> User:
    """Change the login address after re-authentication; a taken address is EmailTaken."""
    require_current_password(user, current_password)
    address = normalise_email(new_email)
    if address == user.email:
        return user
    other = find_user_by_email(address)
    if other is not None and other.id != user.id:
        raise EmailTaken(_("An account with this e-mail address already exists."), field="email")
    user.email = address
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise EmailTaken(
            _("An account with this e-mail address already exists."), field="email"
        ) from error
    auth_event("email_change", "success", user=user)
    return user


def end_other_sessions(user: User) -> int:
    """Raise the session version: every session and remember cookie of the user ends.

    Returns the new version, which the caller stores in the session it wants to keep.
    """
    sessions.end_all(user)
    db.session.flush()
    auth_event("logout_others", "success", user=user)
    return user.session_version


def update_profile(user: User, name: str, locale: str) -> User:
    """Change the display name and language of an account."""
    if not name.strip():
        raise ValidationFailed(_("Please enter your name."), field="name")
    if locale not in ("de", "en"):
        raise ValidationFailed(_("Unknown language."), field="locale")
    user.name = " ".join(name.split())
    user.locale = locale
    db.session.flush()
    return user


# --- password reset ----------------------------------------------------------------


def _reset_serializer() -> URLSafeTimedSerializer:
    """Signer for reset links, keyed by the app secret."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    """Part of the link so that it stops working once the password changed."""
    return token_hash(user.password_hash)[:16]


def make_reset_token(user: User) -> str:
    """A signed, expiring, single-use link token for choosing a new password."""
    return _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    """Return the user a reset token was made for; NotFound if invalid, used or expired."""
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (SignatureExpired, BadSignature) as error:
        raise NotFound(_("This link is invalid or has expired.")) from error
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or data.get("p") != _password_fingerprint(user):
        raise NotFound(_("This link is invalid or has expired."))
    return user


# --- API tokens --------------------------------------------------------------------


def create_api_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """Issue a bearer token; only its hash is stored, the plain text is returned once."""
    plain = new_token(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:80],
        prefix=plain[: len(TOKEN_PREFIX) + 4],
        token_hash=token_hash(plain),
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def user_for_api_token(plain: str) -> User | None:
    """Return the owner of a valid, unrevoked token, or None."""
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash(plain))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None:
        prefix = plain[: len(TOKEN_PREFIX) + 4] if plain.startswith(TOKEN_PREFIX) else "other"
        auth_event(
            "api_token",
            "failure",
            user=token.user if token is not None else None,
            token=prefix + "…",
            reason="revoked" if token is not None else "unknown",
        )
        return None
    token.last_used_at = utcnow()
    return token.user


def api_tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens that are not revoked, newest first."""
    return list(
        db.session.execute(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        ).scalars()
    )


def revoke_api_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; another user's token is NotFound."""
    token = db.session.execute(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    ).scalar_one_or_none()
    if token is None:
        raise NotFound(_("Token not found."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
    return token
