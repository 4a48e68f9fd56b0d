"""Slips in seconds on a phone (issue 14, item 5): at 360 x 740 a member opens the quick
slip form, which fits one screen with its button; picks the receiver by typing, adds a
second row with "one more" (no reload), sends both and finds them on the week page;
then thanks for closed business the same way. Every page passes axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import assert_accessible, assert_fits_the_phone, log_in

pytestmark = pytest.mark.browser

#: The phone of the issue: 360 x 740 CSS pixels.
SCREEN = {"width": 360, "height": 740}


def _assert_fits_one_screen(page, button_name: str) -> None:
    """The page is no taller than the screen, and its submit button lies inside it."""
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= SCREEN["height"], f"the page is {height} px tall"
    box = page.get_by_role("button", name=button_name).bounding_box()
    assert box is not None and box["y"] + box["height"] <= SCREEN["height"], box


def test_a_member_gives_two_slips_in_seconds_on_a_phone(live_server, new_page):
    make = live_server.make
    circle = make.circle(admin=make.user(name="Anna Admin", locale="en"), name="Kreis Köln-Süd")
    fritz = make.user(name="Fritz Foto", email="fritz@example.org", locale="en")
    make.member(circle, fritz, profession="Fotograf")
    make.member(circle, make.user(name="Paula Pharma", locale="en"), profession="Apotheker")
    make.member(circle, make.user(name="Stefan Steuer", locale="en"), profession="Steuerberater")
    make.member(circle, make.user(name="Bärbel Bäcker", locale="en"), profession="Bäckerei")

    page = new_page()
    page.set_viewport_size(SCREEN)
    log_in(page, live_server, fritz.email)
    page.goto(live_server(f"/circles/{circle.id}/week"))
    page.locator("#quick-links").get_by_role("link", name="Quick slip").click()
    expect(page.get_by_role("heading", name="Quick slip")).to_be_visible()
    _assert_fits_one_screen(page, "Give referrals")
    assert_fits_the_phone(page)
    assert_accessible(page)

    # Typing part of a profession picks the receiver (accents and case do not matter).
    first = page.locator("#give-row-0")
    first.get_by_role("searchbox", name="Find by name or profession").fill("steuer")
    expect(first.get_by_label("Receiver")).to_have_value(re.compile(r"^\d+$"))
    expect(first.get_by_label("Receiver").locator("option")).to_have_count(2)  # blank + 1
    first.get_by_role("radio", name="Outside").check()
    first.get_by_label("Hotness").select_option("4")
    first.get_by_label("Note").fill("Sucht Steuerberatung")

    # "One more" clones the row without a reload: new indices, empty receiver and note,
    # the choices of the row above.
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="One more").click()
    second = page.locator("#give-row-1")
    expect(second).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    search = second.get_by_role("searchbox", name="Find by name or profession")
    expect(search).to_be_focused()
    expect(second.get_by_label("Receiver")).to_have_value("")
    expect(second.get_by_label("Note")).to_have_value("")
    expect(second.get_by_role("radio", name="Outside")).to_be_checked()
    expect(second.get_by_label("Hotness")).to_have_value("4")
    search.fill("backer")
    expect(second.get_by_label("Receiver")).to_have_value(re.compile(r"^\d+$"))
    second.get_by_role("radio", name="Inside").check()
    second.get_by_text("Contact, date, sphere").click()
    second.get_by_label("Contact name").fill("Max Kunde")
    assert_fits_the_phone(page)
    assert_accessible(page)

    page.get_by_role("button", name="Give referrals").click()
    expect(page.get_by_role("status")).to_contain_text("2 referrals given.")
    expect(page.get_by_role("heading", name="Quick slip")).to_be_visible()
    # Ready for the next one, with the last choices.
    expect(page.locator("#give-row-0").get_by_role("radio", name="Inside")).to_be_checked()
    expect(page.locator("#give-row-1")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="My week").click()
    given = page.locator("#given-list")
    expect(given.locator("li")).to_have_count(2)
    expect(given).to_contain_text("Stefan Steuer")
    expect(given).to_contain_text("Bärbel Bäcker")
    expect(given).to_contain_text("Max Kunde")

    # The thank-you for closed business: one short form as well.
    page.locator("#quick-links").get_by_role("link", name="Quick thank you").click()
    expect(page.get_by_role("heading", name="Quick thank you")).to_be_visible()
    _assert_fits_one_screen(page, "Report closed business")
    assert_accessible(page)
    page.get_by_role("searchbox", name="Find by name or profession").fill("paula")
    page.get_by_label("Amount (without VAT)").fill("1,234.50")
    page.get_by_role("radio", name="Repeat").check()
    page.get_by_role("button", name="Report closed business").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Thank you noted: €1,234.50 credited to Paula Pharma."
    )
    expect(page.get_by_role("radio", name="Repeat")).to_be_checked()
    assert_fits_the_phone(page)
    assert_accessible(page)


def test_without_scripting_one_more_comes_back_with_a_row_more(live_server, chromium):
    make = live_server.make
    circle = make.circle(admin=make.user(name="Anna Admin", locale="en"), name="Kreis Köln-Süd")
    fritz = make.user(name="Fritz Foto", email="fritz@example.org", locale="en")
    make.member(circle, fritz, profession="Fotograf")
    make.member(circle, make.user(name="Paula Pharma", locale="en"), profession="Apotheker")
    context = chromium.new_context(locale="en-US", java_script_enabled=False, viewport=SCREEN)
    try:
        page = context.new_page()
        log_in(page, live_server, fritz.email)
        page.goto(live_server(f"/circles/{circle.id}/slips/new"))
        _assert_fits_one_screen(page, "Give referrals")
        expect(page.get_by_role("searchbox")).to_have_count(0)
        first = page.locator("#give-row-0")
        first.get_by_label("Receiver").select_option(label="Paula Pharma \N{EN DASH} Apotheker")
        first.get_by_label("Note").fill("Erster")
        page.get_by_role("button", name="One more").click()
        expect(page.locator("#give-row-1")).to_be_visible()
        expect(page.locator("#give-row-0").get_by_label("Note")).to_have_value("Erster")
        expect(page.get_by_role("status")).to_have_count(0)  # nothing saved
        page.get_by_role("button", name="Give referrals").click()
        expect(page.get_by_role("status")).to_contain_text("1 referral given.")
    finally:
        context.close()
