"""The OpenAPI 3.1 document: valid, complete (every route of the API), and honest about
bodies, auth and problem codes."""

from __future__ import annotations

import re

from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from circle.api.endpoint import PROBLEM_STATUS

CONVERTER = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>")
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def document(client) -> dict:
    """Fetch the document without a token."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_document_is_served_without_a_token_and_validates_as_openapi_3_1(client):
    doc = document(client)
    assert doc["openapi"] == "3.1.0"
    validate(doc, cls=OpenAPIV31SpecValidator)
    assert doc["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer"}
    }


def test_every_api_route_is_in_the_document_with_its_methods(app, client):
    paths = document(client)["paths"]
    expected: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = CONVERTER.sub(r"{\1}", rule.rule)
        expected.setdefault(path, set()).update(m.lower() for m in rule.methods - IGNORED_METHODS)
    assert len(expected) >= 9
    assert {p: set(ops) for p, ops in paths.items() if p in expected} == expected
    assert set(paths) == set(expected)


def test_the_issues_contract_is_documented(client):
    paths = document(client)["paths"]
    contract = {
        "/api/v1/tokens": {"post", "get"},
        "/api/v1/tokens/{token_id}": {"delete"},
        "/api/v1/users": {"post"},
        "/api/v1/me": {"get"},
        "/api/v1/professions": {"get"},
        "/api/v1/circles": {"get", "post"},
        "/api/v1/circles/{circle_id}": {"get", "patch"},
        "/api/v1/circles/{circle_id}/members": {"get", "post"},
        "/api/v1/circles/{circle_id}/members/{member_id}": {"patch", "delete"},
    }
    for path, methods in contract.items():
        assert set(paths[path]) == methods, path


def test_operations_document_auth_bodies_and_problem_codes(client):
    doc = document(client)
    paths = doc["paths"]
    token = paths["/api/v1/tokens"]["post"]
    assert token["security"] == []
    assert token["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TokenIn"
    }
    assert set(token["responses"]) == {"201", "401", "413", "415", "422", "429"}

    add = paths["/api/v1/circles/{circle_id}/members"]["post"]
    assert add["security"] == [{"bearerAuth": []}]
    conflict = add["responses"]["409"]
    for code in ("profession_taken", "circle_full", "already_member"):
        assert f"`{code}`" in conflict["description"]
    assert conflict["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert [p["name"] for p in add["parameters"]] == ["circle_id"]

    remove = paths["/api/v1/circles/{circle_id}/members/{member_id}"]["delete"]
    assert "204" in remove["responses"]
    assert "requestBody" not in remove

    circle_in = doc["components"]["schemas"]["CircleIn"]
    assert circle_in["additionalProperties"] is False
    assert circle_in["required"] == ["name"]
    assert circle_in["properties"]["seat_limit"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 40,
        "default": 40,
    }
    assert circle_in["properties"]["currency"]["default"] == "EUR"
    assert circle_in["properties"]["timezone"]["default"] == "Europe/Berlin"


def test_every_problem_code_has_its_status_documented_somewhere(client):
    doc = document(client)
    described = " ".join(
        response["description"]
        for operations in doc["paths"].values()
        for operation in operations.values()
        for response in operation["responses"].values()
    )
    for code in PROBLEM_STATUS:
        assert f"`{code}`" in described, code
    assert "method_not_allowed" in doc["info"]["description"]
