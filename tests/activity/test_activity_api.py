"""API v1 for one-to-ones, education credits and scores: shapes, rights, refusals, 404s,
and the OpenAPI document."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from circle.extensions import db
from circle.models import EducationCredit, OneToOne
from tests.clients import ApiClient


@pytest.fixture
def world(make):
    """Anna (admin), Bernd, Clara, and Vera (vice president) in one circle; Olga elsewhere."""
    anna = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=anna, name="Kreis Köln")
    bernd = make.member(circle, make.user(name="Bernd Bau", locale="en"), profession="Bau")
    clara = make.member(circle, make.user(name="Clara Coach", locale="en"), profession="Coach")
    vera = make.officer(
        make.member(circle, make.user(name="Vera Vize", locale="en"), profession="Vize"),
        "vice_president",
    )
    other = make.circle(admin=make.user(name="Olga Other", locale="en"), name="Kreis Bonn")
    return {
        "circle": circle,
        "anna": anna,
        "bernd": bernd,
        "clara": clara,
        "vera": vera,
        "other": other,
    }


def as_(app, client, user) -> ApiClient:
    """A fresh API client authenticated as ``user``."""
    return ApiClient(app, client).as_user(user)


def rows(app, model) -> int:
    """Rows of ``model``."""
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_record_and_list_one_to_ones(app, client, world):
    cid, bernd, clara = world["circle"].id, world["bernd"], world["clara"]
    url = f"/api/v1/circles/{cid}/one-to-ones"
    api = as_(app, client, bernd.user)
    created = api.post(url, json={"other_id": clara.id, "met_on": "2025-03-05", "note": "Kaffee"})
    assert created.status_code == 201
    body = created.get_json()
    assert body == {
        "id": body["id"],
        "member_a_id": min(bernd.id, clara.id),
        "member_b_id": max(bernd.id, clara.id),
        "met_on": "2025-03-05",
        "note": "Kaffee",
        "imported": False,
        "voided": False,
        "void_reason": None,
    }
    listed = api.get(url + "?from=2025-03-01&to=2025-03-31").get_json()
    assert [i["id"] for i in listed["items"]] == [body["id"]]

    # Clara records the same meeting: 409 naming Bernd, nothing added.
    again = as_(app, client, clara.user).post(
        url, json={"other_id": bernd.id, "met_on": "2025-03-05"}
    )
    assert again.status_code == 409
    problem = again.get_json()
    assert problem["code"] == "conflict"
    assert problem["detail"] == "This one-to-one was already recorded by Bernd Bau."
    assert rows(app, OneToOne) == 1


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"met_on": "2025-03-05"}, 422, "validation_error"),
        ({"other_id": "x", "met_on": "2025-03-05"}, 422, "validation_error"),
        ({"other_id": "SELF", "met_on": "2025-03-05"}, 422, "self_referral"),
        ({"other_id": 10**12, "met_on": "2025-03-05"}, 422, "not_a_member"),
        ({"other_id": "CLARA", "met_on": "2025-02-30"}, 422, "validation_error"),
        ({"other_id": "CLARA", "met_on": "2999-01-01"}, 422, "validation_error"),
        ({"other_id": "CLARA", "met_on": "2025-03-05", "extra": 1}, 422, "validation_error"),
    ],
)
def test_one_to_one_refusals_change_nothing(app, client, world, payload, status, code):
    ids = {"SELF": world["bernd"].id, "CLARA": world["clara"].id}
    payload = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    api = as_(app, client, world["bernd"].user)
    response = api.post(f"/api/v1/circles/{world['circle'].id}/one-to-ones", json=payload)
    assert response.status_code == status
    assert response.get_json()["code"] == code
    assert rows(app, OneToOne) == 0


def test_education_credits_and_who_lists_whose(app, client, world):
    cid, bernd = world["circle"].id, world["bernd"]
    url = f"/api/v1/circles/{cid}/education-credits"
    api = as_(app, client, bernd.user)
    created = api.post(url, json={"topic": "Buch", "minutes": 90, "completed_on": "2025-03-04"})
    assert created.status_code == 201
    assert created.get_json()["minutes"] == 90
    for bad in (
        {"topic": "Buch", "minutes": 0, "completed_on": "2025-03-04"},
        {"topic": "Buch", "minutes": 1441, "completed_on": "2025-03-04"},
        {"topic": "", "minutes": 30, "completed_on": "2025-03-04"},
        {"topic": "Buch", "minutes": "30", "completed_on": "2025-03-04"},
    ):
        assert api.post(url, json=bad).status_code == 422, bad
    assert rows(app, EducationCredit) == 1
    query = "?from=2025-03-01&to=2025-03-31"
    assert len(api.get(url + query).get_json()["items"]) == 1
    # Clara sees only her own (none).
    clara = as_(app, client, world["clara"].user)
    assert clara.get(url + query).get_json()["items"] == []
    # Another circle's id is 404, whoever asks.
    assert api.get(f"/api/v1/circles/{world['other'].id}/education-credits").status_code == 404


def test_scores_for_leadership_and_for_members(app, client, world):
    cid = world["circle"].id
    member = as_(app, client, world["bernd"].user)
    mine = member.get(f"/api/v1/circles/{cid}/scores")
    assert mine.status_code == 200
    body = mine.get_json()
    assert [s["name"] for s in body["items"]] == ["Bernd Bau"]
    score = body["items"][0]
    assert score["total"] == 20 and score["colour"] == "grey"
    assert [a["area"] for a in score["areas"]] == [
        "attendance",
        "referrals",
        "visitors",
        "one_to_ones",
        "education",
        "tyfcb",
    ]
    assert score["areas"][0] == {
        "area": "attendance",
        "count": 0.0,
        "rate": 0.0,
        "tier": 1,
        "threshold": 0.0,
        "points": 20,
        "max_points": 20,
        "tiers": [[0.0, 20.0], [1.0, 15.0], [2.0, 10.0], [3.0, 5.0]],
    }
    assert body["distribution"] == {"green": 0, "yellow": 0, "red": 0, "grey": 1}
    clara_id = world["clara"].id
    assert member.get(f"/api/v1/circles/{cid}/members/{clara_id}/score").status_code == 403
    own = member.get(f"/api/v1/circles/{cid}/members/{world['bernd'].id}/score")
    assert own.status_code == 200 and own.get_json()["name"] == "Bernd Bau"

    vice = as_(app, client, world["vera"].user)
    everyone = vice.get(f"/api/v1/circles/{cid}/scores").get_json()
    assert len(everyone["items"]) == 4 and everyone["distribution"]["grey"] == 4
    assert vice.get(f"/api/v1/circles/{cid}/members/{clara_id}/score").status_code == 200
    assert vice.get(f"/api/v1/circles/{cid}/members/999999/score").status_code == 404
    assert vice.get(f"/api/v1/circles/{world['other'].id}/scores").status_code == 404


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/circles/{circle_id}/one-to-ones"]) == {"get", "post"}
    assert set(paths["/api/v1/circles/{circle_id}/education-credits"]) == {"get", "post"}
    assert set(paths["/api/v1/circles/{circle_id}/scores"]) == {"get"}
    assert set(paths["/api/v1/circles/{circle_id}/members/{member_id}/score"]) == {"get"}
