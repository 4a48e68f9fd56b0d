"""A member records a one-to-one and an education credit in a real browser, then opens
"My score" and reads every area with its points and why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from circle.extensions import db
from circle.models import Circle, Referral
from circle.scores.services import window
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_member_records_activity_and_reads_their_score(live_server, browser_page):
    make = live_server.make
    admin = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd")
    fritz = make.member(
        circle, make.user(name="Fritz Foto", email="fritz@example.org", locale="en"), "Fotograf"
    )
    paula = make.member(circle, make.user(name="Paula Pharma", locale="en"), profession="Apotheker")
    # Fourteen referrals in the last completed six months: a little over 0.5 a week.
    with live_server.app.test_request_context():
        period = window(db.session.get(Circle, circle.id))
        for n in range(14):
            db.session.add(
                Referral(
                    circle_id=circle.id,
                    giver_id=fritz.id,
                    receiver_id=paula.id,
                    given_on=period.start + timedelta(days=7 * n),
                )
            )
        db.session.commit()
    page = browser_page

    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill(fritz.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(live_server(f"/circles/{circle.id}"))
    page.get_by_role("link", name="My one-to-ones and education").click()
    expect(page).to_have_url(live_server(f"/circles/{circle.id}/activity"))

    # A one-to-one with Paula, dated today by default.
    met = page.locator("#met-form")
    met.get_by_label("Whom you met").select_option(label="Paula Pharma \N{EN DASH} Apotheker")
    met.get_by_label("Note").fill("Kaffee am Dom")
    met.get_by_role("button", name="Record one-to-one").click()
    expect(page.get_by_role("status")).to_contain_text("One-to-one with Paula Pharma recorded.")
    expect(page.locator("#one-to-one-list")).to_contain_text("Kaffee am Dom")

    # An education credit; a typo in the minutes is refused on the field first.
    credit = page.locator("#credit-form")
    credit.get_by_label("What you learned").fill("Podcast: Empfehlungen")
    credit.get_by_label("Minutes").fill("0")
    credit.get_by_role("button", name="Record education credit").click()
    expect(page.locator("#credit-form")).to_contain_text("from 1 to 1440")
    page.locator("#credit-form").get_by_label("Minutes").fill("45")
    page.locator("#credit-form").get_by_role("button", name="Record education credit").click()
    expect(page.get_by_role("status")).to_contain_text("Education credit recorded.")
    expect(page.locator("#credit-list")).to_contain_text("45 minutes")

    # My score: every area with its points and the reason.
    page.get_by_role("link", name="My score").click()
    expect(page.get_by_role("heading", name="My score")).to_be_visible()
    areas = page.locator("#score-areas")
    expect(areas.locator("tbody tr")).to_have_count(6)
    referrals = areas.locator('tr[data-area="referrals"]')
    expect(referrals).to_contain_text("14 referrals given")
    expect(referrals).to_contain_text("per week over")
    expect(referrals).to_contain_text("tier 3 reached: at least 0.5 per week")
    expect(referrals).to_contain_text("10 of 20")
    attendance = areas.locator('tr[data-area="attendance"]')
    expect(attendance).to_contain_text("20 of 20")
    expect(areas.locator('tr[data-area="education"]')).to_contain_text("below every tier")
    # 20 (attendance) + 10 (referrals) = 30: red.
    expect(page.locator("#score-total")).to_contain_text("30 of 100 points")
    expect(page.locator("#score-total [data-colour]")).to_have_text("red")
