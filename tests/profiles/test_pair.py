"""A fellow member's profile shows what passed between the reader and them: referrals both
ways, the revenue each brought the other, whether the value is lopsided, the latest
slips. Void slips and other members' slips stay out; my own profile has no pair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from circle.extensions import db as _db
from circle.models import Circle, Membership
from circle.referrals import pairs, services
from tests.pages import element, plain, text


@pytest.fixture
def pharmacy(make):
    """Paula (pharmacist) and Fritz (photographer) in one circle, with Otto beside them."""
    circle = make.circle()
    paula = make.member(circle, make.user(name="Paula Pharma", locale="en"), profession="Apotheke")
    fritz = make.member(circle, make.user(name="Fritz Foto", locale="en"), profession="Fotograf")
    otto = make.member(circle, make.user(name="Otto Other", locale="en"), profession="Optiker")
    return {"circle": circle, "paula": paula, "fritz": fritz, "otto": otto}


def profile(client, circle, member) -> str:
    return text(client.get(f"/circles/{circle.id}/members/{member.id}/profile"))


def test_the_pair_shows_equal_counts_and_lopsided_value(app, client, auth, make, pharmacy):
    circle, paula, fritz, otto = (pharmacy[k] for k in ("circle", "paula", "fritz", "otto"))
    day = datetime.now(UTC).date() - timedelta(days=30)
    first = make.slip(paula, fritz, day)
    make.slip(paula, fritz, day + timedelta(days=7))
    make.slip(fritz, paula, day + timedelta(days=1))
    voided = make.slip(fritz, paula, day + timedelta(days=2))
    make.slip(fritz, paula, day + timedelta(days=3), amount=120_000)  # Fritz thanks Paula
    make.slip(paula, fritz, day + timedelta(days=4), amount=500)  # Paula thanks Fritz
    make.slip(otto, paula, day + timedelta(days=5))  # not between the two
    with app.test_request_context():
        fresh = _db.session.get(Circle, circle.id)
        services.void_referral(fresh, _db.session.get(Membership, fritz.id), voided, "doppelt")
        _db.session.commit()

    auth.login(paula.user)
    page = profile(client, circle, fritz)
    pair = element(page, "pair")
    assert "You and Fritz Foto" in pair
    assert 'data-pair="given">2<' in pair and 'data-pair="received">1<' in pair
    assert 'data-pair="brought-them">€1,200.00<' in pair
    assert 'data-pair="brought-me">€5.00<' in pair
    # 1,200 against 5: lopsided by the circle's threshold (80 %; the balance pages' rule),
    # though the counts are near even; the sentence gives the larger side's share.
    assert "The value is lopsided: 100% of the revenue" in plain(element(page, "pair-verdict"))
    latest = plain(element(page, "pair-slips"))
    assert latest.index("you referred Fritz Foto") < latest.index("Fritz Foto thanked you")
    assert "Fritz Foto thanked you for €1,200.00" in latest
    assert "you thanked Fritz Foto for €5.00" in latest
    assert latest.count("Fritz Foto referred you") == 1  # the voided one is not listed
    assert f"/circles/{circle.id}/referrals/{first}" in page
    assert "Otto" not in latest


def test_nothing_between_us_yet_and_no_pair_on_my_own_profile(client, auth, pharmacy):
    circle, paula, fritz = pharmacy["circle"], pharmacy["paula"], pharmacy["fritz"]
    auth.login(paula.user)
    assert "Nothing has passed between you yet" in plain(
        element(profile(client, circle, fritz), "pair")
    )
    assert 'id="pair"' not in profile(client, circle, paula)


def test_an_even_pair_is_not_called_lopsided(client, auth, make, pharmacy):
    circle, paula, fritz = pharmacy["circle"], pharmacy["paula"], pharmacy["fritz"]
    day = datetime.now(UTC).date() - timedelta(days=3)
    make.slip(fritz, paula, day, amount=30_000)
    make.slip(paula, fritz, day, amount=10_000)  # 3:1 is below the circle's 80 %
    auth.login(paula.user)
    page = profile(client, circle, fritz)
    assert 'data-pair="brought-them">€300.00<' in page
    assert 'id="pair-verdict"' not in page


def test_the_latest_are_the_newest_eight_of_both_ways_and_kinds(app, make, pharmacy):
    circle, paula, fritz = pharmacy["circle"], pharmacy["paula"], pharmacy["fritz"]
    start = datetime.now(UTC).date() - timedelta(days=60)
    made = []  # (day, kind, id, Paula's) of every slip between the two, oldest first
    for n in range(14):
        day = start + timedelta(days=3 * n)
        giver, receiver = (paula, fritz) if n % 3 else (fritz, paula)
        amount = 1_000 * (n + 1) if n % 2 else None
        slip_id = make.slip(giver, receiver, day, amount=amount)
        # Business is credited to the thanked member: the receiver of the slip call.
        mine = (receiver if amount else giver).id == paula.id
        made.append((day, "business" if amount else "referral", slip_id, mine))
    tie = start + timedelta(days=39)  # the newest day holds business: a referral too
    made.append((tie, "referral", make.slip(paula, fritz, tie), True))
    with app.test_request_context():
        found = pairs.pair(_db.session.get(Circle, circle.id), paula.id, fritz.id).latest
    assert len(found) == pairs.LATEST
    got = [(s.day, s.kind, s.mine) for s in found]
    newest = sorted(made, key=lambda m: (m[0], m[1], m[2]), reverse=True)[: pairs.LATEST]
    assert got == [(day, kind, mine) for day, kind, _id, mine in newest]
