"""Reading the mails the tests' outbox caught: the local path of a link they carry."""

from __future__ import annotations

import re


def link_in(message, path: str) -> str:
    """The local path of the first link in ``message`` whose path starts with ``path``."""
    body = message.get_content()
    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]*)", body)
    assert match, body
    return match.group(1)
