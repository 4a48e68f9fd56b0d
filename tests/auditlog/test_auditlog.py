"""The audit log page of a circle, and the log line every refused request leaves behind."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from circle.auditlog.record import record
from circle.core.clock import utcnow
from circle.extensions import db
from circle.models import User
from tests.pages import text


@pytest.fixture
def admin(make):
    """An English-speaking admin."""
    return make.user(name="Anna Admin", email="anna@example.org", locale="en")


@pytest.fixture
def circle(make, admin):
    """A circle run by ``admin``."""
    return make.circle(admin=admin, name="Kreis Köln-Süd")


def add_entries(app, circle, actor, n: int, entity: str = "referral", start: int = 0) -> None:
    """``n`` status changes of ``entity`` #1..n, one minute apart (the last is the newest)."""
    with app.test_request_context():
        user = db.session.get(User, actor.id)
        base = utcnow() - timedelta(days=1)
        for i in range(start, start + n):
            entry = record(
                circle.id, entity, i + 1, "status", user, {"status": "open"}, {"status": f"s{i}"}
            )
            entry.created_at = base + timedelta(minutes=i)
        db.session.commit()
        db.session.remove()


def rows(response) -> list[str]:
    """The ids of the audit rows on a page, in page order."""
    return re.findall(r'<tr id="audit-(\d+)"', text(response))


def test_admin_sees_the_newest_first_with_who_what_and_before_after(
    app, client, auth, make, admin, circle
):
    add_entries(app, circle, admin, 2)
    auth.login(admin)
    show = text(client.get(f"/circles/{circle.id}"))
    assert f'href="/circles/{circle.id}/audit"' in show

    response = client.get(f"/circles/{circle.id}/audit")
    assert response.status_code == 200
    body = text(response)
    assert "Audit log" in body
    first, second = rows(response)
    assert int(first) > int(second)  # newest first
    row = body[body.index(f'id="audit-{first}"') :]
    row = row[: row.index("</tr>")]
    assert "Anna Admin" in row
    assert "Referral #2 · status changed" in row
    assert "<code>status</code>: open → s1" in row
    assert response.headers["Cache-Control"] == "no-store"


def test_fifty_per_page_and_pages_clamp_to_what_exists(app, client, auth, admin, circle):
    add_entries(app, circle, admin, 53)
    auth.login(admin)
    url = f"/circles/{circle.id}/audit"
    first = client.get(url)
    assert len(rows(first)) == 50
    assert "Page 1 of 2" in text(first)
    assert 'rel="next"' in text(first)
    second = client.get(url + "?page=2")
    assert len(rows(second)) == 3
    assert set(rows(first)).isdisjoint(rows(second))
    for odd in ("0", "-1", "abc", "99999999999999999999999", "²", "3"):
        response = client.get(url, query_string={"page": odd})
        assert response.status_code == 200, odd
        assert len(rows(response)) in (50, 3), odd


def test_filter_by_entity_type(app, client, auth, admin, circle):
    add_entries(app, circle, admin, 3, "referral")
    add_entries(app, circle, admin, 2, "meeting", start=10)
    auth.login(admin)
    url = f"/circles/{circle.id}/audit"
    page = text(client.get(url))
    assert '<option value="meeting">Meeting</option>' in page
    filtered = client.get(url + "?entity=meeting")
    assert len(rows(filtered)) == 2
    assert "Referral #" not in text(filtered)
    assert len(rows(client.get(url + "?entity=nonsense"))) == 5  # unknown: no filter


def test_president_may_members_403_other_circles_404(app, client, auth, make, admin, circle):
    add_entries(app, circle, admin, 1)
    president = make.officer(make.member(circle), "president")
    treasurer = make.officer(make.member(circle), "secretary_treasurer")
    url = f"/circles/{circle.id}/audit"

    auth.login(president.user)
    assert client.get(url).status_code == 200
    assert 'id="audit-link"' in text(client.get(f"/circles/{circle.id}"))
    auth.logout()

    auth.login(treasurer.user)
    assert client.get(url).status_code == 403
    assert 'id="audit-link"' not in text(client.get(f"/circles/{circle.id}"))
    auth.logout()

    stranger = make.user()
    make.circle(admin=stranger)
    auth.login(stranger)
    response = client.get(url)
    assert response.status_code == 404
    assert "Anna Admin" not in text(response)


def test_an_empty_log_says_so(client, auth, admin, circle):
    auth.login(admin)
    assert "No changes recorded yet." in text(client.get(f"/circles/{circle.id}/audit"))


def test_refusals_of_logged_in_users_are_logged_without_tokens(
    app, client, auth, api, make, admin, circle, caplog
):
    member = make.member(circle)
    auth.login(member.user)
    caplog.set_level(logging.INFO, logger="circle.security")
    client.get(f"/circles/{circle.id}/audit")
    client.get("/circles/424242")
    client.get("/invitations/" + "t" * 43)
    refusals = [r for r in caplog.records if r.name == "circle.security"]
    assert len(refusals) == 3
    forbidden, missing, token_path = (r.getMessage() for r in refusals)
    assert f"refused 403 user={member.user.id} GET /circles/{circle.id}/audit" in forbidden
    assert "forbidden" in forbidden
    assert f"user={member.user.id}" in missing and "/circles/424242" in missing
    assert "t" * 43 not in token_path and "<redacted>" in token_path

    caplog.clear()
    auth.logout()
    client.get(f"/circles/{circle.id}/audit")  # logged out: a redirect, nothing to log
    api.as_user(member.user)
    api.get("/api/v1/circles/424242")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "circle.security"]
    assert f"refused 404 user={member.user.id} GET /api/v1/circles/424242" in line
    assert api.token not in line
