"""The pair balance comes in pages of 100: every pair exactly once across the pages, the
period kept on the page links, any page number answered (never a 500)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from circle.extensions import db
from circle.models import User
from tests.pages import element, text


def test_every_pair_appears_once_across_the_pages(client, auth, make):
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin)
    members = [
        make.member(circle, make.user(name=f"Mitglied {n:02d}"), profession=f"Beruf {n}")
        for n in range(16)
    ]
    day = datetime.now(UTC).date() - timedelta(days=20)
    for i, giver in enumerate(members):
        for receiver in members[i + 1 :]:
            make.slip(giver, receiver, day)  # 16 * 15 / 2 = 120 pairs
    auth.login(admin)
    url = f"/circles/{circle.id}/balance/pairs"

    def pairs_on(query: str) -> list[str]:
        page = text(client.get(url + query))
        return re.findall(r'<tr data-pair="(\d+-\d+)"', element(page, "pairs-table"))

    first, second = pairs_on("?period=all"), pairs_on("?period=all&page=2")
    assert len(first) == 100 and len(second) == 20
    assert len(set(first) | set(second)) == 120
    page = text(client.get(url + "?period=all"))
    nav = element(page, "pair-pages")
    assert "Pairs 1\u2013100 of 120" in nav  # an en dash
    assert f'href="{url}?page=2&amp;period=all"' in nav
    # Past the end is the last page; nonsense is the first.
    assert pairs_on("?period=all&page=999") == second
    assert pairs_on("?period=all&page=x1") == first
    assert pairs_on("?period=all&page=" + "9" * 40) == first


def test_the_rows_escape_names_and_follow_renames_and_each_viewer(app, client, auth, make):
    # The rows are drawn in Python and kept in memory: a name is escaped, a rename shows at
    # once, and a member never gets the revenue an admin's view of the same numbers showed.
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin)
    tricky = make.member(circle, make.user(name="<b>Ärger & Co</b>"), profession="Maler")
    other = make.member(circle, make.user(name="Otto"), profession="Bäcker")
    onlooker = make.member(circle, make.user(name="Olga", locale="en"), profession="Koch")
    day = datetime.now(UTC).date() - timedelta(days=20)
    make.slip(tricky, other, day, amount=12_345)
    url = f"/circles/{circle.id}/balance/pairs"

    def pair_row() -> str:
        table = element(text(client.get(url)), "pairs-table")
        return re.search(r"<tr data-pair=.*?</tr>", table, re.S).group(0)

    auth.login(admin)
    shown = pair_row()
    assert "&lt;b&gt;Ärger &amp; Co&lt;/b&gt;" in shown and "<b>" not in shown
    assert "123.45" in shown
    with app.app_context():
        user = db.session.get(User, other.user_id)
        user.name = "Otto Neu"
        db.session.commit()
    assert "Otto Neu" in pair_row()
    auth.logout()

    auth.login(onlooker.user)
    seen = pair_row()
    assert "Otto Neu" in seen and "123.45" not in seen
    assert 'data-col="revenue_a_to_b">\N{EM DASH}<' in seen
