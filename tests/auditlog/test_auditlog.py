"""The audit log page of a circle, and the log line every refused request leaves behind."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from circle.auditlog.record import record
from circle.auditlog.services import PER_PAGE
from circle.core.clock import utcnow
from circle.core.paging import Position
from circle.extensions import db
from circle.models import AuditEntry, User
from tests.keyset import nav_link, walk
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


def ids_on(html: str) -> list[str]:
    """The ids of the audit rows in an HTML page, in page order."""
    return re.findall(r'<tr id="audit-(\d+)"', html)


def test_keyset_pages_show_every_entry_once_newest_first_both_ways(
    app, client, auth, admin, circle
):
    add_entries(app, circle, admin, 2 * PER_PAGE + 3)
    auth.login(admin)
    url = f"/circles/{circle.id}/audit"
    older = walk(client, url, ids_on, "audit-pages")
    assert [len(page) for page in older] == [PER_PAGE, PER_PAGE, 3]
    flat = [int(i) for page in older for i in page]
    assert flat == sorted(flat, reverse=True)  # newest first, none twice, none left out
    assert len(set(flat)) == 2 * PER_PAGE + 3
    first = text(client.get(url))
    assert "Page " not in first and 'rel="prev"' not in first  # no count of the trail
    last = text(client.get(nav_link(first, "audit-pages", "next")))
    last = text(client.get(nav_link(last, "audit-pages", "next")))
    assert nav_link(last, "audit-pages", "next") is None
    newer = walk(client, nav_link(last, "audit-pages", "prev"), ids_on, "audit-pages", "prev")
    assert newer == older[-2::-1]  # back up again: the same pages


def test_an_entry_arriving_while_paging_moves_no_entry(app, client, auth, admin, circle):
    add_entries(app, circle, admin, PER_PAGE + 5)
    auth.login(admin)
    url = f"/circles/{circle.id}/audit"
    first = text(client.get(url))
    add_entries(app, circle, admin, 1, "meeting", start=500)  # the newest now
    second = text(client.get(nav_link(first, "audit-pages", "next")))
    assert len(ids_on(second)) == 5
    assert set(ids_on(first)).isdisjoint(ids_on(second))
    back = text(client.get(nav_link(second, "audit-pages", "prev")))
    assert ids_on(back) == ids_on(first)  # the page it came from, not shifted by one
    newest = nav_link(back, "audit-pages", "prev")
    assert newest is not None and len(ids_on(text(client.get(newest)))) == 1


def test_entries_of_the_same_instant_are_told_apart_by_id(app, client, auth, admin, circle):
    add_entries(app, circle, admin, PER_PAGE + 10)
    with app.app_context():
        same = utcnow()
        for entry in db.session.execute(select(AuditEntry)).scalars():
            entry.created_at = same
        db.session.commit()
    auth.login(admin)
    pages = walk(client, f"/circles/{circle.id}/audit", ids_on, "audit-pages")
    flat = [int(i) for page in pages for i in page]
    assert [len(page) for page in pages] == [PER_PAGE, 10]
    assert flat == sorted(set(flat), reverse=True)


def test_the_type_filter_stays_on_every_page(app, client, auth, admin, circle):
    add_entries(app, circle, admin, PER_PAGE + 2, "meeting")
    add_entries(app, circle, admin, PER_PAGE, "referral", start=1000)
    auth.login(admin)
    url = f"/circles/{circle.id}/audit?entity=meeting"
    pages = walk(client, url, ids_on, "audit-pages")
    assert [len(page) for page in pages] == [PER_PAGE, 2]
    html = text(client.get(nav_link(text(client.get(url)), "audit-pages", "next")))
    assert "entity=meeting" in nav_link(html, "audit-pages", "prev")
    assert "Referral #" not in html


def test_every_known_type_is_offered_without_reading_the_trail(
    app, client, auth, admin, circle, count_queries
):
    add_entries(app, circle, admin, 3, "referral")
    add_entries(app, circle, admin, 2, "meeting", start=10)
    auth.login(admin)
    url = f"/circles/{circle.id}/audit"
    with count_queries() as queries:
        page = text(client.get(url))
    assert '<option value="meeting">Meeting</option>' in page
    assert '<option value="payment">Payment</option>' in page  # none recorded yet
    assert not any("DISTINCT" in sql or "count(" in sql for sql in queries.statements)
    filtered = client.get(url + "?entity=meeting")
    assert len(rows(filtered)) == 2
    assert "Referral #" not in text(filtered)
    assert len(rows(client.get(url + "?entity=nonsense"))) == 5  # unknown: no filter
    empty = text(client.get(url + "?entity=payment"))
    assert "No changes of this type recorded yet." in empty


@pytest.mark.parametrize(
    "query",
    [
        {"before": "abc"},
        {"after": "20991231T235959999999_1"},
        {"before": "00000101T000000000000_1"},
        {"before": "20261304T000000000000_1"},
        # Well-formed positions lie in 2099, after every entry (``add_entries`` writes
        # them a day before now): a date near today would split them at some hour.
        {"before": "20991231T000000000000_99999999999999999999"},
        {"before": "20991231T000000000000_0"},
        {"before": "2026-12-04_5"},
        {"before": "²" * 30},
        {"after": "x" * 5000},
        {"before": "20991231T000000000000_5", "after": "20991231T000000000000_5"},
        {"page": "3", "entity": "<script>"},
    ],
)
def test_odd_positions_answer_a_page_never_an_error(app, client, auth, admin, circle, query):
    add_entries(app, circle, admin, PER_PAGE + 1)
    auth.login(admin)
    response = client.get(f"/circles/{circle.id}/audit", query_string=query)
    assert response.status_code == 200
    assert len(rows(response)) in (0, 1, PER_PAGE)


def test_a_position_past_the_end_offers_the_way_back(app, client, auth, admin, circle):
    add_entries(app, circle, admin, 3)
    auth.login(admin)
    url = f"/circles/{circle.id}/audit"
    html = text(client.get(url, query_string={"before": "20000101T000000000000_1"}))
    assert ids_on(html) == [] and "No more entries this way." in html
    assert f'href="{url}?"' in html or f'href="{url}"' in html  # the newest entries


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


def test_a_place_taken_from_another_circle_shows_only_this_circle(
    app, client, auth, make, admin, circle
):
    other = make.circle(admin=make.user(name="Olga Other"), name="Kreis Bonn")
    add_entries(app, other, admin, 3)
    add_entries(app, circle, admin, PER_PAGE + 2)
    with app.app_context():
        foreign = db.session.scalars(
            select(AuditEntry).where(AuditEntry.circle_id == other.id).order_by(AuditEntry.id)
        ).first()
        place = Position(foreign.created_at, foreign.id).text()
        ours = {
            str(i)
            for i in db.session.scalars(
                select(AuditEntry.id).where(AuditEntry.circle_id == circle.id)
            )
        }
    url = f"/circles/{circle.id}/audit"
    auth.login(admin)
    for key in ("before", "after"):
        response = client.get(url, query_string={key: place})
        assert response.status_code == 200
        assert set(rows(response)) <= ours
    auth.logout()
    auth.login(make.user(name="Stefan Stranger"))
    assert client.get(url, query_string={"before": place}).status_code == 404
