"""Accounts: registration, login checks, password reset links and API tokens."""

from __future__ import annotations

from functools import cache

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from circle.auth import sessions, throttle, verification
from circle.auth.events import auth_event
from circle.auth.passwords import check_password, is_common_password
from circle.core.clock import utcnow
from circle.core.errors import EmailTaken, NotFound, ValidationFailed
from circle.core.security import (
    hash_password,
    new_token,
    password_needs_rehash,
    token_hash,
)
from circle.extensions import db
from circle.models import ApiToken, User

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


def register_user(email: str, password: str, name: str, locale: str = "de") -> User | None:
    """Create an unconfirmed account and mail it the link that confirms its address.

    An address that already has an account (any case) gets no refusal and no second
    account: its owner is mailed that someone tried to register, so the answer and the
    work (one password hash, one mail) never tell whether the address is known.
    Returns the new account, or None for a known address.
    """
    address = normalise_email(email)
    if not name.strip():
        raise ValidationFailed(_("Please enter your name."), field="name")
    check_password_rules(password)
    password_hash = hash_password(password)
    owner = find_user_by_email(address)
    if owner is None:
        user = User(
            email=address,
            name=" ".join(name.split()),
            password_hash=password_hash,
            locale=locale if locale in ("de", "en") else "de",
        )
        try:
            with db.session.begin_nested():
                db.session.add(user)
        except IntegrityError:
            owner = find_user_by_email(address)  # registered a moment ago
        else:
            verification.send_confirmation(user)
            auth_event("register", "success", user=user)
            return user
    if owner is not None:
        verification.mail_registration_attempt(owner)
    auth_event("register", "known_address", email=address)
    return None


def create_confirmed_user(email: str, password: str, name: str, locale: str = "de") -> User:
    """Create an account whose address counts as confirmed, without mail (the demo data).

    Not reachable from a page or the API; a taken address is EmailTaken.
    """
    check_password_rules(password)
    if find_user_by_email(email) is not None:
        raise EmailTaken(_("An account with this e-mail address already exists."), field="email")
    user = User(
        email=normalise_email(email),
        name=" ".join(name.split()),
        password_hash=hash_password(password),
        locale=locale,
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
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
    """Return the user when the password matches; upgrades an outdated hash on the way.

    The check is ``passwords.check_password`` (throttled per address and per address and
    account, the same argon2 work whether or not the account exists or has a password).
    """
    user = find_user_by_email(email)
    if not check_password(user, password, email=email):
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.flush()
    return user


def check_login(email: str, password: str, via: str) -> User | None:
    """Authenticate a login attempt (web form or API token exchange) and log its outcome.

    Raises TooManyAttempts (without checking the password) once this address used up its
    failed attempts, in total or for this account; ``via`` (``web`` or ``api``) only goes
    into the log line.
    """
    try:
        user = authenticate(email, password)
    except throttle.TooManyAttempts:
        auth_event("login", "throttled", email=email, via=via)
        raise
    if user is None:
        auth_event("login", "failure", email=email, via=via)
        return None
    auth_event("login", "success", user=user, via=via)
    return user


def set_password(user: User, password: str) -> None:
    """Set a new password after checking the rules; every session and API token of the user ends."""
    check_password_rules(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    sessions.end_all(user)
    revoke_api_tokens(user)
    db.session.flush()


def require_current_password(user: User, password: str) -> None:
    """Re-authentication: raise ValidationFailed unless ``password`` is the user's current one.

    Shares the per-account budget of failed checks (TooManyAttempts) with every other form
    where a logged-in user confirms the password (``passwords.check_password``).
    """
    if not check_password(user, password or "", reauth=True):
        auth_event("reauth", "failure", user=user)
        raise ValidationFailed(_("Your current password is not correct."), field="current_password")


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password after re-authentication; other sessions of the user end."""
    require_current_password(user, current_password)
    set_password(user, new_password)
    auth_event("password_change", "success", user=user)


def change_email(user: User, current_password: str, new_email: str) -> User:
    """Ask for a new login address after re-authentication; it waits for its confirmation.

    A link goes to the new address and a notice to the current one; the account keeps its
    address until the link is followed (``verification.confirm``). An address that another
    account holds answers the same (its owner is told instead of getting a link), so the
    form never tells whether an address has an account.
    """
    require_current_password(user, current_password)
    address = normalise_email(new_email)
    if address == user.email:
        if user.pending_email is not None:
            user.pending_email = None  # back to the current address: nothing waits
            db.session.flush()
        return user
    user.pending_email = address
    db.session.flush()
    verification.mail_new_address(user)
    verification.mail_change_notice(user, address)
    auth_event("email_change_request", "sent", user=user)
    return user


def end_other_sessions(user: User) -> int:
    """End every session and remember cookie of the user except this request's session.

    Returns the new session version (the count of such mass logouts).
    """
    sessions.end_all(user, keep=sessions.current())
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


#: A token's ``last_used_at`` is written at most this often (seconds): a client polling the
#: API would otherwise write (and lock) the token's row on every read.
TOKEN_TOUCH_EVERY = 60


@cache
def _token_statement() -> Select:
    """The statement of ``user_for_api_token`` (built once per process: every API request
    asks it)."""
    return select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))


def user_for_api_token(plain: str) -> User | None:
    """Return the owner of a valid, unrevoked token, or None; its ``last_used_at`` moves
    at most once every ``TOKEN_TOUCH_EVERY`` seconds."""
    token = db.session.execute(
        _token_statement(), {"token_hash": token_hash(plain)}
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
    moment = utcnow()
    if (
        token.last_used_at is None
        or (moment - token.last_used_at).total_seconds() >= TOKEN_TOUCH_EVERY
    ):
        token.last_used_at = moment
    return token.user


def revoke_api_tokens(user: User) -> int:
    """Revoke every API token of the user that is still valid; return how many."""
    tokens = list(
        db.session.execute(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).scalars()
    )
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


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
