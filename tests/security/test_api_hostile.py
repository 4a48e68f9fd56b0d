"""Hostile and malformed requests: never a 5xx, always a problem with a stable code.

Covers broken JSON, non-object bodies, wrong types, nulls, huge numbers, unknown fields,
control characters and lone surrogates, deep nesting, oversized bodies, other content
types, ids beyond the integer range, unknown paths and wrong methods.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from circle.api.endpoint import MAX_BODY, OPERATIONS
from circle.api.openapi import openapi_path
from circle.extensions import babel, db
from circle.models import Circle, Membership, User
from tests.api.support import OTHER_IDS, VALID_BODIES, assert_problem, from_address
from tests.apps import make_test_app

#: Raw bodies sent with Content-Type: application/json.
RAW_BODIES = [
    b"",
    b"{",
    b"not json",
    b"null",
    b"[]",
    b'["name"]',
    b'"Kreis"',
    b"42",
    b"true",
    b"\xff\xfe\x00garbage",
    b"[" * 30_000 + b"]" * 30_000,
    b'{"name": ' + b"9" * 5000 + b"}",
    b'{"name": "K", "seat_limit": NaN}',
    b'{"name": "K", "seat_limit": Infinity}',
    b'{"name": "K", "seat_limit": 1e400}',
    b'{"name": "K", "seat_limit": 99999999999999999999999999}',
    b'{"name": "K", "seat_limit": -99999999999999999999999999}',
    b'{"name": "\\ud800"}',
    b'{"name": "K\\u0000L"}',
    b'{"email": "\\ud83d@example.org", "password": "\\udfff", "name": "x", "profession": "y"}',
    b'{"email": "a@example.org", "password": "a\\u0000bcdefghij", "name": "N"}',
    b'{"name": {"nested": {"deeper": [1, 2, 3]}}}',
    b'{"name": null, "city": null, "profession": null, "email": null, "role": null}',
    b'{"name": 1, "email": 1, "password": 1, "profession": 1, "role": 1, "seat_limit": "1"}',
    b'{"__proto__": {"admin": true}}',
    b'{"name": "K", "name": "L", "meeting_time": "99:99"}',
    b'{"": ""}',
]


def count_rows(app) -> tuple[int, int, int]:
    """Counts of users, circles and memberships: nothing may change on a refusal."""
    with app.app_context():
        return tuple(
            db.session.execute(select(func.count(model.id))).scalar_one()
            for model in (User, Circle, Membership)
        )


BODY_OPERATIONS = [op for op in OPERATIONS if op.body is not None]


@pytest.fixture
def setting(api, make):
    """An admin with a token, their circle and one member: every id in the URLs is valid."""
    admin = make.user()
    circle = make.circle(admin=admin)
    member = make.member(circle, profession="Fotograf")
    api.as_user(admin)
    return {
        "circle_id": circle.id,
        "member_id": member.id,
        "token_id": 1,
        "referral_id": 1,
        "business_id": 1,
        "visitor_id": 1,
        "meeting_id": 1,
        "day": "2024-05-01",
    }


def test_hostile_bodies_never_give_5xx_and_change_nothing(app, api, setting):
    before = count_rows(app)
    n = 0
    for op in BODY_OPERATIONS:
        url = openapi_path(op.rule).format(**setting)
        for raw in RAW_BODIES:
            n += 1
            response = api.client.open(
                url,
                method=op.method.upper(),
                data=raw,
                content_type="application/json",
                headers=api._headers(),
                **from_address(n),
            )
            body = assert_problem(response, 422, "validation_error")
            assert body["errors"], (op, raw[:40])
            for messages in body["errors"].values():
                assert isinstance(messages, list | dict)
    assert count_rows(app) == before


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "The request body is not valid JSON."),
        (b"", "The request body is not valid JSON."),
        (b"[" * 60_000, "The request body is not valid JSON."),
        (b"null", "Expected a JSON object."),
        (b"[]", "Expected a JSON object."),
        (b'"Kreis"', "Expected a JSON object."),
    ],
)
def test_broken_or_non_object_bodies_are_reported_under_body(api, setting, raw, message):
    response = api.client.post(
        "/api/v1/circles", data=raw, content_type="application/json", headers=api._headers()
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == {"body": [message]}


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_body_that_is_not_declared_json_gets_415(app, api, setting, content_type):
    before = count_rows(app)
    kwargs = {"data": b'{"name": "Kreis"}', "headers": api._headers()}
    if content_type:
        kwargs["content_type"] = content_type
    response = api.client.post("/api/v1/circles", **kwargs)
    body = assert_problem(response, 415, "unsupported_media_type")
    assert "application/json" in body["detail"]
    assert count_rows(app) == before


def test_json_with_a_charset_or_a_json_suffix_is_accepted(api, setting):
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = api.client.post(
            "/api/v1/circles",
            data='{"name": "Kreis Köln"}'.encode(),
            content_type=content_type,
            headers=api._headers(),
        )
        assert response.status_code == 201, content_type


def test_an_oversized_body_gets_413(app, api, setting):
    before = count_rows(app)
    raw = b'{"name": "' + b"K" * MAX_BODY + b'"}'
    response = api.client.post(
        "/api/v1/circles", data=raw, content_type="application/json", headers=api._headers()
    )
    body = assert_problem(response, 413, "payload_too_large")
    assert body["detail"] == "The request body is too large."
    assert count_rows(app) == before


@pytest.mark.parametrize("big", ["2147483648", "99999999999999999999999999999999"])
def test_ids_beyond_the_integer_range_are_not_found(api, setting, big):
    for op in OPERATIONS:
        if "<" not in op.rule:
            continue
        url = openapi_path(op.rule).format(
            **dict.fromkeys(("circle_id", "member_id", "token_id", *OTHER_IDS), big)
        )
        body = VALID_BODIES.get((op.method, op.rule))
        response = api.client.open(url, method=op.method.upper(), json=body, headers=api._headers())
        assert_problem(response, 404, "not_found")


def test_unknown_paths_and_wrong_methods_are_problems(api, setting):
    assert_problem(api.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(api.get("/api/v1/circles/abc"), 404, "not_found")
    assert_problem(api.get("/api/v1/circles/-1"), 404, "not_found")
    response = api.delete("/api/v1/circles")
    body = assert_problem(response, 405, "method_not_allowed")
    assert body["detail"]
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert_problem(api.client.put("/api/v1/me", json={}), 405, "method_not_allowed")


def test_messages_are_translated_per_request_from_accept_language(database_url, tmp_path):
    """Schema messages are defined at import time but must be translated per request."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale="de")
    catalog.add("This field is required.", "Dieses Feld ist erforderlich.")
    catalog.add("Unknown field.", "Unbekanntes Feld.")
    catalog.add("Must be one of: %(choices)s.", "Muss einer dieser Werte sein: %(choices)s.")
    folder = tmp_path / "translations" / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as mo:
        write_mo(mo, catalog)
    # Flask-Babel keeps one translation cache per locale for every app of the process:
    # this app's small catalog must neither meet nor leave cached German.
    translations = babel.domain_instance.cache
    translations.clear()
    try:
        app = make_test_app(
            database_url, tmp_path, BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations")
        )
        client = app.test_client()
        payload = {"email": "a@example.org", "password": "long enough", "locale": "fr", "x": 1}
        for language, expected in [
            ("de-DE,de;q=0.9", ["Dieses Feld ist erforderlich.", "Unbekanntes Feld."]),
            ("en", ["This field is required.", "Unknown field."]),
            ("de", ["Dieses Feld ist erforderlich.", "Unbekanntes Feld."]),
        ]:
            response = client.post(
                "/api/v1/users", json=payload, headers={"Accept-Language": language}
            )
            errors = assert_problem(response, 422, "validation_error")["errors"]
            assert [errors["name"][0], errors["x"][0]] == expected
            assert errors["locale"][0].endswith("de, en.")
    finally:
        translations.clear()
