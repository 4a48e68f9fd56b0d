"""The ``@endpoint`` decorator: mounts a route on ``api_bp`` and records it for OpenAPI.

Every request of the API runs the same steps in one unit of work (one commit):

1. authenticate the bearer token (when ``auth``; its ``last_used_at`` is committed too),
2. read the JSON body and load it with the ``body`` schema (415 / 413 / 422),
3. call the view, which calls the services,
4. dump the result with the ``response`` schema (``None``: 204 No Content).

Domain errors become problem responses with their own ``code`` and ``status``;
marshmallow errors become ``validation_error`` with ``errors: {field: [messages]}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, wraps

from flask import Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import UnsupportedMediaType

from circle.api import api_bp
from circle.api.problems import problem
from circle.auth.services import user_for_api_token
from circle.core.errors import DomainError
from circle.db import unit_of_work
from circle.extensions import db, limiter
from circle.models import User
from circle.web.edge import larger_body
from circle.web.errors import log_refusal

#: Largest JSON body the API reads (bytes); larger ones get 413.
MAX_BODY = 64 * 1024

#: The status of every problem ``code`` an endpoint can answer with.
PROBLEM_STATUS = {
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "already_member": 409,
    "circle_full": 409,
    "profession_taken": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "validation_error": 422,
    "rate_limited": 429,
    "import_rejected": 422,
    "self_referral": 422,
    "not_a_member": 422,
}


@dataclass(frozen=True)
class Operation:
    """One documented operation: a rule, a method and what goes in and out."""

    rule: str
    method: str
    summary: str
    description: str
    tag: str
    body: type[Schema] | None
    response: type[Schema] | None
    status: int
    auth: bool
    problems: tuple[str, ...]
    query: type[Schema] | None = None
    #: A ``multipart/form-data`` body (file uploads) instead of JSON.
    form: type[Schema] | None = None
    #: A non-JSON media type the view answers with (it returns a ``Response``).
    produces: str | None = None
    #: Further success statuses the view may answer with (``WithStatus``).
    statuses: tuple[int, ...] = ()


@dataclass(frozen=True)
class WithStatus:
    """A view's result answered with another success status than the endpoint's own."""

    result: object
    status: int


@dataclass(frozen=True)
class Dumped:
    """A view's result already in its response schema's shape and JSON types: answered as
    it is, without the schema's ``dump`` (marshmallow took a third of the balance over
    the whole history). A view returns one only with a test that its document equals the
    schema's dump of the same result. Its JSON is written once (``body``): a document
    kept in memory (``circle.core.memo``) is answered from those bytes every time."""

    document: dict

    @cached_property
    def body(self) -> bytes:
        """The document as ``jsonify`` writes it, made on first use."""
        return jsonify(self.document).get_data()

    @cached_property
    def etag(self) -> str:
        """The document's entity tag: a digest of its JSON (a repeat GET of an unchanged
        document is answered 304 without it)."""
        return hashlib.sha256(self.body).hexdigest()


#: Largest multipart upload the API reads (bytes) unless ``MAX_UPLOAD_BYTES`` is set.
MAX_UPLOAD = 64 * 1024 * 1024


#: Every operation of the API, in the order the modules declare them.
OPERATIONS: list[Operation] = []


class Unauthorized(DomainError):
    """No bearer token, or one that is unknown or revoked."""

    code = "unauthorized"
    status = 401


def endpoint(
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    body: type[Schema] | None = None,
    response: type[Schema] | None = None,
    status: int = 200,
    auth: bool = True,
    problems: tuple[str, ...] = (),
    rate_limit: str | None = None,
    query: type[Schema] | None = None,
    form: type[Schema] | None = None,
    produces: str | None = None,
    statuses: tuple[int, ...] = (),
) -> Callable:
    """Register ``rule`` for ``method`` on the API blueprint and in the OpenAPI registry.

    The view receives the path's values and, with a ``body`` schema, ``data`` (the
    loaded body). It returns what ``response`` dumps, or ``None`` for 204.
    ``problems`` lists the codes beyond those that follow from the other arguments.
    With a ``query`` schema the view also receives ``query`` (the loaded query string).
    With a ``form`` schema (``multipart/form-data``, uploads) the view receives ``form``,
    a function that reads and loads the body when called: the view checks access first,
    so another circle's id is 404 whatever was sent;
    with ``produces`` (e.g. ``"text/csv"``) the view returns a ready ``Response``; a
    view may return ``WithStatus(result, 201)`` for one of the further ``statuses``.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def handler(**path):
            return _handle(view, path, body, response, status, auth, query, form)

        if rate_limit:
            handler = limiter.limit(rate_limit)(handler)
        if form is not None:  # uploads: their own cap instead of MAX_BODY_BYTES
            handler = larger_body("MAX_UPLOAD_BYTES")(handler)
        api_bp.add_url_rule(rule, view_func=handler, methods=[method])
        implied = ["unauthorized"] if auth else []
        if "<" in rule:
            implied.append("not_found")
        if query is not None:
            implied.append("validation_error")
        if body is not None or form is not None:
            implied += ["validation_error", "unsupported_media_type", "payload_too_large"]
        if rate_limit:
            implied.append("rate_limited")
        OPERATIONS.append(
            Operation(
                rule=rule,
                method=method.lower(),
                summary=summary,
                description=" ".join((view.__doc__ or "").split()).replace("``", "`"),
                tag=tag,
                body=body,
                response=response,
                status=status,
                auth=auth,
                problems=tuple(dict.fromkeys([*implied, *problems])),
                query=query,
                form=form,
                produces=produces,
                statuses=statuses,
            )
        )
        return view

    return decorate


def current_user() -> User:
    """The user the bearer token belongs to (only inside an ``auth`` endpoint)."""
    return g.api_user


def _handle(
    view, path, body_schema, response_schema, status, auth, query_schema=None, form_schema=None
):
    """Run one request as one unit of work and turn refusals into problems."""
    try:
        with unit_of_work(db.session):
            if auth:
                g.api_user = _authenticate()
            if query_schema is not None:
                path["query"] = query_schema().load(request.args.to_dict())
            if body_schema is not None:
                path["data"] = body_schema().load(_json_body())
            if form_schema is not None:
                path["form"] = lambda: form_schema().load(_form_body())
            result = view(**path)
            if isinstance(result, WithStatus):
                result, status = result.result, result.status
            if isinstance(result, Dumped):
                payload = result
            else:
                payload = None if response_schema is None else response_schema().dump(result)
    except ValidationError as error:
        return validation_problem(error.messages)
    except DomainError as error:
        return domain_problem(error)
    if isinstance(result, Response):
        return result
    if payload is None:
        return Response(status=204)
    if not isinstance(payload, Dumped):
        response = jsonify(payload)
        response.status_code = status
        return response
    response = current_app.response_class(payload.body, mimetype=current_app.json.mimetype)
    response.status_code = status
    if request.method == "GET" and status == 200:
        # Asked again with the tag of the same document: 304, nothing sent. Caches still
        # store nothing (every answer to a logged-in caller is no-store); a client that
        # keeps the document itself asks with its tag.
        response.set_etag(payload.etag)
        response = response.make_conditional(request)
    return response


def _authenticate() -> User:
    """Return the owner of the request's bearer token; raise Unauthorized otherwise."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(_("A valid bearer token is required."))
    user = user_for_api_token(token.strip())
    if user is None:
        raise Unauthorized(_("The token is invalid or has been revoked."))
    return user


class UnsupportedUpload(DomainError):
    """An upload endpoint was sent something other than ``multipart/form-data``."""

    code = "unsupported_media_type"
    status = 415


def _form_body() -> dict:
    """Read a ``multipart/form-data`` body (fields and files): 415 otherwise, 413 when too large."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedUpload(_("Send the file as multipart/form-data."))
    request.max_content_length = current_app.config.get("MAX_UPLOAD_BYTES", MAX_UPLOAD)
    return {**request.form.to_dict(), **request.files.to_dict()}


class _BadJson(Exception):
    """The body is not parseable JSON."""


def _json_body():
    """Read the JSON body: 415 for other content types, 413 when too large, 422 when broken."""
    if not (request.mimetype == "application/json" or request.mimetype.endswith("+json")):
        raise UnsupportedMediaType()
    request.max_content_length = MAX_BODY
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ValidationError({"body": [_("The request body is not valid JSON.")]}) from None


def _stringify(messages):
    """Turn marshmallow's (possibly lazy, possibly nested) messages into plain JSON."""
    if isinstance(messages, dict):
        return {str(key): _stringify(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [_stringify(m) for m in messages]
    return str(messages)


def validation_problem(messages) -> Response:
    """A 422 ``validation_error`` with the messages per field (``body`` for the whole body)."""
    if not isinstance(messages, dict):
        messages = {"body": messages}
    errors = {
        field: value if isinstance(value, list | dict) else [value]
        for field, value in _stringify(messages).items()
    }
    if "_schema" in errors:
        errors["body"] = errors.pop("_schema")
    return problem(
        422, "validation_error", _("The input is invalid; see the errors per field."), errors=errors
    )


def domain_problem(error: DomainError) -> Response:
    """A problem response for a refusal of the services, mapped 1:1 from the error."""
    log_refusal(error.status, f"{error.code}: {error.message}")
    extra = {"errors": {error.field: [error.message]}} if error.field else {}
    extra.update(getattr(error, "extra", None) or {})
    response = problem(error.status, error.code, error.message, **extra)
    if error.status == 401:
        value = 'Bearer realm="circle"'
        if "Authorization" in request.headers:
            value += ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = value
    if getattr(error, "retry_after", None):  # a throttle's refusal says when to come back
        response.headers["Retry-After"] = str(error.retry_after)
    return response
