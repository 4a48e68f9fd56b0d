"""The active memberships a request has already read, kept for the rest of the request:
the session check reads the visitor's seat in the route's circle with their session row
(one statement), the circle pages' access check then finds it here instead of asking
again."""

from __future__ import annotations

from flask import g, has_request_context

from circle.extensions import db
from circle.models import Membership
from circle.roles.permissions import remember_roles

#: ``flask.g`` key: ``{(user_id, circle_id): Membership}`` of this request.
_KNOWN = "active_memberships"


def remember(user_id: int, circle_id: int, membership: Membership, roles: str | None) -> None:
    """Keep an active membership read with its officer roles (``roles_column``)."""
    remember_roles(membership, roles)
    if has_request_context():
        g.setdefault(_KNOWN, {})[(user_id, circle_id)] = membership


def recall(user_id: int, circle_id: int) -> Membership | None:
    """The membership kept for this user and circle, while it is still in the session
    and active."""
    if not has_request_context():
        return None
    found = g.get(_KNOWN, {}).get((user_id, circle_id))
    if found is not None and found in db.session and found.status == "active":
        return found
    return None


def forget_all() -> None:
    """Drop what was kept (the transaction that read it was committed: its objects
    expired, and reading them again would cost a statement each)."""
    if has_request_context():
        g.pop(_KNOWN, None)
