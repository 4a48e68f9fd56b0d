"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document, generated from ``OPERATIONS``."""

from __future__ import annotations

import re
from collections import defaultdict

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify

from circle.api import api_bp
from circle.api.endpoint import MAX_BODY, OPERATIONS, PROBLEM_STATUS, Operation
from circle.api.schemas import ProblemSchema
from circle.core.ids import MAX_ID
from circle.extensions import limiter

#: A path parameter with its converter (``int``; empty for Flask's default string).
_PATH_PARAM = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?(\w+)>")

DESCRIPTION = f"""\
JSON in and out. Authenticate with `Authorization: Bearer <token>` (get one from
`POST /api/v1/tokens`). Refusals are `application/problem+json` (RFC 9457) with a stable
`code`; validation problems carry `errors: {{field: [messages]}}`. Messages follow the
`Accept-Language` header (German or English).

Bodies must be sent with `Content-Type: application/json` (otherwise 415
`unsupported_media_type`), may hold at most {MAX_BODY} bytes (413 `payload_too_large`), and
must be a JSON object with only the documented fields (422 `validation_error`; a broken
or non-object body is reported under `errors.body`). Any path answers 405
`method_not_allowed` to a method it does not offer. Exceptions: imports upload a file as
`multipart/form-data`, and the export answers `text/csv`.
"""


def _param_schema(converter: str, name: str) -> dict:
    """The JSON schema of a path parameter: an id for ``int`` (bounded, so that fuzzers try
    the database's edge and beyond it), a date for ``day``."""
    if converter == "int":
        return {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    if name == "day":
        return {"type": "string", "format": "date"}
    return {"type": "string"}


def openapi_path(rule: str) -> str:
    """Turn a Flask rule (``/circles/<int:circle_id>``) into an OpenAPI path."""
    return api_bp.url_prefix + _PATH_PARAM.sub(r"{\2}", rule)


def _operation(op: Operation) -> dict:
    """The OpenAPI operation object of one registered endpoint."""
    success = {"description": "No content" if op.response is None else "OK"}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": op.response}}
    responses: dict[str, dict] = {str(op.status if op.response else 204): success}
    if op.produces is not None:
        success = {"description": "OK", "content": {op.produces: {"schema": {"type": "string"}}}}
        responses = {str(op.status): success}
    for status in op.statuses:
        responses[str(status)] = success
    codes_by_status: dict[int, list[str]] = defaultdict(list)
    for code in op.problems:
        codes_by_status[PROBLEM_STATUS[code]].append(code)
    for status, codes in sorted(codes_by_status.items()):
        responses[str(status)] = {
            "description": "Problem: " + ", ".join(f"`{c}`" for c in codes),
            "content": {"application/problem+json": {"schema": ProblemSchema}},
        }
    operation = {
        "operationId": f"{op.method}_{op.rule.strip('/').replace('/', '_')}",
        "summary": op.summary,
        "description": op.description,
        "tags": [op.tag],
        "security": [{"bearerAuth": []}] if op.auth else [],
        "responses": responses,
    }
    operation["operationId"] = _PATH_PARAM.sub(r"\2", operation["operationId"])
    params = _PATH_PARAM.findall(op.rule)
    if params:
        operation["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": _param_schema(converter, name)}
            for converter, name in params
        ]
    if op.query is not None:
        operation.setdefault("parameters", []).append({"in": "query", "schema": op.query})
    if op.form is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": op.form}},
        }
    if op.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.body}},
        }
    return operation


def build_spec() -> dict:
    """Build the OpenAPI 3.1 document of every registered endpoint."""
    spec = APISpec(
        title="Circle API",
        version="1",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", schema=ProblemSchema)
    by_path: dict[str, dict] = defaultdict(dict)
    for op in OPERATIONS:
        by_path[openapi_path(op.rule)][op.method] = _operation(op)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@api_bp.get("/openapi.json")
@limiter.exempt
def openapi_document():
    """The OpenAPI 3.1 document of this API (no token needed)."""
    return jsonify(build_spec())
