"""An admin finds, on a phone, the invitation the mail server refused: from the circle's
page to "Mail deliveries", with the address and the reason; the page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE, assert_accessible, assert_fits_the_phone, log_in
from tests.mail.support import failed_mail

pytestmark = pytest.mark.browser


def test_an_admin_reads_why_an_invitation_did_not_arrive(live_server, browser_page):
    make = live_server.make
    admin = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd")
    failed_mail(live_server.app, circle.id, "tippfehler@example.org", "Invitation to Köln-Süd")
    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "anna@example.org")
    page.goto(live_server(f"/circles/{circle.id}"))
    page.get_by_role("link", name="Mail deliveries").click()
    failed = page.locator("#mail-failed")
    expect(failed).to_contain_text("tippfehler@example.org")
    expect(failed).to_contain_text("Invitation to Köln-Süd")
    expect(failed).to_contain_text("ConnectionRefusedError")
    expect(page.locator("#mail-waiting")).to_contain_text("0 mails are waiting")
    assert_fits_the_phone(page)
    assert_accessible(page)
