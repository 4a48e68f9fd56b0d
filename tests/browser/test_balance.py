"""An admin opens the balance of a circle in a real browser: the lopsided pair comes first,
in words, on screen without scrolling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from circle.balance.periods import period_for
from circle.core.money import format_money
from circle.extensions import db
from circle.models import Circle, Membership
from circle.referrals import services as rs
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _slips(app, circle_id: int, members: dict[str, int]) -> None:
    """Referrals and closed business in the default period, through the real services.

    Fotograf and Apotheker give each other three referrals; the Fotograf earns 1,200 € on
    each, the Apotheker 5 €. Steuerberater and Maler give each other one; the Maler earns
    500 €, the Steuerberater nothing (lopsided too, a smaller gap). Maler and Fotograf are
    balanced.
    """
    with app.test_request_context():
        circle = db.session.get(Circle, circle_id)
        seat = {key: db.session.get(Membership, mid) for key, mid in members.items()}
        period = period_for(circle)

        def give(giver, receiver, offset):
            day = period.start + timedelta(days=offset)
            referral = rs.give_referral(
                circle, seat[giver], rs.ReferralInput(receiver_id=seat[receiver].id, given_on=day)
            )
            return day, referral

        def thank(reporter, thanked, cents, day, referral):
            rs.report_closed_business(
                circle,
                seat[reporter],
                rs.BusinessInput(seat[thanked].id, cents, day, referral_id=referral.id),
                notify=False,
            )

        for month in range(3):
            day, referral = give("apotheker", "fotograf", 30 * month + 3)
            thank("fotograf", "apotheker", 120_000, day, referral)
            day, referral = give("fotograf", "apotheker", 30 * month + 5)
            thank("apotheker", "fotograf", 500, day, referral)
        day, referral = give("steuer", "maler", 40)
        thank("maler", "steuer", 50_000, day, referral)
        give("maler", "steuer", 41)
        for offset, (giver, receiver) in enumerate([("maler", "fotograf"), ("fotograf", "maler")]):
            day, referral = give(giver, receiver, 60 + offset)
            thank(receiver, giver, 30_000, day, referral)
        db.session.commit()
        db.session.remove()


def test_the_admin_sees_the_lopsided_pair_first(live_server, browser_page):
    make = live_server.make
    admin = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd")
    people = {
        key: make.member(circle, make.user(name=name, locale="en"), profession=profession).id
        for key, name, profession in (
            ("fotograf", "Fritz Foto", "Fotograf"),
            ("apotheker", "Paula Pharma", "Apotheker"),
            ("steuer", "Stefan Steuer", "Steuerberater"),
            ("maler", "Max Maler", "Maler"),
        )
    }
    _slips(live_server.app, circle.id, people)
    page = browser_page

    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(live_server(f"/circles/{circle.id}"))
    page.get_by_role("link", name="Balance of give and take").click()
    expect(page).to_have_url(live_server(f"/circles/{circle.id}/balance"))

    lines = page.locator("#lopsided-pairs > li")
    expect(lines).to_have_count(2)
    first = lines.first
    big, small = format_money(360_000, "EUR", "en"), format_money(1_500, "EUR", "en")
    expect(first).to_contain_text(
        f"Fotograf (Fritz Foto) received {big}, Apotheker (Paula Pharma) {small}"
    )
    expect(first).to_contain_text("Referrals given: Fotograf 3, Apotheker 3")
    expect(first).to_be_in_viewport()  # no scrolling needed to see who profits
    expect(lines.nth(1)).to_contain_text("Maler (Max Maler) received")

    # The scales are drawn as SVG, one per member, and the admin sees the flags' column.
    expect(page.locator("#scales-table svg.bal-scale")).to_have_count(5)

    # The matrix: givers in rows, receivers in columns, by revenue on a click.
    page.get_by_role("link", name="Matrix").click()
    page.get_by_role("link", name="By revenue").click()
    expect(page.locator("#matrix")).to_have_attribute("data-by", "revenue")
    expect(page.locator("#matrix caption")).to_contain_text("Revenue the receiver")
