"""Locale choice and formatting helpers for templates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, session
from flask_babel import format_date as flask_format_date
from flask_babel import get_translations
from flask_login import current_user

from circle.core.formats import date_text, local_datetime_text, skeleton_text
from circle.core.money import format_money
from circle.extensions import kept_translations, locale_name


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
    return format_money(amount_minor, currency, locale_name())


def local_datetime(value: datetime | None, timezone: str, fmt: str = "medium") -> str:
    """Show a UTC timestamp in a circle's time zone and the current locale."""
    if value is None:
        return ""
    return local_datetime_text(value, timezone, fmt, locale_name())


def local_date(value: datetime | None, timezone: str) -> str:
    """The day of a UTC timestamp in a circle's time zone, in the current locale with the
    month's short name ("2. Dez. 2024", "Dec 2, 2024"; template filter ``local_date``)."""
    if value is None:
        return ""
    day = value.astimezone(ZoneInfo(timezone)).date()
    return skeleton_text("yMMMd", day, locale_name())


def format_date(value: date | datetime | None = None, fmt: str = "medium") -> str:
    """A day in the request's language (``short``, ``medium``, ``long``, ``full`` or a
    pattern; template helper ``format_date``); a timestamp goes through Flask-Babel,
    which moves it to the user's time zone first."""
    if isinstance(value, datetime) or value is None:
        return flask_format_date(value, fmt)
    return date_text(value, fmt, locale_name())


def _translations():
    """The catalogue of the request's language for the templates' ``_()``: the one
    ``circle.extensions.RequestDomain`` keeps, found through Flask-Babel the first time
    and whenever the language changed (``force_locale``)."""
    found = kept_translations()
    return found if found is not None else get_translations()


def install_template_gettext(app: Flask) -> None:
    """Let the templates' ``_()`` and ``ngettext()`` translate through ``_translations``
    (the same catalogue Flask-Babel finds; a page calls them dozens of times)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: _translations().ugettext(text),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, text: _translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(
            context, singular, plural, n
        ),
    )
