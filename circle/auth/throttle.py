"""Throttling that the route decorators cannot express alone.

Failed logins are counted per account (a keyed hash of the e-mail address), shared by
the login form and the API's token exchange, in the limiter's storage (Redis when
``REDIS_URL`` is set, so every worker sees the same count). Limits read from the config
(``RATELIMIT_*``) so that operators can tune them.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse

from circle.auth.events import email_ref
from circle.errors import DomainError
from circle.extensions import limiter

_ACCOUNT_SCOPE = "login-account"


class TooManyAttempts(DomainError):
    """Too many failed attempts for this account: refused without checking the password."""

    code = "rate_limited"
    status = 429


def configured(name: str):
    """A limit provider for ``limiter.limit`` that reads ``RATELIMIT_<name>`` per request."""
    return lambda: current_app.config[f"RATELIMIT_{name}"]


def user_or_address() -> str:
    """Rate-limit key: the logged-in user, else the client address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def _account_limit():
    """The per-account budget of failed logins (``RATELIMIT_LOGIN_ACCOUNT``)."""
    return parse(current_app.config["RATELIMIT_LOGIN_ACCOUNT"])


def refuse_if_blocked(email: str) -> None:
    """Raise TooManyAttempts when the account behind ``email`` used up its failed logins."""
    if not limiter.enabled:
        return
    if not limiter.limiter.test(_account_limit(), _ACCOUNT_SCOPE, email_ref(email)):
        raise TooManyAttempts(_("Too many attempts. Please wait a minute and try again."))


def count_failure(email: str) -> None:
    """Count one failed login against the account behind ``email``."""
    if limiter.enabled:
        limiter.limiter.hit(_account_limit(), _ACCOUNT_SCOPE, email_ref(email))
