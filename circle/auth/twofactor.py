"""Two-factor login: TOTP codes from an authenticator app, recovery codes, the circle rule.

- The TOTP secret (RFC 6238: 30-second steps, 6 digits, SHA-1, as every authenticator
  app expects) is stored encrypted (Fernet, key derived from ``SECRET_KEY`` with HKDF).
  It is shown only while enrolling; enrolment ends with a valid code.
- A code is accepted for the current step and one step either side (clock drift), and
  only for a step after the last accepted one: a code never works twice.
- Ten recovery codes are made when two-factor login is switched on (and on request);
  they are shown once, stored as SHA-256 hashes salted with the user id, each works once.
- Wrong codes count per account (``RATELIMIT_TWO_FACTOR``) in the limiter's storage, the
  same mechanism as the failed-login count of ``circle.auth.throttle``.
- A circle may require two-factor login of everyone who sees money or prospects'
  details there: admins and the roles holding ``SENSITIVE_PERMISSIONS``.

``clock`` is the only source of time here, so tests can move it.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from limits import parse
from sqlalchemy import delete, select

from circle.auth.events import auth_event
from circle.auth.services import require_current_password
from circle.auth.throttle import too_many_attempts
from circle.core.clock import utcnow
from circle.core.errors import Conflict, Forbidden, ValidationFailed
from circle.core.security import token_hash
from circle.extensions import db, limiter
from circle.models import Circle, Membership, RecoveryCode, User
from circle.roles.permissions import can

#: The name authenticator apps show next to the account.
ISSUER = "Circle"
#: Seconds per TOTP step (RFC 6238 default, what every authenticator app uses).
STEP = 30
#: Steps accepted either side of now, for phones whose clock is a little off.
DRIFT = 1
RECOVERY_CODES = 10
#: Recovery code letters: lower case without look-alikes (0/o, 1/l/i); 10 of them ≈ 49 bits.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_SCOPE = "two-factor"
#: Permissions that show other people's money or prospects' personal details: who holds
#: one of them (admins hold all) must use two-factor login where a circle requires it.
SENSITIVE_PERMISSIONS = ("see_amounts", "manage_dues", "approve_applications", "manage_visitors")

_TOTP_RE = re.compile(r"[0-9]{6}")


def clock() -> float:
    """Now, in Unix seconds."""
    return time.time()


# --- the secret --------------------------------------------------------------------


def _fernet() -> Fernet:
    """The cipher of stored secrets, keyed by ``SECRET_KEY`` (HKDF-SHA-256, own context)."""
    key = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"circle two-factor secret")
    raw = key.derive(str(current_app.config["SECRET_KEY"]).encode())
    return Fernet(base64.urlsafe_b64encode(raw))


def _secret_of(user: User) -> str | None:
    """The user's TOTP secret in plain text; None when there is none or it cannot be read."""
    if not user.two_factor_secret:
        return None
    try:
        return _fernet().decrypt(user.two_factor_secret.encode()).decode()
    except InvalidToken:
        return None  # SECRET_KEY changed: only a recovery code helps now


def is_enabled(user: User) -> bool:
    """True when the user logs in with a second factor."""
    return user.two_factor_enabled_at is not None


def new_secret() -> str:
    """A fresh TOTP secret for an enrolment (nothing is stored until it is confirmed)."""
    return pyotp.random_base32()


def seal(secret: str) -> str:
    """The secret encrypted for keeping in the browser's session during enrolment."""
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str | None) -> str | None:
    """The secret of ``seal``; None when missing or unreadable (then enrol anew)."""
    if not sealed:
        return None
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG ``data:`` URI (no script, no third party)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def grouped(secret: str) -> str:
    """The secret in groups of four letters, easier to type into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- checking codes ----------------------------------------------------------------


def _totp_step(user: User, code: str) -> int | None:
    """The time step ``code`` is valid for, if it is later than the last accepted one."""
    secret = _secret_of(user)
    if secret is None or not _TOTP_RE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    now = int(clock()) // STEP
    last = user.two_factor_last_step if user.two_factor_last_step is not None else -1
    for step in range(now - DRIFT, now + DRIFT + 1):
        if step > last and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_hash(user: User, code: str) -> str:
    """How a recovery code is stored: SHA-256 of the user id and the normalised code."""
    return token_hash(f"{user.id}:{code}")


def _normalise(code: str) -> str:
    """A typed code without spaces and dashes, lower case."""
    return re.sub(r"[\s-]", "", code or "").lower()


def _use_recovery_code(user: User, code: str) -> bool:
    """Spend an unused recovery code of the user; False when there is none like ``code``."""
    if len(code) != _RECOVERY_LENGTH:
        return False
    row = db.session.execute(
        select(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(user, code),
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        return False
    row.used_at = utcnow()
    return True


def _limit():
    """The per-account budget of wrong codes."""
    return parse(current_app.config["RATELIMIT_TWO_FACTOR"])


def _refuse_if_blocked(user: User) -> None:
    """Raise TooManyAttempts, saying how long to wait, once the wrong codes are used up."""
    if not limiter.enabled:
        return
    key = f"user:{user.id}"
    if limiter.limiter.test(_limit(), _SCOPE, key):
        return
    reset_at = limiter.limiter.get_window_stats(_limit(), _SCOPE, key).reset_time
    auth_event("two_factor", "throttled", user=user)
    raise too_many_attempts(reset_at - time.time(), field="code")


def _count_failure(user: User) -> None:
    """Count one wrong code against the account."""
    if limiter.enabled:
        limiter.limiter.hit(_limit(), _SCOPE, f"user:{user.id}")


def verify(user: User, code: str, recovery: bool = True) -> bool:
    """Check a code from the app (or, when allowed, a recovery code) and use it up.

    Raises TooManyAttempts before checking once the account's wrong codes are used up;
    a wrong code counts toward that limit.
    """
    _refuse_if_blocked(user)
    typed = _normalise(code)
    step = _totp_step(user, typed)
    if step is not None:
        user.two_factor_last_step = step
        db.session.flush()
        return True
    if recovery and is_enabled(user) and _use_recovery_code(user, typed):
        db.session.flush()
        auth_event("two_factor", "recovery_code", user=user)
        return True
    _count_failure(user)
    auth_event("two_factor", "failure", user=user)
    return False


def require_code(user: User, code: str | None) -> None:
    """Before a sensitive change: a user with two-factor login must give a valid code too.

    Does nothing for users without it; raises ValidationFailed (field ``code``) for a
    missing or wrong code and TooManyAttempts once the wrong codes are used up.
    """
    if not is_enabled(user):
        return
    if not (code or "").strip():
        raise ValidationFailed(
            _("Please enter the code from your authenticator app."), field="code"
        )
    if not verify(user, code or ""):
        raise ValidationFailed(_("This code is not valid. Please try again."), field="code")


# --- switching on and off, recovery codes -------------------------------------------


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes by ten new ones; the plain codes are returned once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _n in range(RECOVERY_CODES):
        plain = "".join(secrets.choice(_RECOVERY_ALPHABET) for _i in range(_RECOVERY_LENGTH))
        codes.append(f"{plain[:5]}-{plain[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user, plain)))
    db.session.flush()
    return codes


def enable(user: User, secret: str | None, code: str) -> list[str]:
    """Switch two-factor login on with the enrolment's secret and a first valid code.

    The secret is stored (encrypted) only now, so showing the QR code writes nothing. The
    recovery codes are returned once and never shown again.
    """
    if is_enabled(user):
        raise Conflict(_("Two-factor login is already switched on."))
    if not secret:
        raise ValidationFailed(_("Please start again: scan the new QR code."), field="code")
    user.two_factor_secret = seal(secret)
    user.two_factor_last_step = None
    if not verify(user, code, recovery=False):
        raise ValidationFailed(
            _("This code is not valid. Check the time on your phone and try again."),
            field="code",
        )
    user.two_factor_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    auth_event("two_factor", "enabled", user=user)
    return codes


def regenerate_recovery_codes(user: User, password: str, code: str) -> list[str]:
    """New recovery codes after password and code; the old ones stop working."""
    if not is_enabled(user):
        raise Conflict(_("Two-factor login is not switched on."))
    require_current_password(user, password)
    require_code(user, code)
    codes = _new_recovery_codes(user)
    auth_event("two_factor", "new_recovery_codes", user=user)
    return codes


def disable(user: User, password: str, code: str) -> None:
    """Switch two-factor login off after password and code; secret and codes are deleted.

    Refused while a circle of the user requires it for the user's role.
    """
    if not is_enabled(user):
        raise Conflict(_("Two-factor login is not switched on."))
    require_current_password(user, password)
    require_code(user, code)
    requiring = circles_requiring(user)
    if requiring:
        raise Conflict(
            _(
                "%(circles)s requires two-factor login for your role; it stays on.",
                circles=", ".join(c.name for c in requiring),
            )
        )
    user.two_factor_secret = None
    user.two_factor_enabled_at = None
    user.two_factor_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
    auth_event("two_factor", "disabled", user=user)


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes the user has."""
    return len(
        db.session.execute(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


# --- the circle setting ------------------------------------------------------------


def sees_sensitive(membership: Membership) -> bool:
    """True when the seat shows money or prospects' details (an admin, or such a role)."""
    return any(can(membership, permission) for permission in SENSITIVE_PERMISSIONS)


def must_enrol(membership: Membership | None) -> bool:
    """True when this seat's circle requires two-factor login of it and the user lacks it."""
    if membership is None or membership.status != "active":
        return False
    if not membership.circle.require_two_factor or is_enabled(membership.user):
        return False
    return sees_sensitive(membership)


def refuse_unless_enrolled(membership: Membership) -> None:
    """Raise Forbidden when the seat's circle requires two-factor login of it and the user
    has not switched it on (the API's answer; the HTML pages redirect instead)."""
    if must_enrol(membership):
        raise Forbidden(
            _(
                "%(circle)s requires two-factor login for your role. Please switch it on to "
                "open the circle's pages.",
                circle=membership.circle.name,
            )
        )


def circles_requiring(user: User) -> list[Circle]:
    """The circles that require two-factor login of the user (for the user's role there)."""
    seats = db.session.execute(
        select(Membership)
        .join(Circle, Circle.id == Membership.circle_id)
        .where(
            Membership.user_id == user.id,
            Membership.status == "active",
            Circle.require_two_factor.is_(True),
        )
        .order_by(Circle.id)
    ).scalars()
    return [seat.circle for seat in seats if sees_sensitive(seat)]


def check_requirement(circle: Circle, actor: Membership, required: bool | None) -> None:
    """Refuse to require two-factor login in a circle while the admin setting it lacks it."""
    if required and not circle.require_two_factor and not is_enabled(actor.user):
        raise ValidationFailed(
            _("Switch on two-factor login for your own account first (Your account)."),
            field="require_two_factor",
        )
