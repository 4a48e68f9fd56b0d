"""A newcomer registers on a phone-sized screen, may not create a circle before confirming,
follows the link from the mail and then creates a circle (issue 12, item 4). Each page
passes axe-core without serious violations."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE, assert_accessible
from tests.mail.support import delivered

pytestmark = pytest.mark.browser

PASSWORD = "a long new password"


def confirm_link(app, address: str) -> str:
    """The path of the confirmation link mailed to ``address``."""
    for mail in delivered(app):
        if mail["To"] == address:
            found = re.search(
                r"https?://[^/\s]+(/account/confirm/\S+)", mail.get_body(("plain",)).get_content()
            )
            if found:
                return found.group(1)
    raise AssertionError(f"no confirmation link for {address}")


def test_register_confirm_the_address_from_the_mail_then_create_a_circle(live_server, browser_page):
    page = browser_page
    page.set_viewport_size(PHONE)

    page.goto(live_server("/register"))
    page.get_by_label("Name").fill("Nora Neu")
    page.get_by_label("E-mail address").fill("nora@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Language").select_option("en")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your mailbox")).to_be_visible()
    expect(page.get_by_text("We have sent a mail to nora@example.org.")).to_be_visible()
    assert_accessible(page)

    # Logged in but unconfirmed: the banner says so and creating a circle is refused.
    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("E-mail").fill("nora@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    banner = page.get_by_role("region", name="Confirm your e-mail address")
    expect(banner).to_contain_text("Please confirm your e-mail address nora@example.org")
    expect(banner.get_by_role("button", name="Send the link again")).to_be_visible()
    assert_accessible(page)

    # The link from the mail, opened while logged in, confirms the address with one button.
    page.goto(live_server(confirm_link(live_server.app, "nora@example.org")))
    expect(page.get_by_text("Is nora@example.org your address?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_text("your e-mail address nora@example.org is confirmed")).to_be_visible()
    expect(page.get_by_role("region", name="Confirm your e-mail address")).to_have_count(0)

    page.goto(live_server("/circles/new"))
    page.get_by_label("Name of the circle").fill("Kreis Bonn")
    page.get_by_label("City").fill("Bonn")
    page.get_by_label("Your own profession in this circle").fill("Fotografin")
    page.get_by_role("button", name="Create the circle").click()
    expect(
        page.get_by_text("The circle Kreis Bonn was created. You are its admin.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Kreis Bonn"))).to_be_visible()
    assert_accessible(page)
