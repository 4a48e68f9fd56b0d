"""Locale choice and formatting helpers for templates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_skeleton
from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

from circle.core.money import format_money


def select_locale() -> str:
    """Pick the UI language: explicit choice, then the account, then the browser."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def money(amount_minor: int, currency: str) -> str:
    """Format minor units in the current locale (template filter ``money``)."""
    return format_money(amount_minor, currency, str(get_locale()))


def local_datetime(value: datetime | None, timezone: str, fmt: str = "medium") -> str:
    """Show a UTC timestamp in a circle's time zone and the current locale."""
    if value is None:
        return ""
    return babel_format_datetime(
        value.astimezone(ZoneInfo(timezone)), format=fmt, locale=str(get_locale())
    )


def local_date(value: datetime | None, timezone: str) -> str:
    """The day of a UTC timestamp in a circle's time zone, in the current locale with the
    month's short name ("2. Dez. 2024", "Dec 2, 2024"; template filter ``local_date``)."""
    if value is None:
        return ""
    day = value.astimezone(ZoneInfo(timezone)).date()
    return format_skeleton("yMMMd", day, locale=str(get_locale()))
