"""Who sees prospects' details and other members' amounts, role by role.

One rule (``circle.roles.permissions``): other members' closed business amounts need
``see_amounts`` (admins only) or a circle that opened revenue to its members; prospect
details need the right to see the slip (its giver, its receiver, an admin). The audit log,
the scores (page and API), the weekly report and the pay-off page follow it; the HTML of
a reader without the right does not contain the hidden values at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from circle.dues import services as dues
from circle.extensions import db
from circle.models import Circle, Membership
from circle.referrals import services as referrals
from tests.meetings.chapter import Chapter, make_chapter, today
from tests.pages import text

#: Closed business of 9.876,54 € that Paula reported, thanking Fritz (in the score window).
AMOUNT, SHOWN = 987_654, "9,876.54"
#: Fritz's slip to Paula, with a prospect's details and a note.
PROSPECT = ("Petra Prospect", "+49 221 5550123", "petra.prospect@example.org")
NOTE = "Braucht Passfotos fuer die Firma"
#: Viktor's (the vice president's) own slip to Paula.
OWN_PROSPECT = "Vera Vertraulich"
#: A dues payment of Fritz's (6.543,21 €), recorded by the admin.
PAID, PAID_SHOWN = 654_321, "654321"

ROLES = ("admin", "president", "vp", "secretary", "committee", "host", "fritz", "paula")


@dataclass
class World:
    chapter: Chapter
    people: dict[str, Membership]


def _last_month() -> date:
    """The 10th of last month: inside the score window (the six completed months)."""
    first = today().replace(day=1)
    return (first - timedelta(days=1)).replace(day=10)


@pytest.fixture
def world(app, make) -> World:
    """The meetings chapter plus a president and a visitor host, slips, business, a payment."""
    ch = make_chapter(app, make)
    president = make.officer(
        make.member(ch.circle, make.user(name="Petra Praesidentin", locale="en")), "president"
    )
    host = make.officer(
        make.member(ch.circle, make.user(name="Hanna Host", locale="en")), "visitor_host"
    )
    admin = admin_of(app, ch)
    day = _last_month()
    with app.test_request_context():
        circle = db.session.get(Circle, ch.circle.id)
        fritz = db.session.get(Membership, ch.fritz.id)
        vp = db.session.get(Membership, ch.vp.id)
        name, phone, email = PROSPECT
        for giver, data in (
            (
                fritz,
                referrals.ReferralInput(
                    receiver_id=ch.paula.id,
                    given_on=day,
                    prospect_name=name,
                    prospect_phone=phone,
                    prospect_email=email,
                    note=NOTE,
                ),
            ),
            (
                vp,
                referrals.ReferralInput(
                    receiver_id=ch.paula.id, given_on=day, prospect_name=OWN_PROSPECT
                ),
            ),
        ):
            referrals.give_referrals(circle, giver, [data], notify=False)
        paid_by = db.session.get(Membership, admin.id)
        dues.record_manual_payment(circle, paid_by, ch.fritz.id, PAID, day, day, day)
        db.session.commit()
        db.session.remove()
    make.slip(ch.paula, ch.fritz, day, amount=AMOUNT)
    people = {
        "admin": admin,
        "president": president,
        "vp": ch.vp,
        "secretary": ch.secretary,
        "committee": ch.committee,
        "host": host,
        "fritz": ch.fritz,
        "paula": ch.paula,
    }
    return World(ch, people)


def admin_of(app, ch: Chapter) -> Membership:
    """The admin's membership in the chapter."""
    with app.test_request_context():
        admin = db.session.execute(
            select(Membership).where(
                Membership.circle_id == ch.circle.id, Membership.role == "admin"
            )
        ).scalar_one()
        db.session.remove()
    return admin


def login(auth, world: World, role: str) -> Membership:
    """Log in as the member standing for ``role``."""
    member = world.people[role]
    auth.login(member.user)
    return member


# --- the audit log (item 6) -------------------------------------------------------------

#: Who reads the audit log (``edit_settings``), and what each of them sees in it.
AUDIT = {
    # role: (prospect details of Fritz's slip, Viktor's own prospect, amount, payment)
    "admin": (True, True, True, True),
    "president": (False, False, False, True),  # manage_dues: the payment
    "vp": (False, True, False, False),  # gave the second slip himself
}


@pytest.mark.parametrize("role", ROLES)
def test_the_audit_log_shows_prospects_and_amounts_only_to_who_may_see_them(
    client, auth, world, role
):
    login(auth, world, role)
    response = client.get(f"/circles/{world.chapter.circle.id}/audit")
    if role not in AUDIT:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    page = text(response)
    details, own, amount, payment = AUDIT[role]
    for value in (*PROSPECT, NOTE):
        assert (value in page) is details, value
    assert (OWN_PROSPECT in page) is own
    assert (str(AMOUNT) in page) is amount
    assert (PAID_SHOWN in page) is payment
    # Each slip's snapshot has three prospect fields and the note; business: amount and
    # note; the payment: amount and reference.
    hidden = page.count('data-hidden="')
    assert hidden == 4 * (not details) + 4 * (not own) + 2 * (not amount) + 2 * (not payment)
    # The rest of each entry stays readable: who, what, and the fields that are not secret.
    assert "Referral #" in page and "Closed business #" in page and "<code>status</code>" in page


# --- scores (item 10) --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_another_members_closed_business_on_the_score_page(client, auth, world, role):
    login(auth, world, role)
    fritz = world.people["fritz"]
    response = client.get(f"/circles/{world.chapter.circle.id}/scores/{fritz.id}")
    if role == "paula":  # a plain member sees only their own score
        assert response.status_code == 403
        return
    assert response.status_code == 200
    page = text(response)
    row = page[page.index('data-area="tyfcb"') :]
    row = row[: row.index("</tr>")]
    sees = role in ("admin", "fritz")
    assert (SHOWN in page) is sees
    assert ("hidden" in row) is not sees


@pytest.mark.parametrize("role", ROLES)
def test_another_members_closed_business_in_the_scores_api(api, world, role):
    member = world.people[role]
    fritz = world.people["fritz"]
    circle_id = world.chapter.circle.id
    listed = api.as_user(member.user).get(f"/api/v1/circles/{circle_id}/scores")
    assert listed.status_code == 200
    items = {item["member_id"]: item for item in listed.get_json()["items"]}
    if role in ("paula", "fritz"):
        assert set(items) == {member.id}
    else:
        assert fritz.id in items
    if fritz.id in items:
        [tyfcb] = [a for a in items[fritz.id]["areas"] if a["area"] == "tyfcb"]
        expected = AMOUNT / 100 if role in ("admin", "fritz") else None
        assert (tyfcb["count"], tyfcb["rate"]) == (expected, expected)
        assert tyfcb["points"] >= 0  # the traffic light stays


def test_a_circle_that_opened_revenue_shows_amounts_to_every_leader(app, client, auth, world):
    with app.test_request_context():
        db.session.get(Circle, world.chapter.circle.id).revenue_open_to_members = True
        db.session.commit()
        db.session.remove()
    login(auth, world, "host")
    fritz = world.people["fritz"]
    page = text(client.get(f"/circles/{world.chapter.circle.id}/scores/{fritz.id}"))
    assert SHOWN in page


def test_the_roles_page_lists_who_sees_other_members_amounts(client, auth, world):
    login(auth, world, "paula")
    page = text(client.get(f"/circles/{world.chapter.circle.id}/roles"))
    row = page[page.index('data-permission="see_amounts"') :]
    row = row[: row.index("</tr>")]
    assert "See other members' amounts" in row
    assert row.count("✓") == 1  # admins only


# --- weekly report and pay-off: the same rule ---------------------------------------------


@pytest.mark.parametrize("role", ["admin", "vp", "president"])
def test_the_weekly_report_lists_amounts_only_for_those_who_may_see_them(client, auth, world, role):
    login(auth, world, role)
    day = _last_month()
    page = text(client.get(f"/circles/{world.chapter.circle.id}/weeks/{day}/report"))
    entry = page[page.index('id="report-business"') :]
    assert (SHOWN in entry) is (role == "admin")
    assert ('data-hidden="amount"' in entry) is (role != "admin")


@pytest.mark.parametrize("role", ["admin", "president", "secretary"])
def test_payoff_lists_other_members_revenue_only_for_those_who_may_see_it(
    client, auth, world, role
):
    login(auth, world, role)
    page = text(client.get(f"/circles/{world.chapter.circle.id}/dues/payoff?period=all"))
    assert ('id="payoff-table"' in page) is (role == "admin")
    assert ("Paula Pharma" in page) is (role == "admin")
