"""Flask-Login wiring: the server-side session of each request, and the remember-me cookie."""

from __future__ import annotations

from flask import Flask, flash, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

from circle.auth import sessions
from circle.auth.events import auth_event
from circle.circles import known
from circle.db import wrote
from circle.extensions import db, login_manager
from circle.models import User


def configure_login(app: Flask) -> None:
    """Attach Flask-Login with the login page and a translated prompt; check each request."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(_load_session)
    app.after_request(sessions.write_remember_cookie)


def _load_session() -> None:
    """Check the session (or start one from the remember-me cookie) before the view runs.

    What the check writes (``last_seen_at``, an ended or replaced row) is committed here,
    so that the view's unit of work starts clean. A check that only read (most requests:
    ``last_seen_at`` moves once a minute) leaves its transaction to the view, which saves
    a COMMIT and a BEGIN round trip on every page.
    """
    try:
        current_user._get_current_object()
        if wrote(db.session):
            db.session.commit()
            known.forget_all()  # the commit expired the seat the check read
    except BaseException:
        db.session.rollback()
        raise


@login_manager.user_loader
def _load_user(value: str) -> User | None:
    """Load the user of the session id in the cookie, checked against ``user_sessions``.

    The session ends when its row is ended (logout, logged out elsewhere, new password),
    when the account is erased, or after the idle or absolute timeout; then the
    remember-me cookie, if any, may start a new one (``_load_remembered``).
    """
    circle_id = (request.view_args or {}).get("circle_id")
    row, outcome = sessions.check(value, circle_id if isinstance(circle_id, int) else None)
    if outcome == "ok":
        return row.user
    if row is not None:
        auth_event("session", outcome, user=row.user)
    sessions.forget()
    if outcome == "expired" and not sessions.remembered():
        flash(_("Your session has ended. Please log in again."), "info")
    return None


@login_manager.request_loader
def _load_remembered(_request) -> User | None:
    """Start a new session from the remember-me cookie, replacing its token."""
    user, outcome = sessions.restore()
    if outcome == "none":
        return None
    if outcome == "ok":
        auth_event("remember", "success", user=user)
        return user
    auth_event("remember", outcome, user=user)
    return None
