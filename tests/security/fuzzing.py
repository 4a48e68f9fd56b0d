"""Shared by the fuzzers: an app whose rows live in one transaction, and a circle with data.

Every fuzz case runs inside a SAVEPOINT of that transaction (``savepoint``), rolled back
afterwards; the transaction itself is rolled back when the module ends. Nothing leaks
between cases, modules or into other tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest

from circle.core.clock import utcnow
from circle.extensions import db
from tests.apps import in_one_transaction, make_test_app
from tests.factories import Factory


@pytest.fixture(scope="module")
def fuzz_app(database_url, tmp_path_factory, cheap_hashing):
    """An app for this module whose rows live in one transaction, rolled back at the end."""
    app = make_test_app(database_url, tmp_path_factory.mktemp("fuzz"), RATELIMIT_ENABLED=False)
    with in_one_transaction(app):
        yield app
    with app.app_context():
        db.engine.dispose()


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
    make.meeting(circle, today - timedelta(days=14), status="cancelled", reason="Feiertag")
    make.officer(pharmacist, "secretary_treasurer")
    long_ago = utcnow() - timedelta(days=365)  # seated on the meeting days, too
    for seat in (make.admin_seat(circle).id, photographer.id, pharmacist.id):
        make.joined(make.reload_membership(seat), long_ago)
    with fuzz_app.test_request_context():
        api_token, token = create_api_token(db.session.merge(admin), "fuzz")
        token_id = api_token.id
        db.session.commit()
        db.session.remove()
    client = fuzz_app.test_client()
    base = f"/api/v1/circles/{circle.id}"
    day = past.held_on.isoformat()
    admin_seat = make.admin_seat(circle).id
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
    other = make.circle(name="Kreis Nachbar")  # listed in the directory, open to apply
    return {
        "admin_email": admin.email,
        "other_circle_id": other.id,
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


@contextmanager
def savepoint(app) -> Iterator[None]:
    """Run the block inside a SAVEPOINT of the module's transaction and roll it back."""
    with app.app_context():
        connection = db.engines[None]
    nested = connection.begin_nested()
    try:
        yield
    finally:
        nested.rollback()


# --- the edges that found 500s (issue 12, item 13) -----------------------------------------

#: Days at and past the calendar's edges, and days no calendar has.
EDGE_DAYS = ["0001-01-01", "9999-12-31", "2026-13-45", "2026-02-30", "0000-00-00", "1999-12-31"]
#: Ids and counts past the columns: int4 (2**31), int8 (2**63) and past 64 bits.
EDGE_INTS = ["0", "-1", "2147483647", "2147483648", "9223372036854775808", "9" * 20, "1e309"]
#: Texts with controls and odd encodings (as strings: lone surrogates are sent as the
#: bytes they escape, see ``as_bytes``).
EDGE_TEXTS = [
    "Kreis\r\nBcc: everyone@example.org",
    "a\x00b",
    "\u2028\u2029",
    "\u202eevil",
    "\udcff\udcfe",  # the bytes ff fe: not UTF-8 at all
    "%ff%fe%00",
    "\ud800",
]
#: Every edge value, for a parameter of unknown kind.
EDGES = EDGE_DAYS + EDGE_INTS + EDGE_TEXTS


def as_bytes(value: str) -> bytes:
    """The bytes a hostile client sends for ``value``: surrogates U+DC80..U+DCFF stand for
    single raw bytes (invalid UTF-8), other lone surrogates are sent as encoded."""
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")
