"""Locale formatting for pages, memoised per process (issue 15).

Babel formats a day in about 27 µs and an amount in about 48 µs, most of it spent
parsing the locale name and the pattern again for every cell; a 274-row meeting list
spent half its time there. The results are pure functions of (value, format, language),
so each is computed once per process and kept in a bounded LRU cache; a repeat costs a
dictionary lookup. Each takes the language code as an argument; the request's own
language is ``circle.web.boundary.ui_locale()``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

#: Entries per cache: every day of 25 years in two languages and four formats fits twice.
CACHE_SIZE = 16_384


@lru_cache(maxsize=64)
def locale_of(code: str) -> Locale:
    """The parsed Babel locale of a language code (parsed once per process)."""
    return Locale.parse(code)


@lru_cache(maxsize=CACHE_SIZE)
def date_text(day: date, fmt: str, locale: str) -> str:
    """``day`` in ``fmt`` (short, medium, long, full or a pattern) in ``locale``."""
    return babel_dates.format_date(day, fmt, locale=locale_of(locale))


@lru_cache(maxsize=CACHE_SIZE)
def skeleton_text(skeleton: str, day: date, locale: str) -> str:
    """``day`` by a CLDR skeleton ("yMMMd" gives "2. Dez. 2024" and "Dec 2, 2024")."""
    return babel_dates.format_skeleton(skeleton, day, locale=locale_of(locale))


@lru_cache(maxsize=CACHE_SIZE)
def interval_text(start: date, end: date, skeleton: str, locale: str) -> str:
    """Two days as one interval ("Dec 2 - 8, 2024") by a CLDR skeleton."""
    return babel_dates.format_interval(start, end, skeleton, locale=locale_of(locale))


def decimal_text(value: Decimal | float | int, pattern: str | None, locale: str) -> str:
    """A number in ``locale``, by ``pattern`` or the locale's own."""
    return _decimal(str(value), pattern, locale)


def percent_text(value: Decimal | float, locale: str, quantize: bool = True) -> str:
    """A share (0.25) as a percentage ("25 %") in ``locale``; ``quantize=False`` keeps
    the decimals the value has."""
    return _percent(str(value), locale, quantize)


def currency_text(value: Decimal, currency: str, locale: str) -> str:
    """An exact amount with its currency ("1.234,50 €") in ``locale``."""
    return _currency(str(value), currency, locale)


def local_datetime_text(value: datetime, timezone: str, fmt: str, locale: str) -> str:
    """An aware timestamp as the clock in ``timezone`` shows it, in ``locale``."""
    return _datetime(value, timezone, fmt, locale)


# Numbers are cached by their text: Decimal("1.5") and Decimal("1.50") are equal keys of a
# dict but may be shown differently; babel itself turns a float into Decimal(str(float)).


@lru_cache(maxsize=CACHE_SIZE)
def _decimal(text: str, pattern: str | None, locale: str) -> str:
    return babel_numbers.format_decimal(Decimal(text), format=pattern, locale=locale_of(locale))


@lru_cache(maxsize=CACHE_SIZE)
def _percent(text: str, locale: str, quantize: bool) -> str:
    return babel_numbers.format_percent(
        Decimal(text), locale=locale_of(locale), decimal_quantization=quantize
    )


@lru_cache(maxsize=CACHE_SIZE)
def _currency(text: str, currency: str, locale: str) -> str:
    return babel_numbers.format_currency(Decimal(text), currency, locale=locale_of(locale))


# A timestamp is cached with its time zone's name: two aware datetimes of the same
# instant in different zones are equal keys.


@lru_cache(maxsize=CACHE_SIZE)
def _datetime(value: datetime, timezone: str, fmt: str, locale: str) -> str:
    return babel_dates.format_datetime(
        value.astimezone(ZoneInfo(timezone)), format=fmt, locale=locale_of(locale)
    )
