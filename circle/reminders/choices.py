"""Which reminders a user gets: the weekly one (the day before a meeting), the notice
after an absence, the reminder of overdue dues, and (officers) the weekly warning of
seats at risk. All are on until the user turns one
off, on the reminders page or with the one-click link every reminder carries in its
``List-Unsubscribe`` header (RFC 2369 and RFC 8058: the mail client posts to it without
a login).

The link's token is signed (the app's secret, its own salt) and names the user and the
kind; it is not stored, it does not expire (a reminder read months later still works),
and all it can do is turn that one reminder off.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from circle.core.errors import NotFound
from circle.extensions import db
from circle.mail.send import external_url
from circle.models import User

#: The reminders a user chooses, by the column that keeps the choice.
KINDS = {
    "weekly": "remind_weekly",
    "absence": "remind_absence",
    "dues": "remind_dues",
    "risk": "remind_risk",
}


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def wants(user: User, kind: str) -> bool:
    """True when ``user`` gets reminders of ``kind``."""
    return bool(getattr(user, KINDS[kind]))


def set_choices(user: User, chosen: dict[str, bool]) -> None:
    """Keep the user's choice of reminders (``chosen``: on or off by kind; a kind left
    out stays as it is)."""
    for kind, column in KINDS.items():
        if kind in chosen:
            setattr(user, column, bool(chosen[kind]))
    db.session.flush()


def unsubscribe_token(user: User, kind: str) -> str:
    """The token of the one-click link that turns ``kind`` off for ``user``."""
    return _serializer().dumps({"u": user.id, "k": kind})


def token_target(token: str) -> tuple[User, str]:
    """The user and the kind a token names; NotFound for anything else."""
    try:
        data = _serializer().loads(token)
    except BadSignature as error:
        raise NotFound(_("This link is invalid.")) from error
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    kind = data.get("k") if isinstance(data, dict) else None
    if user is None or user.erased_at is not None or kind not in KINDS:
        raise NotFound(_("This link is invalid."))
    return user, kind


def unsubscribe(token: str) -> tuple[User, str]:
    """Turn off the reminder a one-click token names (again: nothing changes)."""
    user, kind = token_target(token)
    setattr(user, KINDS[kind], False)
    db.session.flush()
    return user, kind


def unsubscribe_headers(user: User, kind: str) -> dict[str, str]:
    """The headers of a reminder of ``kind`` to ``user``: its one-click link (on
    ``BASE_URL``, never the request's host)."""
    url = external_url("reminders.unsubscribe", token=unsubscribe_token(user, kind))
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
