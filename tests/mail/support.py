"""Reading the mails the tests' outbox caught: the mails themselves (delivered first) and
the local path of a link they carry."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

from circle.core.clock import utcnow
from circle.extensions import db
from circle.mail.outbox import BACKOFF, MAX_ATTEMPTS, deliver_due
from circle.mail.send import deliver, send_mail
from tests.apps import deliver_pending

POLICY = email.policy.default


def link_in(message, path: str) -> str:
    """The local path of the first link in ``message`` whose path starts with ``path``."""
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]*)", body)
    assert match, body
    return match.group(1)


def delivered(app) -> list[EmailMessage]:
    """The mails of ``app``'s test outbox, oldest first, after delivering what the mail
    outbox holds (what the worker does after each commit; tests run without one)."""
    deliver_pending(app)
    folder = Path(app.config["MAIL_OUTBOX"])
    return [
        email.message_from_bytes(
            path.read_bytes(), _class=EmailMessage, policy=email.policy.default
        )
        for path in sorted(folder.glob("*.eml"))
    ]


#: A mail server that refuses at once (the discard port, nobody listens).
UNREACHABLE = "smtp://127.0.0.1:9/?starttls=false"


def failed_mail(app, circle_id: int | None, to: str, subject: str = "Einladung") -> None:
    """A mail about ``circle_id`` that every attempt failed for: written and committed as
    a request does it, then tried ``MAX_ATTEMPTS`` times, each after its back-off, against
    a server that refuses."""
    url = app.config.get("MAIL_URL")
    app.config["MAIL_URL"] = UNREACHABLE
    try:
        with app.test_request_context():
            send_mail(to, subject, "Hallo", circle_id=circle_id)
            db.session.commit()
            now = utcnow()
            for _attempt in range(MAX_ATTEMPTS):
                deliver_due(deliver, now=now)
                now += BACKOFF[-1]
            db.session.remove()
    finally:
        app.config["MAIL_URL"] = url
