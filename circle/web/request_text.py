"""Checks on every HTML request's input before a view sees it.

A NUL character never comes from a keyboard, and PostgreSQL cannot store one in a text
column: a form value or query parameter holding one is refused with a clear message
(422, nothing changed) instead of failing at the database. The JSON API checks its own
fields (``circle.api.fields.Text``) and answers with a problem per field. Other control
characters are refused by the forms themselves (``circle.web.forms``), which know which
fields are single lines and which are text areas.

``next`` is left alone: it is a redirect target, never stored, and ``is_safe_next``
refuses control characters in it, so a login with a broken ``next`` still goes home.
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import gettext as _

from circle.core.errors import ValidationFailed

#: Parameters that are checked where they are used, and never stored.
UNSTORED = frozenset({"next"})


def refuse_nul_characters() -> None:
    """Raise ValidationFailed when a form value or query parameter contains NUL."""
    if request.path.startswith("/api/"):
        return
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in value and key not in UNSTORED:
                raise ValidationFailed(_("Contains characters that are not allowed."))


def register(app: Flask) -> None:
    """Run the checks before every request of ``app``."""
    app.before_request(refuse_nul_characters)
