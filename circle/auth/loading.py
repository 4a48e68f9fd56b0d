"""Flask-Login wiring: loading the user of a session, and ending stale sessions."""

from __future__ import annotations

from flask import Flask, flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from circle.auth import sessions
from circle.auth.events import auth_event
from circle.extensions import db, login_manager
from circle.models import User


def configure_login(app: Flask) -> None:
    """Attach Flask-Login with the login page and a translated prompt."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(value: str) -> User | None:
    """Load the user of the session (or remember cookie), checked on every request.

    The session ends when its version is older than the account's (logged out elsewhere,
    new password), when the account is erased, or after the idle or absolute timeout.
    """
    parsed = sessions.parse_session_id(value)
    if parsed is None:
        sessions.end()
        return None
    user = db.session.get(User, parsed[0])
    if user is None or user.erased_at is not None or user.session_version != parsed[1]:
        if user is not None:
            auth_event("session", "revoked", user=user)
        sessions.end()
        return None
    if sessions.expired():
        auth_event("session", "expired", user=user)
        sessions.end(forget_device=False)
        if not sessions.remembered():
            flash(_("Your session has ended. Please log in again."), "info")
        return None
    return user
