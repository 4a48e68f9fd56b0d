"""A member turns off the weekly reminder on a phone: from the account page to
"Reminders", one box unticked, saved; the page passes axe-core and fits the phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from circle.extensions import db
from circle.models import User
from tests.browser.support import PHONE, assert_accessible, assert_fits_the_phone
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_member_chooses_the_reminders_on_a_phone(live_server, browser_page):
    make = live_server.make
    circle = make.circle(name="Kreis Köln-Süd")
    bernd = make.user(name="Bernd Bau", email="bernd@example.org", locale="en")
    make.member(circle, bernd, "Bau")
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill("bernd@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server("/account"))
    page.locator("#reminders-link").click()
    weekly = page.get_by_label("The day before each meeting: what I logged this week")
    expect(weekly).to_be_checked()
    assert_fits_the_phone(page)
    assert_accessible(page)
    weekly.uncheck()
    page.get_by_role("button", name="Save reminders").click()
    expect(page.get_by_role("status")).to_contain_text("Your choice of reminders is saved.")
    expect(weekly).not_to_be_checked()
    with live_server.app.app_context():
        user = db.session.get(User, bernd.id)
        assert (user.remind_weekly, user.remind_absence) == (False, True)
