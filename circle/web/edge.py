"""What a request brings to the edge of the app: its host, its body and its proxies.

- **Host.** A request must name ``BASE_URL``'s host or one of ``TRUSTED_HOSTS``
  (``ALLOWED_HOSTS`` in the config); any other host answers 400 before a view runs.
  Links in mails never come from the request anyway (``circle.mail.send.external_url``).
  ``/healthz`` and ``/readyz`` answer any host: load balancers probe them by the
  instance's address, and they reveal nothing.
- **Body size.** Every request body may hold ``MAX_CONTENT_LENGTH`` bytes
  (``MAX_BODY_BYTES``, 1 MiB); a view marked with ``larger_body`` takes the size its
  setting names (imports: ``MAX_UPLOAD_BYTES``). A ``Content-Length`` past the cap
  answers 413 before a byte is read; a chunked body is cut off at the cap (413), and
  Werkzeug reads nothing at all from a stream the server does not terminate.
- **Proxies.** With ``PROXY_COUNT`` > 0, Werkzeug's ``ProxyFix`` takes the client's
  address, scheme and host from that many ``X-Forwarded-*`` entries, so rate limits,
  logs and the audit see the real client, and the host check sees the host it asked for.
  With 0 (the default) those headers are ignored: anyone could send them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request
from flask import Request as FlaskRequest
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import host_is_trusted

from circle.core.errors import DomainError

#: The attribute ``larger_body`` sets on a view: the config key of its body cap.
_LIMIT_ATTRIBUTE = "circle_body_limit"
#: Paths that answer whatever host was asked for.
ANY_HOST_PATHS = frozenset({"/healthz", "/readyz"})

View = TypeVar("View", bound=Callable)


class UnknownHost(DomainError):
    """The request names a host this site is not served under."""

    code = "bad_request"
    status = 400


def larger_body(config_key: str) -> Callable[[View], View]:
    """Let a view read a body of up to ``config[config_key]`` bytes (uploads).

    Put it right under the route decorator: the cap applies from the first read of the
    body, before the CSRF check reads the form.
    """

    def mark(view: View) -> View:
        setattr(view, _LIMIT_ATTRIBUTE, config_key)
        return view

    return mark


class Request(FlaskRequest):
    """Flask's request with a body cap per view (``larger_body``)."""

    @property
    def max_content_length(self) -> int | None:
        """The view's own cap, else ``MAX_CONTENT_LENGTH``; a value set on the request wins."""
        if self._max_content_length is None and current_app and self.endpoint:
            view = current_app.view_functions.get(self.endpoint)
            key = getattr(view, _LIMIT_ATTRIBUTE, None)
            if key:
                return current_app.config[key]
        return FlaskRequest.max_content_length.fget(self)  # type: ignore[attr-defined]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        """Set this request's own cap (as ``flask.Request`` allows)."""
        self._max_content_length = value


def refuse_unknown_host() -> None:
    """Raise UnknownHost (400) unless the request names a host the site is served under."""
    if request.path in ANY_HOST_PATHS:
        return
    if not host_is_trusted(request.host, current_app.config["ALLOWED_HOSTS"]):
        raise UnknownHost(_("This site is not served under that address."))


def refuse_large_body() -> None:
    """Answer 413 when the declared body is larger than the view accepts, before reading it."""
    length, cap = request.content_length, request.max_content_length
    if length is not None and cap is not None and length > cap:
        raise RequestEntityTooLarge()


def register(app: Flask) -> None:
    """Install the request class, the proxy fix and the checks (first of all) on ``app``."""
    app.request_class = Request
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    checks = app.before_request_funcs.setdefault(None, [])
    checks[0:0] = [refuse_unknown_host, refuse_large_body]
