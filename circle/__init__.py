"""Circle: closed business-referral circles.

``create_app`` is built from small named steps, in the manner of cookiecutter-flask.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from circle.config import load_config

ROOT = Path(__file__).resolve().parent.parent

#: The Content-Security-Policy of every page; a view may set a stricter or wider one
#: (the dues page lets its forms continue to Stripe Checkout and the Billing Portal).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


#: Response types worth compressing: the static files, SVG and the manifest. Never HTML
#: (see ``circle.extensions.compress``); the JSON API stays plain for simple clients.
COMPRESSED_TYPES = ["text/css", "text/javascript", "image/svg+xml", "application/manifest+json"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the application; ``config`` overrides settings read from the environment."""
    app = Flask(
        __name__,
        # Each server of a fleet may have its own (INSTANCE_PATH); nothing another server
        # needs is kept there (uploads, mails to send and sessions are in the database).
        instance_path=os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(load_config(app.instance_path, config))
    register_url_converters(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure_logging(app)
    register_operations(app)
    register_edge(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_input_checks(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_commands(app)
    register_tasks(app)
    return app


def register_url_converters(app: Flask) -> None:
    """Bound ``<int:id>`` to the database's id range before any route is added."""
    from circle.core.ids import IdConverter

    app.url_map.converters["int"] = IdConverter


def configure_logging(app: Flask) -> None:
    """Log at INFO: JSON lines with the request id in production, text in development."""
    from circle.ops import logs

    logs.configure(app)


def register_operations(app: Flask) -> None:
    """Give every request its id (returned in ``X-Request-ID``, on every log line) and
    count and time it for ``/metrics``."""
    from circle.ops import logs, metrics

    logs.register(app)
    metrics.register(app)


def register_edge(app: Flask) -> None:
    """Check the host and the body size before anything else; trust ``PROXY_COUNT`` proxies."""
    from circle.web.edge import register

    register(app)


def register_extensions(app: Flask) -> None:
    """Bind the unattached extensions to this app."""
    from circle.auth.loading import configure_login
    from circle.db import end_reading
    from circle.extensions import babel, compress, csrf, db, limiter, migrate
    from circle.web.i18n import select_locale

    db.init_app(app)
    app.teardown_request(lambda error: error is None and end_reading(db.session))
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    compress.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    configure_login(app)


def register_blueprints(app: Flask) -> None:
    """Mount the HTML pages, the JSON API and the health check."""
    from circle.activity.views import bp as activity_bp
    from circle.api import api_bp
    from circle.auditlog.views import bp as auditlog_bp
    from circle.auth.twofactor_views import bp as twofactor_bp
    from circle.auth.views import bp as auth_bp
    from circle.balance.views import bp as balance_bp
    from circle.circles.views import bp as circles_bp
    from circle.dues.views import bp as dues_bp
    from circle.dues.webhook_view import bp as stripe_webhook_bp
    from circle.extensions import csrf
    from circle.health import bp as health_bp
    from circle.imports.views import bp as imports_bp
    from circle.mail.views import bp as mail_bp
    from circle.meetings.views import bp as meetings_bp
    from circle.membership.views import bp as membership_bp
    from circle.privacy.views import bp as privacy_bp
    from circle.profiles.views import bp as profiles_bp
    from circle.referrals.views import bp as referrals_bp
    from circle.reminders.views import bp as reminders_bp
    from circle.roles.views import bp as roles_bp
    from circle.scores.views import bp as scores_bp
    from circle.trends.views import bp as trends_bp
    from circle.visitors.views import bp as visitors_bp
    from circle.web.assets import bp as assets_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(assets_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(twofactor_bp)
    app.register_blueprint(circles_bp)
    app.register_blueprint(membership_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(balance_bp)
    app.register_blueprint(dues_bp)
    app.register_blueprint(activity_bp)
    app.register_blueprint(scores_bp)
    app.register_blueprint(trends_bp)
    app.register_blueprint(roles_bp)
    app.register_blueprint(visitors_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(profiles_bp)
    app.register_blueprint(auditlog_bp)
    csrf.exempt(api_bp)  # bearer tokens, no cookies: CSRF does not apply
    app.register_blueprint(api_bp)
    app.register_blueprint(stripe_webhook_bp)  # CSRF-exempt view: Stripe signs instead


def register_errorhandlers(app: Flask) -> None:
    """HTML error pages for the site, problem+json under ``/api/``."""
    from circle.web.errors import register

    register(app)


def register_input_checks(app: Flask) -> None:
    """Refuse input no form can hold (a NUL character) before the views see it."""
    from circle.web.request_text import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals for Jinja templates."""
    from flask_babel import format_number, get_locale

    from circle.web.i18n import (
        install_csrf_token,
        install_template_gettext,
        local_date,
        local_datetime,
        money,
    )
    from circle.web.urls import install_url_for

    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.globals["get_locale"] = get_locale
    install_template_gettext(app)
    install_csrf_token(app)
    install_url_for(app)


def register_security_headers(app: Flask) -> None:
    """Headers sent with every response: no framing, no sniffing, strict referrers.

    Pages of a logged-in user and API responses (personal data) are never stored by a
    browser or proxy cache; the public OpenAPI document may be. HSTS outside development
    and test, where the site is served over HTTPS.
    """
    from flask import request
    from flask_login import current_user

    hsts = app.config["SESSION_COOKIE_SECURE"] or app.config["CIRCLE_ENV"] == "production"

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if hsts:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        # A view may allow a cache itself: private (a profile picture, versioned by URL) or
        # public (the favicon and the web-app manifest, the same for everyone).
        own_cache = response.headers.get("Cache-Control", "").startswith(("private", "public"))
        if (_personal(request.path) or current_user.is_authenticated) and not own_cache:
            response.headers["Cache-Control"] = "no-store"
        return response

    def _personal(path: str) -> bool:
        """API responses carry personal data, except the public OpenAPI document."""
        return path.startswith("/api/") and path != "/api/v1/openapi.json"


def register_tasks(app: Flask) -> None:
    """A commit that added mails, or queued or confirmed an import, wakes the worker
    (``QUEUE_DISPATCH``; off in tests)."""
    from circle.imports.jobs import WAKE as WAKE_IMPORTS
    from circle.mail.outbox import WAKE as WAKE_MAIL
    from circle.tasks.jobs import deliver_outbox, run_import

    if app.config["QUEUE_DISPATCH"]:
        app.extensions[WAKE_MAIL] = deliver_outbox
        app.extensions[WAKE_IMPORTS] = run_import


def register_commands(app: Flask) -> None:
    """``flask circle ...`` commands."""
    from circle.cli import circle_cli

    app.cli.add_command(circle_cli)
