"""Two-factor login in a real browser on a phone-sized screen: a member enrols by typing the
key shown on the page into an "app" (pyotp), saves the recovery codes, logs in with a code,
then logs in with a recovery code. Each page passes axe-core without serious violations."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import expect

from circle.auth import twofactor
from tests.browser.support import PHONE, assert_accessible
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_enrol_log_in_with_a_code_then_with_a_recovery_code(live_server, browser_page, monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(twofactor, "clock", lambda: now[0])  # the server's clock
    user = live_server.make.user(name="Tina Treu", email="tina@example.org", locale="en")
    page = browser_page
    page.set_viewport_size(PHONE)

    def log_in_with_password():
        page.goto(live_server("/login"))
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

    def log_out():
        page.get_by_role("button", name="Log out", exact=True).click()
        expect(page.get_by_text("You are logged out.")).to_be_visible()

    log_in_with_password()
    expect(page.get_by_text("You are logged in.")).to_be_visible()
    page.goto(live_server("/account"))
    page.get_by_role("link", name="Switch on two-factor login").click()
    expect(page.get_by_role("heading", name="Switch on two-factor login")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible(page)

    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    app = pyotp.TOTP(secret)  # what the phone's authenticator app computes
    page.get_by_label("Code from your authenticator app").fill(app.at(now[0]))
    page.get_by_role("button", name="Switch on two-factor login").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert_accessible(page)
    codes = page.locator("#recovery-code-list li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have saved them").click()
    log_out()

    now[0] += 30  # the next code of the app
    log_in_with_password()
    expect(page.get_by_role("heading", name="Two-factor login")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app").fill(app.at(now[0]))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()
    log_out()

    log_in_with_password()  # the phone is lost: a recovery code instead
    page.get_by_label("Code from your authenticator app").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()
    expect(page.get_by_text("You used a recovery code; 9 are left.")).to_be_visible()
    log_out()

    log_in_with_password()  # the same recovery code does not work twice
    page.get_by_label("Code from your authenticator app").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("This code is not valid. Please try again.")).to_be_visible()
