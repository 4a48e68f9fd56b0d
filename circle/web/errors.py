"""Error responses: HTML pages for the site, problem+json (RFC 9457) under ``/api/``."""

from __future__ import annotations

import logging
import re

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from circle.api.problems import problem, problem_for_http
from circle.core.errors import DomainError
from circle.extensions import db

log = logging.getLogger("circle.web_errors")
security_log = logging.getLogger("circle.security")

#: A path segment that looks like a token (invitation, password reset, calendar feed).
_TOKENISH = re.compile(r"[A-Za-z0-9_\-.~]{20,}")


def _refusing_user_id() -> int | None:
    """The id of the logged-in user (session or API token), None when nobody is logged in."""
    from flask_login import current_user

    api_user = g.get("api_user")
    if api_user is not None:
        return api_user.id
    if current_user and current_user.is_authenticated:
        return current_user.id
    return None


def log_refusal(status: int | None, reason: str) -> None:
    """Log a 403/404 answered to a logged-in user: user id, method, path and reason.

    Token-like path segments are masked and the query string is left out, so no token
    or password ends up in the log.
    """
    if status not in (403, 404):
        return
    user_id = _refusing_user_id()
    if user_id is None:
        return
    path = "/".join(
        "<redacted>" if _TOKENISH.fullmatch(part) else part for part in request.path.split("/")
    )
    security_log.warning(
        "refused %s user=%s %s %s reason=%s", status, user_id, request.method, path, reason
    )


def _is_api() -> bool:
    """True when the request is for the JSON API."""
    return request.path.startswith("/api/")


def _titles() -> dict[int, str]:
    """Translated page titles for the common error codes."""
    return {
        400: _("Bad request"),
        401: _("Please log in"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Upload too large"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
        503: _("Service unavailable"),
    }


def _page(status: int, message: str | None = None):
    """Render the error page for ``status``."""
    title = _titles().get(status, _("Error"))
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        db.session.rollback()
        return _page(
            400,
            _("The form has expired or was sent from elsewhere. Please reload it and try again."),
        )

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        db.session.rollback()
        log_refusal(error.status, f"{error.code}: {error.message}")
        if _is_api():
            return problem(error.status, error.code, error.message)
        return _page(error.status, error.message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code and error.code >= 500:
            db.session.rollback()
        log_refusal(error.code, error.name)
        if _is_api():
            return problem_for_http(error)
        if error.code == 429:
            return _page(429, _("Too many attempts. Please wait a minute and try again."))
        if error.code == 413:
            return _page(413, _("The request body is too large."))
        return _page(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return _http(error)
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise error
        if _is_api():
            return problem_for_http(InternalServerError())
        return _page(500)
