"""Flask extensions, created unattached and bound in ``create_app``."""

import logging
from collections.abc import Callable, Mapping
from functools import cached_property

from flask import g, has_app_context, request
from flask_babel import Babel, Domain, get_locale
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from circle.db import Base

db = SQLAlchemy(
    model_class=Base,
    # Only matters when a session is bound to a connection that is already in a
    # transaction (the tests' rolled-back transaction); production binds engines.
    # expire_on_commit=False: the one commit ends the request; objects stay readable after it.
    session_options={"join_transaction_mode": "create_savepoint", "expire_on_commit": False},
)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


#: ``flask.g`` key of the catalogue found for this request: ``(locale, translations)``.
TRANSLATIONS_KEY = "circle_translations"


class RequestDomain(Domain):
    """Flask-Babel's message domain, with the catalogue kept per request and language.

    Flask-Babel finds the context, the domain and the locale's name again for every
    string it translates (23 us a string; a page translates a hundred: labels, choices,
    messages). The catalogue found is kept on the request beside its locale; a mail
    rendered under ``force_locale`` has another locale object and finds its own.
    """

    def get_translations(self):
        """The catalogue of the current request's language (looked up once)."""
        if not has_app_context():
            return super().get_translations()
        found = kept_translations()
        if found is None:
            found = super().get_translations()
            g._get_current_object().__dict__[TRANSLATIONS_KEY] = (get_locale(), found)
        return found


def kept_translations():
    """The catalogue ``RequestDomain`` kept for this request, or None when none is kept
    for the locale in force (one context lookup; the templates' ``_()`` reads it too)."""
    here = g._get_current_object().__dict__
    locale = getattr(here.get("_flask_babel"), "babel_locale", None)
    found = here.get(TRANSLATIONS_KEY)
    if locale is not None and found is not None and found[0] is locale:
        return found[1]
    return None


#: Each language's name as text, by Babel locale (``str(locale)`` builds it anew each time).
_LOCALE_NAMES: dict[object, str] = {}


def locale_name() -> str:
    """The language in force as Babel's formatting functions take it (``de``, ``en``):
    the locale Flask-Babel chose for the request (or ``force_locale`` set), read from the
    request's context directly; a page asks for it for every amount and date it shows."""
    if not has_app_context():
        return "en"
    kept = g._get_current_object().__dict__.get("_flask_babel")
    locale = getattr(kept, "babel_locale", None) or get_locale()
    if locale is None:
        return "en"
    name = _LOCALE_NAMES.get(locale)
    if name is None:
        name = _LOCALE_NAMES[locale] = str(locale)
    return name


class Labels:
    """The translated names of stored values (statuses, codes, kinds), each language's
    translated once per process.

    ``build`` returns the names by value, written with ``_()`` or ``_l()`` as anywhere else
    (so the catalogue extraction finds them); it runs once per catalogue, the first time a
    name is asked for in that language. A page that names the state of each of its rows
    then reads a dict instead of asking Flask-Babel again for every row (and for every
    name of the dict the label function used to build on each call).
    """

    def __init__(self, build: Callable[[], Mapping[str, object]]) -> None:
        self._build = build
        self._kept: dict[object, dict[str, str]] = {}

    def table(self) -> dict[str, str]:
        """Every name, in the language in force."""
        catalogue = babel.domain_instance.get_translations()
        found = self._kept.get(catalogue)
        if found is None:
            found = {value: str(name) for value, name in self._build().items()}
            self._kept[catalogue] = found
        return found

    def __call__(self, value: str | None, default: str | None = None) -> str:
        """The name of ``value`` in the language in force; ``default`` (else the value
        itself) when it has none."""
        found = self.table().get(value)  # type: ignore[arg-type]
        if found is not None:
            return found
        return (value or "") if default is None else default


class CircleBabel(Babel):
    """Flask-Babel with the ``RequestDomain``."""

    @cached_property
    def domain_instance(self):
        """The message domain (``RequestDomain``)."""
        return RequestDomain(domain=self.domain)


babel = CircleBabel()
#: Compresses style sheets, scripts and SVG (Brotli or gzip, as the browser accepts).
#: Not HTML: a page carries the session's CSRF secret beside what a user typed, the mix a
#: BREACH attack reads through compressed sizes; pages stay small by paging instead.
compress = Compress()


def _log_breach(limit) -> None:
    """Log a request refused by a rate limit: endpoint, limit and client address."""
    logging.getLogger("circle.auth").warning(
        "throttled outcome=refused endpoint=%s limit=%s ip=%s",
        request.endpoint,
        limit.limit,
        get_remote_address(),
    )


limiter = Limiter(key_func=get_remote_address, default_limits=[], on_breach=_log_breach)
