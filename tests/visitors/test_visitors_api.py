"""Visitors over the API: list, record, another visit, the limit, the invitation to apply."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from circle.extensions import db
from circle.meetings.schedule import ensure_meetings
from circle.models import Circle, Meeting, Membership


def meetings(app, circle) -> list[int]:
    """Ids of the circle's meetings from this week on (generated here)."""
    with app.test_request_context():
        ensure_meetings(db.session.get(Circle, circle.id))
        db.session.commit()
        ids = list(
            db.session.execute(
                select(Meeting.id).where(Meeting.circle_id == circle.id).order_by(Meeting.held_on)
            ).scalars()
        )
        db.session.remove()
    return ids


@pytest.fixture
def setting(make):
    """A circle, a visitor host and an inviting member."""
    circle = make.circle()
    host = make.user()
    make.officer(make.member(circle, host), "visitor_host")
    inviter = make.member(circle, make.user(name="Ines Inviter"), "Fotograf")
    return circle, host, inviter


def test_record_return_limit_and_applicant(app, api, setting, outbox):
    circle, host, inviter = setting
    first, second, third = meetings(app, circle)[:3]
    api.as_user(host)
    base = f"/api/v1/circles/{circle.id}/visitors"
    created = api.post(
        base,
        json={
            "name": "Vera Visit",
            "profession": "Architektin",
            "email": "vera@example.org",
            "invited_by_id": inviter.id,
            "meeting_id": first,
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["invited_by_id"] == inviter.id and [v["meeting_id"] for v in body["visits"]] == [
        first
    ]
    vid = body["id"]
    assert api.post(f"{base}/{vid}/visits", json={"meeting_id": second}).status_code == 201
    refused = api.post(f"{base}/{vid}/visits", json={"meeting_id": third})
    assert refused.status_code == 409 and refused.get_json()["code"] == "conflict"
    listed = api.get(base).get_json()["items"]
    assert len(listed) == 1 and len(listed[0]["visits"]) == 2
    invited = api.post(f"{base}/{vid}/applicant")
    assert invited.status_code == 201
    body = invited.get_json()
    assert (body["visitor_id"], body["name"], body["email"]) == (
        vid,
        "Vera Visit",
        "vera@example.org",
    )
    assert body["profession"]["name"] == "Architektin" and "user_id" not in body
    assert [m["To"] for m in outbox()][-1] == "vera@example.org"
    # No application until she accepts; asking again mails a new link.
    assert api.get(base).get_json()["items"][0]["applicant_id"] is None
    again = api.post(f"{base}/{vid}/applicant")
    assert again.status_code == 201 and again.get_json()["id"] != body["id"]


def test_an_existing_account_answers_like_a_new_address(app, api, make, setting, outbox):
    """Issue 12, item 4: the host's answer never shows the account behind the address."""
    circle, host, inviter = setting
    owner = make.user(name="Veronika Privat", email="known@example.org")
    meeting = meetings(app, circle)[0]
    base = f"/api/v1/circles/{circle.id}/visitors"
    api.as_user(host)
    answers = []
    for address in ("known@example.org", "unknown@example.org"):
        visitor = {
            "name": "Vera Visit",
            "profession": "Architektin " + address[0],
            "email": address,
            "invited_by_id": inviter.id,
            "meeting_id": meeting,
        }
        vid = api.post(base, json=visitor).get_json()["id"]
        invited = api.post(f"{base}/{vid}/applicant")
        assert invited.status_code == 201
        answers.append(sorted(invited.get_json()))
    assert answers[0] == answers[1]
    assert "Veronika" not in str(api.get(base).get_json())
    with app.app_context():
        assert (
            db.session.execute(select(Membership).where(Membership.user_id == owner.id)).first()
            is None
        )
        db.session.remove()


def test_bad_input_and_rights(app, api, make, setting):
    circle, host, inviter = setting
    meeting = meetings(app, circle)[0]
    base = f"/api/v1/circles/{circle.id}/visitors"
    api.as_user(host)
    good = {"name": "V", "profession": "P", "invited_by_id": inviter.id, "meeting_id": meeting}
    for change, field in [
        ({"name": ""}, "name"),
        ({"invited_by_id": "1"}, "invited_by_id"),
        ({"meeting_id": 10**30}, "meeting_id"),
        ({"email": "nope"}, "email"),
        ({"extra": 1}, "extra"),
    ]:
        response = api.post(base, json={**good, **change})
        assert response.status_code == 422, change
        assert field in response.get_json()["errors"], response.get_json()
    gone = make.member(circle, make.user(), status="left")
    response = api.post(base, json={**good, "invited_by_id": gone.id})
    assert response.status_code == 422 and response.get_json()["code"] == "not_a_member"
    assert api.get(base).get_json()["items"] == []
    plain = make.user()
    make.member(circle, plain)
    api.as_user(plain)
    assert api.get(base).status_code == 403
    assert api.post(base, json=good).status_code == 403
    other = make.circle()
    stranger = make.user()
    make.officer(make.member(other, stranger), "visitor_host")
    api.as_user(stranger)
    assert api.get(base).status_code == 404
