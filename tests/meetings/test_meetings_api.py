"""Meetings, attendance and the weekly report over API v1."""

from __future__ import annotations

from datetime import timedelta

import pytest

from circle.extensions import db
from circle.meetings.schedule import ensure_meetings
from circle.models import Attendance, Circle, Meeting, WeeklyReport
from tests.meetings.chapter import Chapter, make_chapter, rows, this_week_start


@pytest.fixture
def chapter(app, make) -> Chapter:
    """A circle with officers, two plain members and this week's meeting."""
    return make_chapter(app, make)


def base(ch: Chapter) -> str:
    return f"/api/v1/circles/{ch.circle.id}"


def everyone_present(ch: Chapter, **codes) -> list[dict]:
    """Attendance items for every seat of the chapter: P unless given."""
    seats = {
        "admin": None,
        "vp": ch.vp,
        "secretary": ch.secretary,
        "committee": ch.committee,
        "fritz": ch.fritz,
        "paula": ch.paula,
    }
    items = []
    for name, member in seats.items():
        if member is None:
            continue
        code = codes.get(name, "P")
        item = {"member_id": member.id, "code": code}
        if code == "S":
            item["substitute_name"] = "Sven Stellvertreter"
        items.append(item)
    return items


def admin_id(app, ch: Chapter) -> int:
    from sqlalchemy import select

    from circle.extensions import db
    from circle.models import Membership

    with app.app_context():
        seat = db.session.execute(
            select(Membership.id).where(
                Membership.circle_id == ch.circle.id, Membership.role == "admin"
            )
        ).scalar_one()
        db.session.remove()
    return seat


def test_members_list_meetings(app, api, chapter):
    with app.test_request_context():  # planned ahead at a login, a lock or the daily run
        ensure_meetings(db.session.get(Circle, chapter.circle.id))
        db.session.commit()
        db.session.remove()
    response = api.as_user(chapter.fritz.user).get(base(chapter) + "/meetings")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert len(items) >= 12
    assert {"id", "held_on", "starts_at", "status", "place", "video_link"} <= set(items[0])
    assert any(i["id"] == chapter.meeting.id for i in items)


def test_put_attendance_replaces_it_all_or_nothing(app, api, chapter):
    path = f"{base(chapter)}/meetings/{chapter.meeting.id}/attendance"
    admin = {"member_id": admin_id(app, chapter), "code": "P"}
    api.as_user(chapter.vp.user)

    missing = api.client.put(
        path, json={"items": everyone_present(chapter)}, headers=api._headers()
    )
    assert missing.status_code == 422
    assert "Anna Admin" in missing.get_json()["detail"]

    no_name = [*everyone_present(chapter), admin]
    no_name[-2] = {"member_id": chapter.paula.id, "code": "S"}
    response = api.client.put(path, json={"items": no_name}, headers=api._headers())
    assert response.status_code == 422
    assert rows(app, Attendance, meeting_id=chapter.meeting.id) == []

    bad = api.client.put(
        path,
        json={"items": [{"member_id": chapter.fritz.id, "code": "X"}]},
        headers=api._headers(),
    )
    assert bad.status_code == 422 and "code" in bad.get_json()["errors"]["items"]["0"]

    good = [*everyone_present(chapter, fritz="A", paula="S"), admin]
    response = api.client.put(path, json={"items": good}, headers=api._headers())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["locked"] is False
    codes = {i["member_id"]: (i["code"], i["substitute_name"]) for i in body["items"]}
    assert codes[chapter.fritz.id] == ("A", "")
    assert codes[chapter.paula.id] == ("S", "Sven Stellvertreter")
    assert len(codes) == 6


def test_attendance_rights(app, api, make, chapter):
    path = f"{base(chapter)}/meetings/{chapter.meeting.id}/attendance"
    make.attendance(chapter.meeting, chapter.fritz, "A")
    make.attendance(chapter.meeting, chapter.paula, "M")
    api.as_user(chapter.fritz.user)
    own = api.get(path).get_json()["items"]
    assert [i["member_id"] for i in own] == [chapter.fritz.id]
    refused = api.client.put(
        path, json={"items": everyone_present(chapter)}, headers=api._headers()
    )
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "forbidden"
    api.as_user(chapter.secretary.user)
    assert len(api.get(path).get_json()["items"]) == 2
    other = make.circle()
    foreign = make.meeting(other, this_week_start())
    assert api.get(f"{base(chapter)}/meetings/{foreign.id}/attendance").status_code == 404


def test_cancel_a_meeting(app, api, chapter):
    path = f"{base(chapter)}/meetings/{chapter.meeting.id}/cancel"
    assert api.as_user(chapter.fritz.user).post(path, json={"reason": "Ferien"}).status_code == 403
    api.as_user(chapter.secretary.user)
    assert api.post(path, json={"reason": ""}).status_code == 422
    response = api.post(path, json={"reason": "Ferien"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert api.post(path, json={"reason": "Ferien"}).status_code == 409
    [meeting] = rows(app, Meeting, id=chapter.meeting.id)
    assert meeting.cancel_reason == "Ferien"


def test_weekly_report_and_lock(app, api, chapter):
    last_week = this_week_start() - timedelta(weeks=1)
    path = f"{base(chapter)}/weeks/{last_week.isoformat()}"
    assert api.as_user(chapter.fritz.user).get(path + "/report").status_code == 403
    api.as_user(chapter.vp.user)
    report = api.get(path + "/report").get_json()
    assert report["provisional"] is True and report["locked"] is False
    assert report["week_start"] == last_week.isoformat()
    assert report["totals"]["business_amount"] == "0.00"
    locked = api.post(path + "/lock")
    assert locked.status_code == 200
    assert locked.get_json()["locked"] is True and locked.get_json()["provisional"] is False
    assert api.post(path + "/lock").status_code == 409
    assert len(rows(app, WeeklyReport, circle_id=chapter.circle.id)) == 1
    assert api.get(f"{base(chapter)}/weeks/not-a-day/report").status_code == 404
    future = this_week_start() + timedelta(weeks=2)
    assert api.post(f"{base(chapter)}/weeks/{future.isoformat()}/lock").status_code == 422
