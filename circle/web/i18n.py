"""Locale choice and formatting helpers for templates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request, session
from flask_babel import format_date as flask_format_date
from flask_babel import get_translations
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

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
    """Let the templates' ``_()``, ``gettext()`` and ``ngettext()`` translate through
    ``_translations`` (the same catalogue Flask-Babel finds; a page calls them dozens of
    times), with Jinja's "new style" rules: the text is escaped as markup where the
    template escapes, and always formatted with its keywords (``%%`` is one ``%``)."""
    env = app.jinja_env
    env.install_gettext_callables(
        gettext=lambda text: _translations().ugettext(text),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, text: _translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(
            context, singular, plural, n
        ),
    )
    # Jinja's own ``_`` calls its ``gettext``, which calls the callable above: three calls
    # through the template context for each string (5.7 us); these do the same in one.
    env.globals["_"] = env.globals["gettext"] = template_gettext
    env.globals["ngettext"] = template_ngettext


@pass_context
def template_gettext(context: Context, text: str, /, **variables) -> str:
    """``_('…', name=value)`` in a template: the translation, formatted with the keywords."""
    found = _translations().ugettext(text)
    if context.eval_ctx.autoescape:
        found = Markup(found)  # noqa: S704 - the catalogue's text, as Jinja's gettext  # nosec B704
    return found % variables if variables or "%" in found else found


@pass_context
def template_ngettext(context: Context, singular: str, plural: str, n: int, /, **variables) -> str:
    """``ngettext('… %(num)s …', '…', n)`` in a template: the form for ``n``, formatted with
    ``num=n`` and the keywords."""
    variables.setdefault("num", n)
    found = _translations().ungettext(singular, plural, n)
    if context.eval_ctx.autoescape:
        found = Markup(found)  # noqa: S704 - the catalogue's text, as Jinja's ngettext  # nosec B704
    return found % variables


#: ``flask.g`` attribute where Flask-WTF keeps the request's signed CSRF token.
CSRF_TOKEN_KEPT = "csrf_token"  # noqa: S105 - a name, not a secret  # nosec B105


def kept_csrf_token() -> str:
    """``csrf_token()`` in a template: Flask-WTF's token for this request, signed once (a
    page with a form per row asks for it in every row)."""
    token = g._get_current_object().__dict__.get(CSRF_TOKEN_KEPT)
    return token if token is not None else generate_csrf()


def install_csrf_token(app: Flask) -> None:
    """Serve the templates' ``csrf_token()`` from ``kept_csrf_token``. Flask-WTF adds its
    own as a global and through a context processor; this one, added after it, wins."""
    app.jinja_env.globals["csrf_token"] = kept_csrf_token
    app.context_processor(lambda: {"csrf_token": kept_csrf_token})
