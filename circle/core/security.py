"""Password hashing, random tokens and safe redirects."""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id; 64 MiB memory, 3 passes, 4 lanes (argon2-cffi's RFC 9106 low-memory profile).
_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its hash; never raises for a wrong password."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def new_token(prefix: str = "") -> str:
    """Return a new unguessable URL-safe token (256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_safe_next(target: str | None) -> bool:
    """Allow only local absolute paths such as ``/circles/3`` as redirect targets.

    Refuses scheme-relative (``//evil``), backslash tricks (``/\\evil``), any scheme
    or host, whitespace, control and non-ASCII characters (lookalike slashes), encoded
    slashes, backslashes and control characters (``/%2F%2Fevil``) and dot segments
    (``/.//evil``), which a browser or a proxy could turn into another host.
    """
    if not target or not target.startswith("/"):
        return False
    if target.startswith("//") or "\\" in target:
        return False
    if any(not 33 <= ord(ch) <= 126 for ch in target):
        return False
    path = target.split("?", 1)[0].split("#", 1)[0]
    if _ENCODED_TRICK.search(path):
        return False
    if any(segment in (".", "..") for segment in path.split("/")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


#: Percent-encoded slash, backslash, dot or control character in a path.
_ENCODED_TRICK = re.compile(r"%(2f|5c|2e|[01][0-9a-f]|7f)", re.IGNORECASE)
