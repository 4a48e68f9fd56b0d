"""A member logs a week in a real browser: two referrals and one closed business, and the
totals on the week page follow at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_member_logs_a_week_and_sees_the_totals(live_server, browser_page):
    make = live_server.make
    admin = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd")
    fritz = make.user(name="Fritz Foto", email="fritz@example.org", locale="en")
    make.member(circle, fritz, profession="Fotograf")
    make.member(circle, make.user(name="Paula Pharma", locale="en"), profession="Apotheker")
    make.member(circle, make.user(name="Stefan Steuer", locale="en"), profession="Steuerberater")
    page = browser_page

    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill(fritz.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # From the circle page to this week.
    page.goto(live_server(f"/circles/{circle.id}"))
    page.locator("#circle-menu").get_by_role("link", name="This week").click()
    expect(page).to_have_url(live_server(f"/circles/{circle.id}/week"))
    totals = page.locator("#week-totals")
    expect(totals.locator('[data-total="given"]')).to_have_text("0")
    # The first receiver has the focus: the member can start typing at once.
    expect(page.locator("#give-row-0").get_by_label("Receiver")).to_be_focused()

    # Two referrals in one submit; the dates default to today.
    first = page.locator("#give-row-0")
    first.get_by_label("Receiver").select_option(label="Paula Pharma \N{EN DASH} Apotheker")
    first.get_by_label("Hotness").select_option("5")
    first.get_by_label("Contact name").fill("Max Kunde")
    # "One more" adds a row (scripted, no page load): dated today, the first row kept.
    expect(page.locator("#give-row-1")).to_have_count(0)
    page.locator("#give-form").get_by_role("button", name="One more").click()
    second = page.locator("#give-row-1")
    expect(second.get_by_label("Receiver")).to_be_focused()
    expect(second.locator("legend")).to_have_text("Referral 2")
    second.get_by_label("Receiver").select_option(label="Stefan Steuer \N{EN DASH} Steuerberater")
    second.get_by_label("Inside or outside").select_option("outside")
    page.locator("#give-form").get_by_role("button", name="Give referrals").click()

    expect(page.get_by_role("status")).to_contain_text("2 referrals given.")
    expect(totals.locator('[data-total="given"]')).to_have_text("2")
    expect(page.locator("#given-list li")).to_have_count(2)
    expect(page.locator("#given-list")).to_contain_text("Max Kunde")

    # Closed business earned through the pharmacist: revenue received, the giver credited.
    thank = page.locator("#thank-form")
    thank.get_by_label("Thank (the giver)").select_option(
        label="Paula Pharma \N{EN DASH} Apotheker"
    )
    thank.get_by_label("Amount (without VAT)").fill("1,234.50")
    thank.get_by_role("button", name="Report closed business").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Thank you noted: €1,234.50 credited to Paula Pharma."
    )
    expect(totals.locator('[data-total="revenue_received"]')).to_have_text("€1,234.50")
    expect(totals.locator('[data-total="revenue_generated"]')).to_have_text("€0.00")
    expect(totals.locator('[data-total="given"]')).to_have_text("2")
    expect(page.locator("#reported-list")).to_contain_text("Paula Pharma")

    # A typo in the amount is refused on the field and changes nothing.
    thank.get_by_label("Thank (the giver)").select_option(
        label="Stefan Steuer \N{EN DASH} Steuerberater"
    )
    thank.get_by_label("Amount (without VAT)").fill("12.345")
    thank.get_by_role("button", name="Report closed business").click()
    expect(thank).to_contain_text("EUR amounts have at most 2 decimal places.")
    expect(totals.locator('[data-total="revenue_received"]')).to_have_text("€1,234.50")
