"""Schemathesis fuzzes every operation of ``/api/v1/openapi.json`` in-process.

The Flask app is called as WSGI (no server). An admin of a circle with data (members, an
applicant, meetings, a referral, closed business, a visitor, a one-to-one, an education
credit) sends the requests with a real bearer token, so half of the cases address real
objects. Every case must be answered without a 5xx, with a documented status, content type
and a body that matches the document.

Each case runs inside a SAVEPOINT that is rolled back afterwards, and the module's data
lives in one outer transaction that is rolled back at the end: nothing leaks between cases
or into other tests. Generation is derandomized (same cases every run) and bounded so the
whole module stays within about a minute per pass.
"""

from __future__ import annotations

import os
from urllib.parse import quote_plus

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from circle.api.endpoint import OPERATIONS
from circle.api.fields import Day, Int, Text
from circle.api.openapi import _PATH_PARAM, openapi_path
from tests.security.fuzzing import (
    EDGE_DAYS,
    EDGE_INTS,
    EDGE_TEXTS,
    EDGES,
    as_bytes,
    fuzz_app,
    savepoint,
    world,
)

pytestmark = pytest.mark.slow

#: Cases per operation; about 45 operations x 30 cases take about half a minute of CPU.
#: A deeper run: CIRCLE_FUZZ_EXAMPLES=300 .venv/bin/pytest tests/security/test_fuzz_api.py
EXAMPLES = int(os.environ.get("CIRCLE_FUZZ_EXAMPLES", "30"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def schema(fuzz_app):
    """The API's OpenAPI document, loaded by schemathesis from the app itself."""
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    # The admin's token goes into every case; generated or mangled tokens only meet the
    # 401 path, which tests/auth/test_api_tokens.py covers.
    loaded.config.generation.update(with_security_parameters=False)
    return loaded


def _label(op) -> str:
    return f"{op.method.upper()} {openapi_path(op.rule)}"


@pytest.mark.parametrize("op", OPERATIONS, ids=_label)
def test_operation_survives_fuzzing(fuzz_app, world, schema, op):
    operation = schema[openapi_path(op.rule)][op.method]
    path = {
        name: value for name, value in world["path"].items() if "{" + name + "}" in operation.path
    }
    if "decision" in operation.path:
        path["member_id"] = world["applicant_id"]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=path),
        operation.as_strategy(GenerationMode.POSITIVE),
    )
    headers = {"Authorization": f"Bearer {world['token']}"}
    client = fuzz_app.test_client()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def fuzz(case):
        with savepoint(fuzz_app):
            case.call_and_validate(session=client, headers=headers, checks=CHECKS)

    fuzz()


def _edges_for(field) -> list[str]:
    """The edge values for a query field of this kind."""
    if isinstance(field, Day):
        return EDGE_DAYS
    if isinstance(field, Int):
        return EDGE_INTS
    if isinstance(field, Text):
        return EDGE_TEXTS + EDGE_DAYS
    return EDGES


def _edge_requests(op, known: dict) -> list[str]:
    """URLs of ``op`` with one edge value at a time in a path or query parameter."""
    params = [name for _converter, name in _PATH_PARAM.findall(op.rule)]
    path_of = {name: str(known.get(name, 1)) for name in params}

    def url(path_values: dict, query: str = "") -> str:
        rule = _PATH_PARAM.sub(lambda m: path_values[m.group(2)], op.rule)
        return "/api/v1" + rule + (f"?{query}" if query else "")

    urls = []
    for name in params:
        values = EDGE_DAYS if name == "day" else EDGE_INTS
        urls += [url({**path_of, name: quote_plus(value)}) for value in values]
    if op.query is not None:
        for name, field in op.query().load_fields.items():
            key = field.data_key or name
            for value in _edges_for(field):
                urls.append(url(path_of, f"{quote_plus(key)}={quote_plus(as_bytes(value))}"))
    return urls


@pytest.mark.parametrize("op", OPERATIONS, ids=_label)
def test_operation_answers_edge_values_without_a_server_error(fuzz_app, world, op):
    """Issue 12, item 13, for every operation: each path and query parameter gets the
    calendar's edges, impossible days, ids past int4/int8/64 bits and odd encodings, one at
    a time; every answer is below 500 (a body of ``{}`` where one is expected)."""
    headers = {"Authorization": f"Bearer {world['token']}"}
    client = fuzz_app.test_client()
    failures = []
    for url in _edge_requests(op, world["path"]):
        with savepoint(fuzz_app):
            kwargs = {"json": {}} if op.body is not None else {}
            response = client.open(url, method=op.method, headers=headers, **kwargs)
        if response.status_code >= 500:
            failures.append(f"{op.method} {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
