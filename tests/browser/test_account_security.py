"""Two browsers, one account: "Log out other sessions" in one sends the other to the login
page on its next click, while the first stays logged in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def two_pages():
    """Two pages in separate browser contexts (separate cookies), like two devices."""
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            contexts = [browser.new_context(locale="en-US") for _ in range(2)]
            for context in contexts:
                context.set_default_timeout(15_000)
            try:
                yield [context.new_page() for context in contexts]
            finally:
                for context in contexts:
                    context.close()
        finally:
            browser.close()
    finally:
        playwright.stop()


def _log_in(page, live_server, email: str) -> None:
    """Log in through the login form and land on the circles page."""
    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()


def test_log_out_other_sessions_sends_the_other_browser_to_the_login_page(live_server, two_pages):
    user = live_server.make.user(name="Petra Pharma", locale="en")
    laptop, phone = two_pages
    _log_in(laptop, live_server, user.email)
    _log_in(phone, live_server, user.email)

    laptop.goto(live_server("/account"))
    laptop.get_by_role("button", name="Log out other sessions").click()
    expect(laptop.get_by_text("Your other sessions are logged out.")).to_be_visible()

    phone.goto(live_server("/account"))
    expect(phone).to_have_url(live_server("/login?next=%2Faccount"))
    expect(phone.get_by_role("heading", name="Log in")).to_be_visible()

    laptop.reload()
    expect(laptop.get_by_role("heading", name="Your account")).to_be_visible()
