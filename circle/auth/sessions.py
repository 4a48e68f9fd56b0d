"""Login sessions: a fresh session at login, a version that ends other sessions, timeouts.

Flask keeps the session in a signed cookie, so everything a session needs is in it:

- ``_user_id`` is ``"<user id>:<session version>"``; the remember-me cookie carries the
  same value. Raising ``users.session_version`` (log out other sessions, a new password)
  makes every older cookie fail the check in the user loader on its next request;
- ``_login_at`` and ``_seen`` (Unix seconds) end a session after ``SESSION_ABSOLUTE_TIMEOUT``
  since the login and after ``SESSION_IDLE_TIMEOUT`` without a request.

``clock`` is the only source of time here, so tests can move it.
"""

from __future__ import annotations

import time

from flask import current_app, request, session
from flask_login import login_user

from circle.models import User

#: ``_seen`` is written at most this often (seconds), not on every request.
TOUCH_EVERY = 60


def clock() -> int:
    """Now, in whole Unix seconds."""
    return int(time.time())


def session_id(user: User) -> str:
    """The value stored as Flask-Login's user id: the user's id and session version."""
    return f"{user.id}:{user.session_version}"


def end_all(user: User) -> None:
    """Raise the user's session version: every session and remember cookie of theirs ends."""
    user.session_version = (user.session_version or 1) + 1


def parse_session_id(value: str) -> tuple[int, int] | None:
    """Split ``"<id>:<version>"``; None for anything else (e.g. cookies of older versions)."""
    user_id, sep, version = str(value).partition(":")
    if not sep or not user_id.isdigit() or not version.isdigit():
        return None
    return int(user_id), int(version)


def start(user: User, remember: bool = False) -> None:
    """Log ``user`` in with a fresh session; keeps only the language chosen in this browser."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)
    session["_user_id"] = session_id(user)
    now = clock()
    session["_login_at"] = now
    session["_seen"] = now


def remembered() -> bool:
    """True when this browser sent a remember-me cookie ("Stay logged in on this device")."""
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


def end(forget_device: bool = True) -> None:
    """Forget the session, and the remember cookie unless told not to (the language stays).

    A timed-out session keeps the remember cookie: a device the user chose to stay logged
    in on starts a new session from it (its version is checked like a session's).
    """
    locale = session.get("locale")
    session.clear()
    if forget_device:
        session["_remember"] = "clear"
    if locale:
        session["locale"] = locale


def keep_current(user: User) -> None:
    """After the session version rose: let this session (and its remember cookie) go on."""
    session["_user_id"] = session_id(user)
    if remembered():
        session["_remember"] = "set"


def expired() -> bool:
    """True when the session outlived the absolute or the idle timeout; else note the request.

    A session without a login time was just restored from the remember-me cookie (a new,
    non-fresh login): its clocks start now.
    """
    now = clock()
    login_at, seen = session.get("_login_at"), session.get("_seen")
    if not isinstance(login_at, int) or not isinstance(seen, int):
        session["_login_at"] = session["_seen"] = now
        return False
    config = current_app.config
    if now - login_at > config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds():
        return True
    if now - seen > config["SESSION_IDLE_TIMEOUT"].total_seconds():
        return True
    if now - seen >= TOUCH_EVERY:
        session["_seen"] = now
    return False
