"""Structured logs: one JSON object per line (``LOG_FORMAT=json``, the production default),
each carrying the id of the request it belongs to, and the same id in the jobs that the
request put on the queue.

The id is the proxy's ``X-Request-ID`` when the app trusts its proxies (``PROXY_COUNT``)
and the value is short and plain, otherwise a new one; the response returns it in
``X-Request-ID``, so a user's report, the proxy's log and ours meet.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_request_context, request

#: The request id of the work at hand: set per request, and per job from its arguments.
REQUEST_ID: ContextVar[str | None] = ContextVar("circle_request_id", default=None)
#: A request id a proxy may hand over: letters, digits, dashes; at most 64.
_PLAIN_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
#: The log record's own attributes (anything else on a record is an ``extra`` field).
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def current_request_id() -> str | None:
    """The request id of the work at hand (a request or a job it started), if any."""
    if has_request_context() and "request_id" in g:
        return g.request_id
    return REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record (None outside a request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the id; never drops a record."""
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request id, any
    ``extra`` fields, and the exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(app: Flask) -> None:
    """Log at INFO to standard error, as JSON or as text (``LOG_FORMAT``), every record
    with its request id; tests keep pytest's own logging."""
    if app.testing:
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def register(app: Flask) -> None:
    """Give every request its id (before anything else logs) and return it."""
    app.before_request(_take_request_id)
    app.after_request(_return_request_id)


def _take_request_id() -> None:
    """The proxy's id when the proxies are trusted and it is plain, else a new one."""
    offered = request.headers.get("X-Request-ID", "")
    trusted = current_app.config.get("PROXY_COUNT", 0) > 0
    g.request_id = offered if trusted and _PLAIN_ID.fullmatch(offered) else uuid.uuid4().hex


def _return_request_id(response):
    """Tell the client (and the proxy's log) the id."""
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response
