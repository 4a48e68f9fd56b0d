"""Money in and out: exact decimal parsing into integer minor units, never floats.

Users type amounts in their locale (``1.234,50`` in German, ``1,234.50`` in English);
the API and CSV use a plain decimal string with a dot (``"1234.50"``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import NumberFormatError, get_currency_precision, parse_decimal
from flask_babel import gettext as _

from circle.core.errors import ValidationFailed
from circle.core.formats import CACHE_SIZE, currency_text

#: Largest amount accepted: one billion in the major unit (fits BIGINT with room to sum).
MAX_MAJOR = Decimal(10) ** 9
_PLAIN = re.compile(r"^\d{1,12}(\.\d{1,12})?$")
#: What a typed amount may contain: digits and the group and decimal separators.
_TYPED = re.compile(r"^[\d.,'\u202f ]+$")


def _to_minor(value: Decimal, currency: str, field: str) -> int:
    """Check sign, size and decimals of an exact amount and return its minor units."""
    if not value.is_finite():
        raise ValidationFailed(_("Please enter an amount, e.g. 1200.00."), field=field)
    if value <= 0:
        raise ValidationFailed(_("The amount must be greater than zero."), field=field)
    if value >= MAX_MAJOR:
        raise ValidationFailed(_("The amount is too large."), field=field)
    digits = minor_units(currency)
    if (
        value != value.quantize(Decimal(1).scaleb(-digits))
        if digits
        else value != value.to_integral()
    ):
        raise ValidationFailed(
            _(
                "%(currency)s amounts have at most %(digits)s decimal places.",
                currency=currency,
                digits=digits,
            ),
            field=field,
        )
    return int(value.scaleb(digits))


def parse_amount(text: str, currency: str, locale: str, field: str = "amount") -> int:
    """Parse an amount typed by a user in ``locale`` into minor units of ``currency``.

    ``"1.234,50"`` in German and ``"1,234.50"`` in English both give 123450 for EUR.
    Zero, negative values, more decimals than the currency has and non-numbers are
    refused with a translated ValidationFailed.
    """
    cleaned = (text or "").strip().replace("\u00a0", " ").removesuffix("€").strip()
    if not cleaned:
        raise ValidationFailed(_("Please enter an amount."), field=field)
    if cleaned.startswith("-"):
        raise ValidationFailed(_("The amount must be greater than zero."), field=field)
    try:
        if not _TYPED.match(cleaned) or not any(ch.isdigit() for ch in cleaned):
            raise ValueError(cleaned)
        value = parse_decimal(cleaned, locale=locale, strict=True)
    except (NumberFormatError, InvalidOperation, ValueError) as error:
        raise ValidationFailed(
            _(
                "%(text)s is not an amount. Example: %(example)s",
                text=text,
                example=_example(locale),
            ),
            field=field,
        ) from error
    return _to_minor(value, currency, field)


def _example(locale: str) -> str:
    """An example amount in the user's notation."""
    return "1.234,50" if locale.startswith("de") else "1,234.50"


def parse_plain_amount(text: str, currency: str, field: str = "amount") -> int:
    """Parse a plain decimal string with a dot (API, CSV): ``"1200.00"`` → 120000 cents."""
    if not isinstance(text, str) or not _PLAIN.match(text.strip()):
        raise ValidationFailed(
            _('Give the amount as a decimal string with a dot, e.g. "1200.00".'), field=field
        )
    return _to_minor(Decimal(text.strip()), currency, field)


def plain_amount(amount_minor: int, currency: str) -> str:
    """Render minor units as a plain decimal string with a dot: 120000 EUR → ``"1200.00"``."""
    return str(to_decimal(amount_minor, currency))


@lru_cache(maxsize=64)
def minor_units(currency: str) -> int:
    """Return how many decimal places ``currency`` has (EUR: 2, JPY: 0); kept per currency
    (Babel looks it up in its locale data on every call)."""
    return get_currency_precision(currency)


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    """Turn an integer count of minor units into an exact decimal amount."""
    return Decimal(amount_minor).scaleb(-minor_units(currency))


@lru_cache(maxsize=CACHE_SIZE)
def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """Format minor units for display, e.g. ``1.234,50 €`` in German; kept per amount,
    currency and locale (a balance table shows a few hundred amounts a view)."""
    return currency_text(to_decimal(amount_minor, currency), currency, locale)
