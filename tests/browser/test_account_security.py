"""Two browsers, one account: "Log out other sessions" in one sends the other to the login
page on its next click, while the first stays logged in; the account page lists both and
ends one (on a phone-sized screen, passing axe-core); "Stay logged in" outlives the
session cookie, and after logout a copy of its cookie no longer logs in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE, assert_accessible, log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def two_pages(new_page):
    """Two pages in separate browser contexts (separate cookies), like two devices."""
    return [new_page(), new_page()]


def test_log_out_other_sessions_sends_the_other_browser_to_the_login_page(live_server, two_pages):
    user = live_server.make.user(name="Petra Pharma", locale="en")
    laptop, phone = two_pages
    log_in(laptop, live_server, user.email)
    log_in(phone, live_server, user.email)

    laptop.goto(live_server("/account"))
    laptop.get_by_role("button", name="Log out other sessions").click()
    expect(laptop.get_by_text("Your other sessions are logged out.")).to_be_visible()

    phone.goto(live_server("/account"))
    expect(phone).to_have_url(live_server("/login?next=%2Faccount"))
    expect(phone.get_by_role("heading", name="Log in")).to_be_visible()

    laptop.reload()
    expect(laptop.get_by_role("heading", name="Your account")).to_be_visible()


def test_the_account_page_lists_both_browsers_and_ends_the_other(live_server, two_pages):
    user = live_server.make.user(name="Petra Pharma", locale="en")
    laptop, phone = two_pages
    laptop.set_viewport_size(PHONE)
    log_in(laptop, live_server, user.email)
    log_in(phone, live_server, user.email)

    laptop.goto(live_server("/account"))
    sessions = laptop.locator("#sessions tbody tr")
    expect(sessions).to_have_count(2)
    expect(sessions.filter(has_text="this session")).to_have_count(1)
    expect(sessions.first).to_contain_text("Chrome on Linux")
    assert_accessible(laptop)
    other = sessions.filter(has_not_text="this session")
    other.get_by_role("button", name="End session").click()
    expect(laptop.get_by_text("The session is ended.")).to_be_visible()
    expect(laptop.locator("#sessions tbody tr")).to_have_count(1)

    phone.goto(live_server("/account"))
    expect(phone).to_have_url(live_server("/login?next=%2Faccount"))


def test_stay_logged_in_survives_a_closed_browser_but_not_logout(live_server, two_pages):
    user = live_server.make.user(locale="en")
    page, _other = two_pages
    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Stay logged in").check()
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()
    # Closing the browser drops the session cookie; the remember-me cookie logs in again.
    remembered = [c for c in page.context.cookies() if c["name"] != "session"]
    page.context.clear_cookies()
    page.context.add_cookies(remembered)
    page.goto(live_server("/account"))
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.get_by_role("button", name="Log out").first.click()
    page.context.add_cookies(remembered)  # a copy of the old cookie is no key any more
    page.goto(live_server("/account"))
    expect(page).to_have_url(live_server("/login?next=%2Faccount"))
