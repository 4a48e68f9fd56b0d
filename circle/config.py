"""Settings read from the environment.

``CIRCLE_ENV`` selects the mode: ``production`` (the default), ``development`` or
``test``. Outside development and test every secret must come from the environment;
a missing one stops the start-up with a message that says which variable to set.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENVIRONMENTS = ("production", "development", "test")
DEV_SECRET = "dev-only-secret-do-not-use-in-production"  # noqa: S105 - dev/test only  # nosec B105


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _bool(value: str | None, default: bool) -> bool:
    """Read a yes/no environment value."""
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    """Read a positive whole number from the environment; a bad value stops the start-up."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{name} must be a positive whole number, not {value!r}.")
    return int(value)


def _count(name: str, value: Any, default: int) -> int:
    """A whole number of at least 0 (from the environment or an override); ConfigError otherwise."""
    if value is None or value == "":
        return default
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit():
        raise ConfigError(f"{name} must be a whole number of at least 0, not {value!r}.")
    return int(text)


def _base_url(value: str) -> str:
    """``BASE_URL`` checked and without a trailing slash: ``http(s)://host[:port]``."""
    parts = urlsplit(value.strip())
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        parts = parts._replace(netloc="")
    path_ok = parts.path in ("", "/")
    if parts.scheme not in ("http", "https") or not parts.hostname or not path_ok:
        raise ConfigError(
            "BASE_URL must be the address users open, such as https://circle.example.org "
            f"(http or https, a host, an optional port, no path), not {value!r}."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(f"BASE_URL must hold no user, query or fragment, not {value!r}.")
    return f"{parts.scheme}://{parts.netloc}"


def _hosts(value: Any) -> list[str]:
    """Host names from a comma-separated text (or a list), lower case, blanks dropped."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [item.strip().lower() for item in items if item.strip()]


def _edge(env: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Where the site is served, which hosts it answers, its proxies and its body caps.

    ``BASE_URL`` is required in production (mailed links are built from it alone);
    development and test default to ``make run``'s address and also answer for
    ``localhost`` and ``127.0.0.1``. ``TRUSTED_HOSTS`` adds further host names.
    """
    relaxed = env in ("development", "test")
    base = overrides.pop("BASE_URL", None) or os.environ.get("BASE_URL", "")
    if not base:
        if not relaxed:
            raise ConfigError(
                "BASE_URL is not set. Set it to the address users open, for example: "
                "export BASE_URL=https://circle.example.org (links in mails are built "
                "from it, never from a request)."
            )
        host = os.environ.get("HOST") or "127.0.0.1"
        base = f"http://{host}:{os.environ.get('PORT') or '5000'}"
    base = _base_url(base)
    extra = overrides.pop("TRUSTED_HOSTS", None)
    extra = _hosts(os.environ.get("TRUSTED_HOSTS", "") if extra is None else extra)
    allowed = [urlsplit(base).hostname or "", *extra]
    if relaxed:
        allowed += ["localhost", "127.0.0.1"]
    max_body = overrides.pop("MAX_BODY_BYTES", None) or _int("MAX_BODY_BYTES", 1024 * 1024)
    return {
        "BASE_URL": base,
        "ALLOWED_HOSTS": list(dict.fromkeys(allowed)),
        "PROXY_COUNT": _count(
            "PROXY_COUNT", overrides.pop("PROXY_COUNT", os.environ.get("PROXY_COUNT")), 0
        ),
        "MAX_CONTENT_LENGTH": max_body,
        "MAX_UPLOAD_BYTES": _int("MAX_UPLOAD_BYTES", 64 * 1024 * 1024),
        # A profile picture of at most 5 MiB, with room for the form around it.
        "MAX_PICTURE_BODY_BYTES": _int("MAX_PICTURE_BODY_BYTES", 6 * 1024 * 1024),
    }


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask configuration from the environment and ``overrides``.

    ``overrides`` (used by tests) win over the environment. Raises ``ConfigError``
    with a clear message when a production secret is missing.
    """
    overrides = dict(overrides or {})
    env = overrides.get("CIRCLE_ENV") or os.environ.get("CIRCLE_ENV", "production")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CIRCLE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}.")
    relaxed = env in ("development", "test")

    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if not relaxed:
            raise ConfigError(
                "SECRET_KEY is not set. Set it in the environment to a long random value, "
                'for example: export SECRET_KEY="$(python3 -c '
                "'import secrets; print(secrets.token_hex(32))')\""
            )
        secret = DEV_SECRET

    default_db = "sqlite:///" + str(Path(instance_path) / "circle.sqlite3")
    database_url = os.environ.get("DATABASE_URL") or default_db
    database_url = _normalise_database_url(database_url)

    outbox = os.environ.get("MAIL_OUTBOX") or str(Path(instance_path) / "outbox")
    config: dict[str, Any] = {
        "CIRCLE_ENV": env,
        "TESTING": env == "test",
        "DEBUG": False,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        # Mail: an SMTP URL in production; dev/test write .eml files to the outbox.
        "MAIL_URL": os.environ.get("MAIL_URL", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Circle <no-reply@circle.local>"),
        "MAIL_OUTBOX": outbox,
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # The task queue (``circle.tasks.queue`` reads ``QUEUE_URL`` itself): whether a
        # commit that added mails wakes the worker. Tests deliver explicitly instead.
        "QUEUE_DISPATCH": _bool(os.environ.get("QUEUE_DISPATCH"), env != "test"),
        # Operations: log lines as JSON (production) or text; the bearer token of
        # ``GET /metrics`` (unset: no metrics endpoint).
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json" if env == "production" else "text"),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
        "RATELIMIT_ENABLED": _bool(os.environ.get("RATELIMIT_ENABLED"), True),
        # Limits (flask-limiter notation) beyond the fixed ones on the routes: failed password
        # checks per client address, failed logins per address and account (web and API
        # together), failed re-authentication per user, imports.
        # Keeps the counters apart when several apps share one Redis.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "circle"),
        "RATELIMIT_LOGIN_ADDRESS": os.environ.get("RATELIMIT_LOGIN_ADDRESS", "50 per hour"),
        "RATELIMIT_LOGIN_ACCOUNT": os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "10 per hour"),
        "RATELIMIT_REAUTH": os.environ.get("RATELIMIT_REAUTH", "10 per hour"),
        "RATELIMIT_TWO_FACTOR": os.environ.get("RATELIMIT_TWO_FACTOR", "5 per 15 minutes"),
        "RATELIMIT_IMPORTS": os.environ.get("RATELIMIT_IMPORTS", "30 per hour"),
        "RATELIMIT_APPLICATIONS": os.environ.get("RATELIMIT_APPLICATIONS", "10 per hour"),
        "RATELIMIT_CONFIRM_RESEND": os.environ.get("RATELIMIT_CONFIRM_RESEND", "3 per hour"),
        "OPEN_REGISTRATION": _bool(os.environ.get("OPEN_REGISTRATION"), True),
        # Stripe: online dues only when the secret key is set; the webhook verifies
        # signatures whenever its secret is set. One pinned API version for every call.
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_VERSION": os.environ.get("STRIPE_API_VERSION", "2025-09-30.clover"),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        # Where the site is served (mailed links), the hosts it answers, the number of
        # trusted reverse proxies in front of it, and the request-body caps.
        **_edge(env, overrides),
        # Sessions and cookies.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not relaxed,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": not relaxed,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # A login ends after this long without a request, and this long after the login.
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=_int("SESSION_IDLE_MINUTES", 30)),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=_int("SESSION_ABSOLUTE_HOURS", 12)),
        # "Stay logged in on this device" lasts this long (Flask-Login's default is a year).
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int("REMEMBER_DAYS", 30)),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead of a clock
        # Links sent by mail.
        "PASSWORD_RESET_MAX_AGE": _int("PASSWORD_RESET_MAX_AGE", 3600),
        "INVITATION_DAYS": _int("INVITATION_DAYS", 14),
        "EMAIL_CONFIRM_MAX_AGE": _int("EMAIL_CONFIRM_MAX_AGE", 172800),
        # Internationalisation.
        "LANGUAGES": ("de", "en"),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
    }
    if env == "development":
        config["DEBUG"] = _bool(os.environ.get("FLASK_DEBUG"), False)
    config.update(overrides)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = overrides.get(
        "SQLALCHEMY_ENGINE_OPTIONS", _engine_options(config["SQLALCHEMY_DATABASE_URI"])
    )
    return config


def _normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _engine_options(url: str) -> dict[str, Any]:
    """Engine options per backend: a pool sized for threads on PostgreSQL."""
    if url.startswith("postgresql"):
        return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
    return {}
