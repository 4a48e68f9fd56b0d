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

from datetime import date, timedelta

import pytest
import schemathesis
from argon2 import PasswordHasher
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
from circle.api.openapi import openapi_path
from circle.extensions import db
from tests.conftest import make_test_app
from tests.factories import Factory

#: Cases per operation; about 45 operations x 30 cases take about half a minute of CPU.
EXAMPLES = 30

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def cheap_hashing():
    """Argon2 with minimal cost while fuzzing: the cases test input handling, not hash cost.

    (Logins and sign-ups would otherwise spend half a second each on the real parameters.)
    """
    import circle.auth.services as auth_services
    import circle.security as security

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hasher", cheap)
        patch.setattr(auth_services, "_DUMMY", [cheap.hash("dummy")])
        yield


@pytest.fixture(scope="module")
def fuzz_app(database_url, tmp_path_factory, cheap_hashing):
    """An app for this module whose rows live in one transaction, rolled back at the end."""
    app = make_test_app(database_url, tmp_path_factory.mktemp("fuzz"), RATELIMIT_ENABLED=False)
    with app.app_context():
        engine = db.engine
        connection = engine.connect()
        transaction = connection.begin()
        db.engines[None] = connection
    yield app
    with app.app_context():
        db.session.remove()
        transaction.rollback()
        connection.close()
        db.engines[None] = engine
        engine.dispose()


def _post(client, token: str, url: str, body: dict) -> dict:
    """POST ``body`` as the admin and return the created object."""
    response = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 201), (url, response.get_json())
    return response.get_json()


@pytest.fixture(scope="module")
def world(fuzz_app) -> dict:
    """A circle with data, its admin's bearer token and the ids that address its objects."""
    from circle.auth.services import create_api_token

    make = Factory(fuzz_app)
    admin = make.user(name="Fuzz Admin")
    circle = make.circle(admin=admin)
    photographer = make.member(circle, profession="Fotograf")
    pharmacist = make.member(circle, profession="Apotheker")
    applicant = make.member(circle, profession="Bäckerei", status="applicant")
    today = date.today()  # noqa: DTZ011 - a meeting day near now, any zone will do
    past = make.meeting(circle, today - timedelta(days=7))
    make.meeting(circle, today + timedelta(days=7))
    with fuzz_app.test_request_context():
        api_token, token = create_api_token(db.session.merge(admin), "fuzz")
        token_id = api_token.id
        db.session.commit()
        db.session.remove()
    client = fuzz_app.test_client()
    base = f"/api/v1/circles/{circle.id}"
    day = past.held_on.isoformat()
    admin_seat = _admin_seat(fuzz_app, circle.id)
    referral = _post(
        client,
        token,
        f"{base}/referrals",
        {"receiver_id": photographer.id, "given_on": day, "kind": "inside", "hotness": 3},
    )
    business = _post(
        client,
        token,
        f"{base}/closed-business",
        {"giver_id": pharmacist.id, "amount": "120.50", "closed_on": day, "kind": "new"},
    )
    visitor = _post(
        client,
        token,
        f"{base}/visitors",
        {
            "name": "Vera Gast",
            "profession": "Optiker",
            "invited_by_id": admin_seat,
            "meeting_id": past.id,
        },
    )
    _post(client, token, f"{base}/one-to-ones", {"other_id": photographer.id, "met_on": day})
    _post(
        client,
        token,
        f"{base}/education-credits",
        {"topic": "Netzwerken", "minutes": 90, "completed_on": day},
    )
    return {
        "token": token,
        "path": {
            "circle_id": circle.id,
            "member_id": photographer.id,
            "token_id": token_id,
            "referral_id": _id(referral),
            "business_id": _id(business),
            "visitor_id": _id(visitor),
            "meeting_id": past.id,
            "day": day,
        },
        "applicant_id": applicant.id,
    }


def _id(created) -> int:
    """The id of a created object (a list endpoint answers a list of one)."""
    return (created[0] if isinstance(created, list) else created)["id"]


def _admin_seat(app, circle_id: int) -> int:
    """The admin's membership id in ``circle_id``."""
    from sqlalchemy import select

    from circle.models import Membership

    with app.app_context():
        seat = db.session.execute(
            select(Membership.id).where(
                Membership.circle_id == circle_id, Membership.role == "admin"
            )
        ).scalar_one()
        db.session.remove()
    return seat


@pytest.fixture(scope="module")
def schema(fuzz_app):
    """The API's OpenAPI document, loaded by schemathesis from the app itself."""
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    # The admin's token goes into every case; generated or mangled tokens only meet the
    # 401 path, which tests/test_api_tokens.py covers.
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
    with fuzz_app.app_context():
        connection = db.engines[None]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def fuzz(case):
        savepoint = connection.begin_nested()
        try:
            case.call_and_validate(session=client, headers=headers, checks=CHECKS)
        finally:
            savepoint.rollback()

    fuzz()
