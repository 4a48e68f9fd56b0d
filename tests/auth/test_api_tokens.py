"""API accounts: tokens (issue, list, revoke, hashed storage, throttle), bearer auth,
registration and ``/me``."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from circle.api.endpoint import OPERATIONS
from circle.api.openapi import openapi_path
from circle.auth.services import TOKEN_TOUCH_EVERY
from circle.extensions import db
from circle.models import ApiToken, User
from tests.api.support import assert_problem, from_address
from tests.clients import ApiClient
from tests.factories import PASSWORD


def tokens_in_db(app, user) -> list[ApiToken]:
    """Every token row of a user, revoked or not, oldest first."""
    with app.app_context():
        return list(
            db.session.execute(
                select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
            ).scalars()
        )


def count_users(app) -> int:
    """How many accounts exist."""
    with app.app_context():
        return db.session.execute(select(func.count(User.id))).scalar_one()


# --- tokens --------------------------------------------------------------------------


def test_token_from_email_and_password_is_stored_only_as_a_hash(app, client, make):
    user = make.user(email="Max@Example.org")
    response = client.post(
        "/api/v1/tokens", json={"email": "max@example.org", "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token"}
    plain = body["token"]
    assert plain.startswith("cir_") and len(plain) > 40

    (row,) = tokens_in_db(app, user)
    assert row.token_hash != plain
    assert plain not in (row.token_hash, row.prefix, row.name)
    assert row.prefix == plain[:8]
    assert row.last_used_at is None

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert me.status_code == 200
    assert me.get_json()["id"] == user.id
    assert tokens_in_db(app, user)[0].last_used_at is not None  # committed with the request


def test_last_used_is_written_at_most_every_minute(app, client, make):
    user = make.user(email="max@example.org")
    plain = client.post(
        "/api/v1/tokens", json={"email": "max@example.org", "password": PASSWORD}
    ).get_json()["token"]
    bearer = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    first = tokens_in_db(app, user)[0].last_used_at
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    assert tokens_in_db(app, user)[0].last_used_at == first  # a read within the minute
    earlier = first - timedelta(seconds=TOKEN_TOUCH_EVERY)
    with app.app_context():
        db.session.execute(update(ApiToken).values(last_used_at=earlier))
        db.session.commit()
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    assert tokens_in_db(app, user)[0].last_used_at >= first


def test_token_with_a_name_is_listed_with_its_prefix_only(app, api, make):
    user = make.user()
    created = api.client.post(
        "/api/v1/tokens", json={"email": user.email, "password": PASSWORD, "name": "  CRM  "}
    )
    plain = created.get_json()["token"]
    api.as_user(user)  # a second token, named "test", used for the listing
    api.get("/api/v1/me")

    response = api.get("/api/v1/tokens")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [t["name"] for t in items] == ["test", "CRM"]  # newest first
    for item in items:
        assert set(item) == {"id", "name", "prefix", "created_at", "last_used_at"}
        assert item["prefix"].startswith("cir_")
    assert plain not in response.get_data(as_text=True)
    assert items[1]["prefix"] == plain[:8]
    assert items[1]["last_used_at"] is None
    assert items[0]["last_used_at"] is not None


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "max@example.org", "password": "wrong password"},
        {"email": "nobody@example.org", "password": PASSWORD},
    ],
)
def test_wrong_credentials_get_401_and_no_token(app, client, make, credentials):
    user = make.user(email="max@example.org")
    response = client.post("/api/v1/tokens", json=credentials)
    body = assert_problem(response, 401, "unauthorized")
    assert body["detail"] == "Wrong e-mail address or password."
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert tokens_in_db(app, user) == []


def test_an_admin_created_account_without_password_gets_no_token(app, client, make, api):
    admin = make.user()
    circle = make.circle(admin=admin)
    api.as_user(admin).post(
        f"/api/v1/circles/{circle.id}/members",
        json={"email": "new@example.org", "name": "Neu", "profession": "Fotograf"},
    )
    response = client.post(
        "/api/v1/tokens", json={"email": "new@example.org", "password": "!unusable"}
    )
    assert_problem(response, 401, "unauthorized")


def test_issuing_tokens_is_throttled(client, make):
    user = make.user()
    for _ in range(5):
        response = client.post("/api/v1/tokens", json={"email": user.email, "password": "nope"})
        assert response.status_code == 401
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    body = assert_problem(response, 429, "rate_limited")
    assert body["detail"]
    assert "Retry-After" in response.headers


def test_revoked_token_no_longer_works(app, api, make):
    user = make.user()
    api.as_user(user)
    (token,) = tokens_in_db(app, user)
    response = api.delete(f"/api/v1/tokens/{token.id}")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert tokens_in_db(app, user)[0].revoked_at is not None

    response = api.get("/api/v1/me")
    body = assert_problem(response, 401, "unauthorized")
    assert "revoked" in body["detail"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_another_users_token_cannot_be_revoked(app, client, make):
    owner, intruder = make.user(), make.user()
    owner_api = ApiClient(app, client).as_user(owner)
    intruder_api = ApiClient(app, client).as_user(intruder)
    (owner_token,) = tokens_in_db(app, owner)

    response = intruder_api.delete(f"/api/v1/tokens/{owner_token.id}")
    assert_problem(response, 404, "not_found")
    assert tokens_in_db(app, owner)[0].revoked_at is None
    assert owner_api.get("/api/v1/me").status_code == 200
    assert_problem(intruder_api.delete("/api/v1/tokens/999999"), 404, "not_found")


AUTH_OPERATIONS = [op for op in OPERATIONS if op.auth]


def _url(rule: str) -> str:
    """A concrete URL for a rule: id 1 for every id in the path, a date for a day."""
    return re.sub(
        r"\{(\w+)\}",
        lambda match: "2024-05-01" if match.group(1) == "day" else "1",
        openapi_path(rule),
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer    "},
        {"Authorization": "Basic bWF4OnNlY3JldA=="},
        {"Authorization": "Bearer cir_not-a-real-token"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"Authorization": "Bearer ümläut"},
    ],
    ids=["none", "empty", "blank", "basic", "unknown", "huge", "non-ascii"],
)
def test_every_authenticated_route_refuses_a_missing_or_bad_token(client, headers):
    for op in AUTH_OPERATIONS:
        response = client.open(_url(op.rule), method=op.method.upper(), headers=headers, json={})
        body = assert_problem(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="circle"'), op
        assert body["detail"]


def test_a_session_cookie_does_not_authenticate_the_api(client, auth, make):
    user = make.user()
    auth.login(user)
    assert_problem(client.get("/api/v1/me"), 401, "unauthorized")


# --- registration --------------------------------------------------------------------


def test_register_creates_an_account_that_can_get_a_token(app, client):
    response = client.post(
        "/api/v1/users",
        json={
            "email": "  Neu@Example.ORG ",
            "password": "long enough secret",
            "name": "  Erika   Muster ",
            "locale": "en",
        },
    )
    assert response.status_code == 202
    assert response.get_json()["email"] == "neu@example.org"
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == "neu@example.org")).scalar_one()
        assert (user.name, user.locale, user.email_verified_at) == ("Erika Muster", "en", None)
        db.session.remove()
    token = client.post(
        "/api/v1/tokens", json={"email": "neu@example.org", "password": "long enough secret"}
    )
    assert token.status_code == 201


def test_register_defaults_to_german(app, client):
    response = client.post(
        "/api/v1/users", json={"email": "a@example.org", "password": "long enough", "name": "A"}
    )
    assert response.status_code == 202
    with app.app_context():
        locale = db.session.execute(
            select(User.locale).where(User.email == "a@example.org")
        ).scalar_one()
        db.session.remove()
    assert locale == "de"


def test_register_with_a_taken_email_in_any_case_creates_nothing(app, client, make):
    make.user(email="max@example.org")
    before = count_users(app)
    response = client.post(
        "/api/v1/users",
        json={"email": "MAX@example.org", "password": "long enough secret", "name": "Max"},
    )
    assert response.status_code == 202  # the same answer as for a new address
    assert count_users(app) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "a@example.org", "password": "short", "name": "A"}, "password"),
        ({"email": "a@example.org", "password": "x" * 129, "name": "A"}, "password"),
        ({"email": "not-an-email", "password": "long enough", "name": "A"}, "email"),
        ({"email": "a@example.org", "password": "long enough", "name": "   "}, "name"),
        ({"email": "a@example.org", "password": "long enough", "name": "A" * 121}, "name"),
        (
            {"email": "a@example.org", "password": "long enough", "name": "A", "locale": "fr"},
            "locale",
        ),
        ({"email": "a@example.org", "password": "long enough"}, "name"),
        (
            {"email": "a@example.org", "password": "long enough", "name": "A", "admin": True},
            "admin",
        ),
    ],
)
def test_register_refuses_invalid_input_per_field(app, client, payload, field):
    before = count_users(app)
    body = assert_problem(client.post("/api/v1/users", json=payload), 422, "validation_error")
    assert list(body["errors"]) == [field]
    assert all(isinstance(m, str) and m for m in body["errors"][field])
    assert count_users(app) == before


def test_register_is_refused_when_registration_is_closed(app, client):
    app.config["OPEN_REGISTRATION"] = False
    before = count_users(app)
    response = client.post(
        "/api/v1/users",
        json={"email": "a@example.org", "password": "long enough", "name": "A"},
    )
    body = assert_problem(response, 403, "forbidden")
    assert body["detail"] == "Registration is closed."
    assert count_users(app) == before


def test_registration_is_throttled(client):
    for n in range(5):
        response = client.post(
            "/api/v1/users",
            json={"email": f"u{n}@example.org", "password": "long enough", "name": "U"},
        )
        assert response.status_code == 202
    response = client.post(
        "/api/v1/users", json={"email": "u9@example.org", "password": "long enough", "name": "U"}
    )
    assert_problem(response, 429, "rate_limited")


def test_throttle_counts_per_client_address(client):
    for n in range(8):
        response = client.post(
            "/api/v1/users",
            json={"email": f"v{n}@example.org", "password": "long enough", "name": "V"},
            **from_address(n),
        )
        assert response.status_code == 202


# --- /me -----------------------------------------------------------------------------


def test_me_lists_live_memberships_with_role_and_profession(api, make):
    user = make.user(name="Max Muster", email="max@example.org", locale="en")
    mine = make.circle(admin=user, name="Kreis Köln-Süd", admin_profession="Fotograf")
    other = make.circle(name="Kreis Bonn")
    make.member(other, user, profession="Apotheker", status="applicant")
    gone = make.circle(name="Kreis Alt")
    make.member(gone, user, profession="Fotograf", status="removed")

    response = api.as_user(user).get("/api/v1/me")
    assert response.status_code == 200
    body = response.get_json()
    profession_ids = {m["circle_id"]: m["profession"]["id"] for m in body["memberships"]}
    assert body == {
        "id": user.id,
        "email": "max@example.org",
        "name": "Max Muster",
        "locale": "en",
        "memberships": [
            {
                "circle_id": mine.id,
                "circle_name": "Kreis Köln-Süd",
                "role": "admin",
                "status": "active",
                "profession": {"id": profession_ids[mine.id], "name": "Fotograf"},
            },
            {
                "circle_id": other.id,
                "circle_name": "Kreis Bonn",
                "role": "member",
                "status": "applicant",
                "profession": {"id": profession_ids[other.id], "name": "Apotheker"},
            },
        ],
    }


def test_me_shows_an_organiser_without_a_seat_with_profession_null(api, make):
    user = make.user()
    make.circle(admin=user, admin_profession=None)
    (membership,) = api.as_user(user).get("/api/v1/me").get_json()["memberships"]
    assert membership["profession"] is None
    assert membership["role"] == "admin"
