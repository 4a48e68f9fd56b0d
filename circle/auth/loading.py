"""Flask-Login wiring: loading the user of a session."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext

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
def _load_user(user_id: str) -> User | None:
    """Load the user stored in the session cookie."""
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))
