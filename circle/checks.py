"""Checks of entered values that several services share: dates of entries, free texts,
reasons. Each refuses with a translated ValidationFailed naming the field."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _

from circle.errors import ValidationFailed
from circle.models import Circle
from circle.weeks import today_for

#: The earliest date an entry (slip, one-to-one, credit) may carry.
EARLIEST = date(2000, 1, 1)
#: The longest reason for a void, decline or cancellation.
MAX_REASON = 500


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
