"""Authentication log: every login, logout, token failure and reset request, one line each.

Lines go to the logger ``circle.auth`` as ``<event> outcome=<outcome> user=<id>`` (or
``email=<ref>`` when no account is known) ``ip=<address>``. An e-mail address appears only
as a keyed, truncated hash and a token only as its public prefix; passwords never appear.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from flask import current_app, has_request_context, request

from circle.models import User

log = logging.getLogger("circle.auth")


def email_ref(email: str) -> str:
    """A stable, non-reversible reference to an e-mail address (HMAC-SHA-256, 12 hex digits)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()
    return "h:" + digest[:12]


def auth_event(
    event: str,
    outcome: str,
    *,
    user: User | None = None,
    email: str | None = None,
    **details: str,
) -> None:
    """Log one authentication event; failures and refusals at WARNING, the rest at INFO."""
    if user is not None:
        who = f"user={user.id}"
    else:
        who = f"email={email_ref(email)}" if email is not None else "user=-"
    ip = (request.remote_addr or "-") if has_request_context() else "-"
    extra = "".join(f" {key}={value}" for key, value in sorted(details.items()))
    level = logging.INFO if outcome in ("success", "sent", "done") else logging.WARNING
    log.log(level, "%s outcome=%s %s ip=%s%s", event, outcome, who, ip, extra)
