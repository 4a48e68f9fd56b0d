"""Problem details (RFC 9457) with a stable ``code`` for every refusal of the API."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def problem(status: int, code: str, detail: str, **extra):
    """Build a problem+json response."""
    body = {
        "type": f"about:blank#{code}",
        "title": _title(status),
        "status": status,
        "code": code,
        "detail": detail,
    }
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    return response


def problem_for_http(error: HTTPException):
    """Turn a werkzeug HTTP error (404 route, 405, 429 ...) into a problem response."""
    status = error.code or 500
    code = _HTTP_CODES.get(status, "error")
    detail = _details().get(status) or (error.description or "")
    response = problem(status, code, detail)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="circle"'
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response


def _title(status: int) -> str:
    """A short title per status code."""
    titles = {
        400: _("Bad request"),
        401: _("Unauthorized"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Payload too large"),
        415: _("Unsupported media type"),
        422: _("Invalid input"),
        429: _("Too many requests"),
        500: _("Internal error"),
        503: _("Service unavailable"),
    }
    return titles.get(status, _("Error"))


def _details() -> dict[int, str]:
    """Default explanations per status code."""
    return {
        401: _("A valid bearer token is required."),
        403: _("You are not allowed to do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request body is too large."),
        415: _("Send JSON with Content-Type: application/json."),
        429: _("Too many requests. Please wait a minute and try again."),
        500: _("An unexpected error occurred."),
    }
