"""The activity page's two lists a page at a time (keyset, newest day first): every entry
once, each list keeping its place while the other moves, voiding from an older page,
odd links."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from circle.activity.services import PER_PAGE, ordered_pair
from circle.core.weeks import today_for
from circle.extensions import db
from circle.models import Circle, EducationCredit, Membership, OneToOne
from tests.activity.test_activity import page, world
from tests.keyset import nav_link, walk
from tests.pages import submit, text

__all__ = ["world"]  # the fixture shared with test_activity


def fill(app, world, days: int) -> None:
    """Bernd met Clara on each of ``days`` days (two days share each date, as the one
    with Anna) and logged a credit a day; all in the past."""
    with app.app_context():
        circle = db.session.get(Circle, world["circle"].id)
        today = today_for(circle)
        bernd, clara = world["bernd"].id, world["clara"].id
        anna = db.session.execute(
            select(Membership.id).where(
                Membership.circle_id == circle.id, Membership.user_id == world["anna"].id
            )
        ).scalar_one()
        for n in range(days):
            day = today - timedelta(days=n // 2 + 1)
            other = clara if n % 2 else anna
            a, b = ordered_pair(bernd, other)
            db.session.add(OneToOne(circle_id=circle.id, member_a_id=a, member_b_id=b, met_on=day))
            db.session.add(
                EducationCredit(
                    circle_id=circle.id,
                    membership_id=bernd,
                    topic=f"Topic {n}",
                    minutes=30,
                    completed_on=day,
                )
            )
        db.session.commit()
        db.session.remove()


def one_to_ones(html: str) -> list[str]:
    """The one-to-one ids in page order."""
    return re.findall(r'<li id="one-to-one-(\d+)"', html)


def credits(html: str) -> list[str]:
    """The education credit ids in page order."""
    return re.findall(r'<li id="credit-(\d+)"', html)


def test_each_list_pages_on_its_own_and_shows_every_entry_once(app, client, auth, world):
    fill(app, world, 2 * PER_PAGE + 2)
    auth.login(world["bernd"].user)
    url = page(world["circle"].id)
    met = walk(client, url, one_to_ones, "one-to-one-pages")
    assert [len(p) for p in met] == [PER_PAGE, PER_PAGE, 2]
    ceu = walk(client, url, credits, "credit-pages")
    assert [len(p) for p in ceu] == [PER_PAGE, PER_PAGE, 2]
    with app.app_context():
        met_keys = {e.id: (e.met_on, e.id) for e in db.session.scalars(select(OneToOne))}
        ceu_keys = {
            e.id: (e.completed_on, e.id) for e in db.session.scalars(select(EducationCredit))
        }
    # Newest day first, then the higher id; each entry exactly once.
    assert [met_keys[int(i)] for p in met for i in p] == sorted(met_keys.values(), reverse=True)
    assert [ceu_keys[int(i)] for p in ceu for i in p] == sorted(ceu_keys.values(), reverse=True)

    # The credits move to their second page; the one-to-ones then move and keep that place.
    credits_two = nav_link(text(client.get(url)), "credit-pages", "next")
    html = text(client.get(credits_two))
    assert credits(html) == ceu[1] and one_to_ones(html) == met[0]
    both = nav_link(html, "one-to-one-pages", "next")
    assert "ceu_before=" in both and "met_before=" in both
    html = text(client.get(both))
    assert credits(html) == ceu[1] and one_to_ones(html) == met[1]


def test_voiding_on_an_older_page_returns_there(app, client, auth, world):
    fill(app, world, PER_PAGE + 3)
    auth.login(world["bernd"].user)
    url = page(world["circle"].id)
    older = nav_link(text(client.get(url)), "one-to-one-pages", "next")
    html = text(client.get(older))
    entry = one_to_ones(html)[-1]
    action = unescape(re.search(rf'action="([^"]*/one-to-ones/{entry}/void[^"]*)"', html)[1])
    assert "met_before=" in action
    refused = submit(client, older, action, {"void-reason": ""})
    assert refused.status_code == 422 and entry in one_to_ones(text(refused))
    done = submit(client, older, action, {"void-reason": "doppelt"})
    assert done.status_code == 302 and "met_before=" in done.headers["Location"]
    assert "Voided: doppelt" in text(client.get(done.headers["Location"]))


@pytest.mark.parametrize(
    "query",
    [
        {"met_before": "nonsense", "ceu_after": "2026-13-01_1"},
        {"met_before": "20261204T000000000000_1"},
        {"ceu_before": "0001-01-01_1"},
        {"met_after": "9999-12-31_2147483647", "ceu_before": "2026-01-01_99999999999"},
        {"met_before": "2026-02-30_1"},
        {"ceu_after": "٢٠٢٦-01-01_1"},
    ],
)
def test_odd_places_answer_a_page(app, client, auth, world, query):
    fill(app, world, PER_PAGE + 1)
    auth.login(world["bernd"].user)
    response = client.get(page(world["circle"].id), query_string=query)
    assert response.status_code == 200
    assert len(one_to_ones(text(response))) in (0, PER_PAGE)
