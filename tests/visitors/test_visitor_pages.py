"""The visitors page a page at a time (keyset, newest first): every visitor once, their
visits with them, the forms answering on the page they were sent from, odd links."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from circle.core.clock import utcnow
from circle.extensions import db
from circle.models import Meeting, Visitor, VisitorVisit
from circle.visitors.services import PER_PAGE
from tests.keyset import nav_link, walk
from tests.pages import submit, text
from tests.visitors.test_visitors import admin, circle, host, inviter, meeting_ids

__all__ = ["admin", "circle", "host", "inviter"]  # fixtures shared with test_visitors


def add_visitors(app, circle, inviter, n: int, start: int = 0) -> list[int]:
    """``n`` visitors recorded a minute apart (the last the newest), visitor i with
    i % 3 visits; their ids, oldest first."""
    meetings = meeting_ids(app, circle)
    with app.app_context():
        base = utcnow() - timedelta(days=1)
        made = []
        for i in range(start, start + n):
            visitor = Visitor(
                circle_id=circle.id,
                name=f"Visitor {i:03}",
                profession_name="Architektin",
                invited_by_id=inviter.id,
                created_at=base + timedelta(minutes=i),
            )
            db.session.add(visitor)
            db.session.flush()
            for meeting in meetings[: i % 3]:
                db.session.add(
                    VisitorVisit(circle_id=circle.id, visitor_id=visitor.id, meeting_id=meeting)
                )
            made.append(visitor.id)
        db.session.commit()
        db.session.remove()
    return made


def ids_on(html: str) -> list[str]:
    """The visitor ids of the rows on a page, in page order."""
    return re.findall(r'<tr data-visitor-id="(\d+)"', html)


def visits_of(html: str, visitor_id: int) -> int:
    """How many visits a visitor's row lists."""
    row = html.split(f'data-visitor-id="{visitor_id}"')[1].split("</tr>")[0]
    return int(re.search(r'data-visits="(\d+)"', row).group(1))


def test_every_visitor_once_newest_first_with_their_visits(
    app, client, auth, host, inviter, circle
):
    made = add_visitors(app, circle, inviter, 2 * PER_PAGE + 3)
    auth.login(host)
    url = f"/circles/{circle.id}/visitors"
    pages = walk(client, url, ids_on, "visitor-pages")
    assert [len(page) for page in pages] == [PER_PAGE, PER_PAGE, 3]
    assert [int(i) for page in pages for i in page] == made[::-1]
    html = text(client.get(nav_link(text(client.get(url)), "visitor-pages", "next")))
    for visitor_id in ids_on(html):
        assert visits_of(html, int(visitor_id)) == made.index(int(visitor_id)) % 3
    back = walk(client, nav_link(html, "visitor-pages", "prev"), ids_on, "visitor-pages", "prev")
    assert back == pages[:1]
    invited = text(client.get(url)).split('id="inviters"')[1]
    assert f'<tr data-member-id="{inviter.id}"><td>Ines Inviter</td><td>{len(made)}</td>' in invited


def test_a_new_visitor_while_paging_moves_nobody(app, client, auth, host, inviter, circle):
    add_visitors(app, circle, inviter, PER_PAGE + 4)
    auth.login(host)
    first = text(client.get(f"/circles/{circle.id}/visitors"))
    add_visitors(app, circle, inviter, 1, start=500)
    second = text(client.get(nav_link(first, "visitor-pages", "next")))
    assert len(ids_on(second)) == 4 and set(ids_on(first)).isdisjoint(ids_on(second))
    assert ids_on(text(client.get(nav_link(second, "visitor-pages", "prev")))) == ids_on(first)


def test_a_visit_recorded_on_an_older_page_answers_on_that_page(
    app, client, auth, host, inviter, circle
):
    made = add_visitors(app, circle, inviter, PER_PAGE + 3)
    auth.login(host)
    older = nav_link(text(client.get(f"/circles/{circle.id}/visitors")), "visitor-pages", "next")
    oldest = made[0]  # no visits yet
    action = unescape(
        re.search(
            rf'action="(/circles/{circle.id}/visitors/{oldest}/visits\?[^"]+)"',
            text(client.get(older)),
        ).group(1)
    )
    assert "before=" in action
    with app.app_context():
        meeting = (
            db.session.execute(
                select(Meeting.id).where(Meeting.circle_id == circle.id).order_by(Meeting.held_on)
            )
            .scalars()
            .first()
        )
    done = submit(client, older, action, {f"v{oldest}-meeting_id": meeting})
    assert done.status_code == 302 and done.headers["Location"].endswith(
        older.split("?")[1].split("#")[0]
    )
    assert visits_of(text(client.get(older)), oldest) == 1
    again = submit(client, older, action, {f"v{oldest}-meeting_id": meeting})
    assert again.status_code == 409
    assert str(oldest) in ids_on(text(again))  # the refusal shows on the row's own page
    assert "already recorded at this meeting" in text(again)


@pytest.mark.parametrize(
    "query",
    [
        {"before": "garbage"},
        {"after": "99991231T235959999999_2147483647"},
        {"before": "20261204T000000000000_2147483648"},
        {"before": "2026-12-04_1"},
        {"after": "20260230T000000000000_1"},
        {"before": "1" * 200},
    ],
)
def test_odd_places_answer_a_page(app, client, auth, host, inviter, circle, query):
    add_visitors(app, circle, inviter, PER_PAGE + 1)
    auth.login(host)
    response = client.get(f"/circles/{circle.id}/visitors", query_string=query)
    assert response.status_code == 200
    assert len(ids_on(text(response))) in (0, PER_PAGE)


def test_statements_do_not_grow_with_visitors(
    app, client, auth, host, inviter, circle, count_queries
):
    url = f"/circles/{circle.id}/visitors"
    add_visitors(app, circle, inviter, 2)
    auth.login(host)
    client.get(url)
    with count_queries() as few:
        client.get(url)
    add_visitors(app, circle, inviter, 3 * PER_PAGE, start=10)
    with count_queries() as many:
        html = text(client.get(url))
    older = nav_link(html, "visitor-pages", "next")
    with count_queries() as later:
        client.get(older)
    assert few.count == many.count == later.count <= 6
