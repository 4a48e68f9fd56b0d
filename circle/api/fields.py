"""Marshmallow fields and validators whose messages are translated when they are raised.

Input is hostile by default: strings refuse control characters and lone surrogates
(PostgreSQL and the password hasher cannot store them) by the same check as every HTML
form (``circle.core.checks.refused_characters``), integers refuse floats and booleans, and
every refusal reads in the user's language.
"""

from __future__ import annotations

import re
from datetime import date, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from circle.core.checks import refused_characters
from circle.core.ids import MAX_ID, NO_ID

_COMMON = {
    "required": _l("This field is required."),
    "null": _l("This field may not be null."),
}


def _has_surrogates(value: str) -> bool:
    """True when ``value`` holds a lone UTF-16 surrogate (not encodable as UTF-8)."""
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)


class _Translated:
    """Raise the field's messages translated now (marshmallow would keep lazy strings)."""

    def make_error(self, key: str, **kwargs) -> ValidationError:
        """A ValidationError with the message for ``key`` in the user's language."""
        return ValidationError(str(self.error_messages[key]))


class Text(_Translated, fields.String):
    """A single-line string, trimmed; refuses control characters and surrogates.

    ``single_line=False`` (notes) keeps line breaks and tabs but no other control.
    """

    #: Whether control characters are checked (passwords keep whatever was typed).
    checks_characters = True

    default_error_messages = {
        **_COMMON,
        "invalid": _l("Not a valid string."),
        "invalid_utf8": _l("Not a valid string."),
        "characters": _l("Contains characters that are not allowed."),
    }

    def __init__(self, *, strip: bool = True, single_line: bool = True, **kwargs):
        self.strip = strip
        self.single_line = single_line
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        """Check the type and characters, then trim."""
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text or _has_surrogates(text):
            raise self.make_error("characters")
        if self.checks_characters and refused_characters(text, multi_line=not self.single_line):
            raise self.make_error("characters")
        return text.strip() if self.strip else text


class Password(Text):
    """A password: kept exactly as typed (no trimming); tabs and the like are allowed."""

    checks_characters = False

    def __init__(self, **kwargs):
        super().__init__(strip=False, single_line=False, **kwargs)


MAX_EMAIL = 254


class Email(Text):
    """An e-mail address (at most 254 characters, the column's size)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", Length(max=MAX_EMAIL))
        kwargs.setdefault("metadata", {"format": "email"})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        """Check the address's shape with marshmallow's e-mail validator."""
        address = super()._deserialize(value, attr, data, **kwargs)
        if len(address) > MAX_EMAIL:  # checked first: no regex runs on huge input
            raise ValidationError(_("At most %(max)s characters.", max=MAX_EMAIL))
        try:
            validate.Email()(address)
        except ValidationError:
            raise ValidationError(_("Not a valid e-mail address.")) from None
        return address


class Int(_Translated, fields.Integer):
    """A JSON integer: floats, strings and booleans are refused."""

    default_error_messages = {
        **_COMMON,
        "invalid": _l("Not a valid integer."),
        "too_large": _l("Number too large."),
    }

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)


HOUR_MINUTE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class HourMinute(Text):
    """A time of day as ``"HH:MM"`` (24 hours)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"pattern": HOUR_MINUTE.pattern, "example": "07:00"})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> time:
        """Parse ``"HH:MM"``."""
        match = HOUR_MINUTE.match(super()._deserialize(value, attr, data, **kwargs))
        if match is None:
            raise ValidationError(_("Enter a time as HH:MM, for example 07:00."))
        return time(int(match.group(1)), int(match.group(2)))

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        """Write a ``time`` as ``"HH:MM"``."""
        return None if value is None else value.strftime("%H:%M")


class Length(validate.Length):
    """``validate.Length`` with a translated message (apispec still reads min/max)."""

    def __call__(self, value):
        """Refuse a value of the wrong length."""
        size = len(value)
        if self.min is not None and size < self.min:
            if size == 0:
                raise ValidationError(_("This field may not be empty."))
            raise ValidationError(_("At least %(min)s characters.", min=self.min))
        if self.max is not None and size > self.max:
            raise ValidationError(_("At most %(max)s characters.", max=self.max))
        return value


class Range(validate.Range):
    """``validate.Range`` with a translated message; ``message`` builds a custom one."""

    def __init__(self, min=None, max=None, *, message=None):
        super().__init__(min=min, max=max)
        self.message = message

    def __call__(self, value):
        """Refuse a number outside the range."""
        if (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        ):
            if self.message is not None:
                raise ValidationError(self.message())
            raise ValidationError(
                _("Must be between %(min)s and %(max)s.", min=self.min, max=self.max)
            )
        return value


class OneOf(validate.OneOf):
    """``validate.OneOf`` with a translated message."""

    def __call__(self, value):
        """Refuse a value that is not one of the choices."""
        if value not in self.choices:
            raise ValidationError(
                _("Must be one of: %(choices)s.", choices=", ".join(map(str, self.choices)))
            )
        return value


# --- referrals and closed business -------------------------------------------------

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Day(Text):
    """A calendar date as ``"YYYY-MM-DD"`` (nothing else: no times, no other orders)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"format": "date", "example": "2025-03-05"})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        """Parse ``"YYYY-MM-DD"`` into a date; impossible days (02-30) are refused."""
        text = super()._deserialize(value, attr, data, **kwargs)
        if DAY.match(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        raise ValidationError(_("Enter a date as YYYY-MM-DD, for example 2025-03-05."))

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        """Write a date as ``"YYYY-MM-DD"``."""
        return None if value is None else value.isoformat()


class DecimalString(Text):
    """An amount as a plain decimal string with a dot (``"1200.00"``).

    JSON numbers are refused, so no float ever carries money. The string is checked
    against the circle's currency (decimals, sign, size) by ``money.parse_plain_amount``.
    """

    default_error_messages = {
        **Text.default_error_messages,
        "invalid": _l('Give the amount as a decimal string with a dot, e.g. "1200.00".'),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"pattern": r"^\d{1,12}(\.\d{1,12})?$", "example": "1200.00"})
        kwargs.setdefault("validate", Length(max=40))
        super().__init__(**kwargs)


class StrictBool(_Translated, fields.Boolean):
    """A JSON ``true`` or ``false``: strings and numbers are refused."""

    default_error_messages = {**_COMMON, "invalid": _l("Not a valid boolean.")}

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        """Accept only the JSON literals."""
        if value is True or value is False:
            return value
        raise self.make_error("invalid")


class OptionalEmail(Email):
    """An e-mail address that may also be left empty (``""``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": "An e-mail address, or empty."})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        """An empty (or blank) string stays empty; anything else must be an address."""
        if isinstance(value, str) and not value.strip():
            return ""
        return super()._deserialize(value, attr, data, **kwargs)


class Id(Int):
    """The id of a row: a value outside the database's id range names no row.

    Like the URL converter, it turns such values into ``NO_ID`` so that the services
    answer exactly as for any unknown id, instead of the driver overflowing. The document
    names the range, so that fuzzers try its edges (and beyond).
    """

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"minimum": 1, "maximum": MAX_ID, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        """Check the type; map ids the database cannot hold to ``NO_ID``."""
        number = super()._deserialize(value, attr, data, **kwargs)
        return number if 0 < number <= MAX_ID else NO_ID
