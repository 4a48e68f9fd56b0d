"""A visitor becomes a member in a real browser: two visits, a refused third, an invitation
to apply that she accepts herself, the membership committee approves, and the new member
is on the roster."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.mail.support import delivered

pytestmark = pytest.mark.browser


def _login(page, live_server, email: str) -> None:
    """Log in through the login page."""
    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _invitation_link(live_server, address: str) -> str:
    """The path of the invitation link mailed to ``address``."""
    for mail in delivered(live_server.app):
        found = re.search(
            r"https?://[^/\s]+(/invitations/\S+)", mail.get_body(("plain",)).get_content()
        )
        if mail["To"] == address and found:
            return found.group(1)
    raise AssertionError(f"no invitation link for {address}")


def test_a_visitor_comes_twice_applies_and_is_approved(live_server, browser_page):
    make = live_server.make
    admin = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd")
    host = make.user(name="Hanna Host", email="hanna@example.org", locale="en")
    make.officer(make.member(circle, host, profession="Eventmanagerin"), "visitor_host")
    make.member(circle, make.user(name="Ines Inviter", locale="en"), profession="Fotograf")
    committee = make.user(name="Carl Committee", email="carl@example.org", locale="en")
    make.officer(make.member(circle, committee, profession="Notar"), "membership_committee")
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())

    # The visitor host opens the visitors page from the circle page.
    _login(page, live_server, host.email)
    page.goto(live_server(f"/circles/{circle.id}"))
    page.get_by_role("link", name="Visitors").click()
    expect(page).to_have_url(live_server(f"/circles/{circle.id}/visitors"))

    # First visit: the visitor invited by Ines.
    form = page.locator("#visitor-form")
    form.get_by_label("Name").fill("Vera Visit")
    form.get_by_label("Company").fill("Vera Architektur GmbH")
    form.get_by_label("Profession").fill("Architektin")
    form.get_by_label("E-mail (optional)").fill("vera@example.org")
    form.get_by_label("Invited by").select_option(label="Ines Inviter")
    form.get_by_label("Meeting").select_option(index=0)
    form.get_by_role("button", name="Record visitor").click()
    expect(page.get_by_role("status")).to_contain_text("Vera Visit was recorded as a visitor.")
    row = page.locator("tr[data-visitor-id]").filter(has_text="Vera Visit")
    expect(row).to_contain_text("Ines Inviter")
    expect(row.locator("td.visits")).to_contain_text("1 of 2")

    # She comes a second time.
    row.get_by_label("Meeting").select_option(index=1)
    row.get_by_role("button", name="Record another visit").click()
    expect(page.get_by_role("status")).to_contain_text("Another visit of Vera Visit was recorded.")
    expect(row.locator("td.visits")).to_contain_text("2 of 2")

    # A third visit is refused: she must apply.
    row.get_by_label("Meeting").select_option(index=2)
    row.get_by_role("button", name="Record another visit").click()
    expect(row).to_contain_text(
        "Vera Visit has already visited 2 times: to come again, they must apply for membership."
    )
    expect(row.locator("td.visits")).to_contain_text("2 of 2")

    # The host invites her to apply, sponsored by Ines; she decides herself.
    row.get_by_role("button", name="Invite to apply").click()
    expect(page.get_by_role("status")).to_contain_text(
        "An invitation to apply was mailed to Vera Visit (vera@example.org)."
    )
    expect(row).to_contain_text("Invited to apply")
    page.get_by_role("button", name="Log out").click()
    # Wait for the logged-out page: an immediate goto would cancel the logout's POST.
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    # Vera follows the mailed link, registers with that address, logs in and applies
    # (the link proves her address, so it is confirmed on the way).
    link = _invitation_link(live_server, "vera@example.org")
    page.goto(live_server(link))
    expect(page.get_by_text("Hanna Host invites you to apply")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Register").click()
    page.get_by_label("Name").fill("Vera Visit")
    page.get_by_label("E-mail").fill("vera@example.org")
    page.get_by_label("Password", exact=True).fill("veras new secret")
    page.get_by_label("Repeat the password").fill("veras new secret")
    page.get_by_label("Language").select_option("en")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    page.get_by_label("E-mail").fill("vera@example.org")
    page.get_by_label("Password").fill("veras new secret")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server(link))
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Your application for Architektin was sent to the people who decide on it."
    )
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    # The membership committee member approves the application.
    _login(page, live_server, committee.email)
    page.goto(live_server(f"/circles/{circle.id}"))
    page.get_by_role("link", name="Applications").click()
    application = page.locator("tr[data-member-id]").filter(has_text="Vera Visit")
    expect(application.locator("td.sponsor")).to_have_text("Ines Inviter")
    application.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Vera Visit now holds the seat for Architektin."
    )
    expect(page.locator("#applications")).to_be_visible()
    expect(page.get_by_text("No open applications.")).to_be_visible()

    # The new member is on the roster.
    page.goto(live_server(f"/circles/{circle.id}/members"))
    roster = page.locator("#member-cards")
    expect(roster).to_contain_text("Vera Visit")
    expect(roster.locator("li").filter(has_text="Vera Visit")).to_contain_text("Architektin")
