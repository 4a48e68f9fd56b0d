"""Reading the mails the tests' outbox caught: the mails themselves (delivered first) and
the local path of a link they carry."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

from tests.apps import deliver_pending

POLICY = email.policy.default


def link_in(message, path: str) -> str:
    """The local path of the first link in ``message`` whose path starts with ``path``."""
    body = message.get_content()
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
