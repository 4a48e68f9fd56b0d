"""Checks of entered values that several services share: dates of entries, free texts,
reasons, the characters of any text. Each refuses with a translated ValidationFailed
naming the field."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from flask_babel import format_date
from flask_babel import gettext as _

from circle.core.errors import ValidationFailed
from circle.core.weeks import today_for

if TYPE_CHECKING:  # typing only: the core imports nothing of the app
    from circle.models import Circle

#: The earliest date an entry (slip, one-to-one, credit) may carry.
EARLIEST = date(2000, 1, 1)
#: The longest reason for a void, decline or cancellation.
MAX_REASON = 500

#: Never typed as text, and harmful where the text goes (mail headers, CSV, the page):
#: DEL and the C1 controls (NEL among them), the Unicode line and paragraph separators,
#: and the bidi embeddings, overrides and isolates that make a name read backwards.
_NEVER_TEXT = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
#: A single line refuses every C0 control as well (TAB, CR and LF included).
_SINGLE_LINE = re.compile(f"[\x00-\x1f{_NEVER_TEXT}]")
#: A text area keeps its line breaks and tabs (TAB, LF, CR), and nothing else of C0.
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_NEVER_TEXT}]")


def refused_characters(text: str, *, multi_line: bool = False) -> bool:
    """True when ``text`` holds a character no entered text may hold: any control
    character in a single line; in a text area, controls other than TAB, LF and CR."""
    return (_MULTI_LINE if multi_line else _SINGLE_LINE).search(text) is not None


def check_date(circle: Circle, day: date, field_name: str) -> None:
    """An entry's date lies between EARLIEST and today in the circle's time zone."""
    if not isinstance(day, date):
        raise ValidationFailed(_("Please enter a date."), field=field_name)
    if day > today_for(circle):
        raise ValidationFailed(_("The date cannot be in the future."), field=field_name)
    if day < EARLIEST:
        raise ValidationFailed(
            _("The date cannot be before %(day)s.", day=format_date(EARLIEST)), field=field_name
        )


def check_text(value: str | None, limit: int, field_name: str) -> str:
    """Trim a free text and refuse it when too long."""
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationFailed(_("At most %(n)s characters, please.", n=limit), field=field_name)
    return value


def check_reason(reason: str | None, limit: int = MAX_REASON) -> str:
    """A reason the user must give (field ``reason``): required, trimmed, not too long."""
    reason = check_text(reason, limit, "reason")
    if not reason:
        raise ValidationFailed(_("Please give a reason."), field="reason")
    return reason


def check_range(start: date, end: date, field_name: str = "from") -> None:
    """Refuse a period whose start lies after its end."""
    if start > end:
        raise ValidationFailed(_("The start of the period lies after its end."), field=field_name)
