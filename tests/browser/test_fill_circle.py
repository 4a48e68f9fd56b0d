"""An admin fills a small circle to its limit in a real browser and sees the refusal."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _add_member(page, email: str, name: str, profession: str) -> None:
    """Fill the "add a member" form (reserve the seat and invite) and send it."""
    form = page.locator("#add-form")
    form.get_by_label("E-mail").fill(email)
    form.get_by_label("Name").fill(name)
    form.get_by_label("Profession").fill(profession)
    form.get_by_role("button", name="Add member").click()


def test_admin_fills_a_circle_to_its_limit_and_sees_the_refusal(live_server, browser_page):
    make = live_server.make
    admin = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd", seat_limit=3)
    page = browser_page

    # Log in through the login page.
    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # Open the circle and its members page.
    page.goto(live_server("/circles"))
    page.get_by_role("link", name="Kreis Köln-Süd").click()
    expect(page).to_have_url(live_server(f"/circles/{circle.id}"))
    page.get_by_role("link", name="Manage members").click()
    expect(page).to_have_url(live_server(f"/circles/{circle.id}/members/manage"))
    seats = page.locator("#seats")
    expect(seats).to_contain_text("1 of 3 seats taken")

    # Two seats reserved through the form (the people are invited): the circle is full.
    _add_member(page, "paula@example.org", "Paula Pharma", "Apotheker")
    expect(page.get_by_role("status")).to_contain_text(
        "The seat for Apotheker is reserved for Paula Pharma; an invitation went to "
        "paula@example.org."
    )
    _add_member(page, "max@example.org", "Max Muster", "Fotograf")
    expect(page.get_by_role("status")).to_contain_text(
        "The seat for Fotograf is reserved for Max Muster"
    )
    expect(seats).to_contain_text("3 of 3 seats taken")
    expect(seats).to_contain_text("0 seats open")
    roster = page.locator("table.roster tbody tr")
    reserved = page.locator("tr[data-invitation-id]")
    expect(roster).to_have_count(1)  # members join only by accepting
    expect(reserved).to_have_count(2)

    # A third is refused with the reason; nothing changed.
    _add_member(page, "stefan@example.org", "Stefan Steuer", "Steuerberater")
    expect(page.locator("#add-form")).to_contain_text("The circle is full: 3 of 3 seats taken.")
    expect(seats).to_contain_text("3 of 3 seats taken")
    expect(reserved).to_have_count(2)
    expect(reserved.filter(has_text="Stefan Steuer")).to_have_count(0)
    # The form keeps what was typed so the admin can correct it.
    expect(page.locator("#add-form").get_by_label("Name")).to_have_value("Stefan Steuer")

    # A reload shows the same: the refusal reserved nothing.
    page.goto(live_server(f"/circles/{circle.id}/members/manage"))
    expect(roster).to_have_count(1)
    names = reserved.locator("td:nth-child(2)").all_inner_texts()
    assert sorted(n.split("seat reserved")[0].strip() for n in names) == [
        "Max Muster",
        "Paula Pharma",
    ]
