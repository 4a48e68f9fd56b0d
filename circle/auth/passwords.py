"""Passwords: the one throttled check of a typed password, and the common-password list.

The list of common passwords is shipped with Circle (``circle/data/common-passwords.txt``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from circle.auth import throttle
from circle.core.security import hash_password, new_token, verify_password
from circle.models import User

COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@cache
def _common() -> frozenset[str]:
    """The shipped list, lower-case, read once per process (comment lines skipped)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def is_common_password(password: str) -> bool:
    """True when ``password`` (ignoring case and surrounding spaces) is on the common list."""
    return password.strip().lower() in _common()


def check_password(
    user: User | None, password: str, *, email: str | None = None, reauth: bool = False
) -> bool:
    """The one check of a typed password, for every form and endpoint that asks for one.

    Throttled (``circle.auth.throttle``): raises TooManyAttempts, without checking, when a
    budget is used up, and counts a failure on every budget. ``user`` is the account the
    password is for (None when ``email`` names none); ``reauth`` marks a logged-in user
    confirming their own password, which shares the per-account budget. Every branch
    spends the same argon2 work: an unknown, erased or not yet activated account (no
    usable hash) is checked against a dummy hash made with the same parameters.
    """
    address = email if email is not None else (user.email if user is not None else "")
    user_id = user.id if reauth and user is not None else None
    throttle.refuse_if_blocked(address, user_id)
    stored = user.password_hash if user is not None and user.erased_at is None else ""
    if is_argon2_hash(stored):
        matches = verify_password(stored, password)
    else:
        verify_password(_dummy_hash(), password)
        matches = False
    if not matches:
        throttle.count_failure(address, user_id)
    return matches


def is_argon2_hash(value: str) -> bool:
    """True when ``value`` looks like an argon2 hash (not a marker such as ``!unusable``)."""
    return value.startswith("$argon2")


@cache
def _dummy_hash() -> str:
    """An argon2 hash of a random secret, made with today's parameters, once per process."""
    return hash_password(new_token())
