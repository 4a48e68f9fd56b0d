"""Throttling that the route decorators cannot express alone.

Failed password checks are counted in the limiter's storage (Redis when ``REDIS_URL`` is
set, so every worker sees the same count), never on the account alone: ten wrong
passwords typed by a stranger must not lock the owner out.

- per client address, over every account (``RATELIMIT_LOGIN_ADDRESS``);
- at login (web form and API token exchange), per client address *and* account
  (``RATELIMIT_LOGIN_ACCOUNT``): the attacker's address is slowed for that account, the
  owner's correct password from another address still works;
- when a logged-in user confirms their password (re-authentication before login details
  change, account deletion), per account (``RATELIMIT_REAUTH``): whoever holds the session
  gets one shared budget for guessing the password, whichever form they use.

A refusal says how long to wait, from the reset time of the limiter's window.
"""

from __future__ import annotations

import math
import time

from flask import current_app
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import RateLimitItem, parse

from circle.auth.events import email_ref
from circle.core.errors import DomainError
from circle.extensions import limiter


class TooManyAttempts(DomainError):
    """Too many failed password checks: refused without checking the password."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field)
        #: Seconds until the next attempt is allowed (for a ``Retry-After`` header).
        self.retry_after = retry_after


def configured(name: str):
    """A limit provider for ``limiter.limit`` that reads ``RATELIMIT_<name>`` per request."""
    return lambda: current_app.config[f"RATELIMIT_{name}"]


def user_or_address() -> str:
    """Rate-limit key: the logged-in user, else the client address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def _budgets(email: str, user_id: int | None) -> list[tuple[RateLimitItem, str, str]]:
    """The counters one password check uses: ``(limit, scope, key)``.

    ``user_id`` is given for a logged-in user's re-authentication, None at login.
    """
    config = current_app.config
    address = get_remote_address() or "-"
    budgets = [(parse(config["RATELIMIT_LOGIN_ADDRESS"]), "password-address", address)]
    if user_id is None:
        limit = parse(config["RATELIMIT_LOGIN_ACCOUNT"])
        budgets.append((limit, "password-login", f"{address}|{email_ref(email)}"))
    else:
        budgets.append((parse(config["RATELIMIT_REAUTH"]), "password-reauth", f"user:{user_id}"))
    return budgets


def refuse_if_blocked(email: str, user_id: int | None = None) -> None:
    """Raise TooManyAttempts, saying how long to wait, when a budget is used up."""
    if not limiter.enabled:
        return
    waits = [
        limiter.limiter.get_window_stats(limit, scope, key).reset_time - time.time()
        for limit, scope, key in _budgets(email, user_id)
        if not limiter.limiter.test(limit, scope, key)
    ]
    if waits:
        raise too_many_attempts(max(waits))


def too_many_attempts(wait: float, field: str | None = None) -> TooManyAttempts:
    """The refusal that says truthfully how long to wait (``wait`` seconds, whole minutes)."""
    seconds = max(1, math.ceil(wait))
    minutes = max(1, math.ceil(seconds / 60))
    return TooManyAttempts(
        ngettext(
            "Too many attempts. Please try again in %(num)d minute.",
            "Too many attempts. Please try again in %(num)d minutes.",
            minutes,
        ),
        retry_after=seconds,
        field=field,
    )


def count_failure(email: str, user_id: int | None = None) -> None:
    """Count one failed password check on every budget it belongs to."""
    if limiter.enabled:
        for limit, scope, key in _budgets(email, user_id):
            limiter.limiter.hit(limit, scope, key)
