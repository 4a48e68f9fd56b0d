"""Dues in a real browser: the treasurer (an officer, not an admin) sets the plan and records
a bank transfer; the member sees "paid through", that online payment is not configured
without Stripe keys, and with keys "Pay online" leads (303) to Stripe Checkout."""

from __future__ import annotations

import re
from datetime import date

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from tests.browser.support import log_in
from tests.dues.stripe_http import API_VERSION, RecordingHTTPClient

pytestmark = pytest.mark.browser


def log_out(page) -> None:
    """Log out with the header's button."""
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_treasurer_records_a_transfer_and_the_member_pays_online(live_server, browser_page):
    make = live_server.make
    circle = make.circle(admin=make.user(name="Anna Admin", locale="en"), name="Kreis Köln-Süd")
    tom = make.user(name="Tom Treasurer", email="tom@example.org", locale="en")
    make.officer(make.member(circle, tom, profession="Steuerberater"), "secretary_treasurer")
    max_ = make.user(name="Max Mitglied", email="max@example.org", locale="en")
    max_membership = make.member(circle, max_, profession="Fotograf")
    page = browser_page

    # The treasurer finds the dues list from the circle page and sets a yearly plan.
    log_in(page, live_server, tom.email)
    page.goto(live_server(f"/circles/{circle.id}"))
    page.get_by_role("link", name="Dues of all members").click()
    expect(page).to_have_url(live_server(f"/circles/{circle.id}/dues/admin"))
    expect(page.locator("#online-not-configured")).to_be_visible()
    plan = page.locator("#plan-form")
    plan.get_by_label("Amount per period").fill("600.00")
    plan.get_by_label("Interval").select_option("year")
    plan.get_by_label("Grace period in days").fill("14")
    plan.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("status")).to_contain_text("The dues plan is saved.")
    expect(page.locator("#dues-plan")).to_contain_text("In force: €600.00 per year.")

    # Max's row: "Record payment" prefills the form with the next period and the amount.
    row = page.locator(f'#dues-table tr[data-member="{max_membership.id}"]')
    expect(row).to_have_attribute("data-state", "grace")
    row.get_by_role("link", name="Record payment").click()
    form = page.locator("#payment-form")
    expect(form.get_by_label("Amount")).to_have_value("600.00")
    period_end = date.fromisoformat(form.get_by_label("Period to").input_value())
    form.get_by_label("Reference").fill("Überweisung 4711")
    form.get_by_role("button", name="Record payment").click()
    expect(page.get_by_role("status")).to_contain_text("The payment is recorded.")
    expect(row).to_have_attribute("data-state", "paid")
    log_out(page)

    # Max sees that he is paid, the transfer, and that online payment is not configured.
    log_in(page, live_server, max_.email)
    page.goto(live_server(f"/circles/{circle.id}"))
    page.get_by_role("link", name="My dues").click()
    paid_through = format_date(period_end, "long", locale="en")
    expect(page.locator("#dues-status")).to_contain_text(f"Paid through {paid_through}.")
    expect(page.locator("#dues-payments")).to_contain_text("Überweisung 4711")
    expect(page.locator("#dues-payments")).to_contain_text("recorded by the treasurer")
    expect(page.locator("#online-not-configured")).to_contain_text(
        "Online payment is not configured."
    )
    expect(page.get_by_role("button", name="Pay online")).to_have_count(0)
    expect(page.get_by_role("link", name="Dues list")).to_have_count(0)

    # With Stripe keys (an in-process Stripe API), "Pay online" goes to Stripe Checkout.
    stripe_api = RecordingHTTPClient()
    live_server.app.config.update(
        STRIPE_SECRET_KEY="sk_test_circle", STRIPE_API_VERSION=API_VERSION
    )
    live_server.app.extensions["stripe_http_client"] = stripe_api
    page.route(
        "https://checkout.stripe.com/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<title>Stripe Checkout</title>"
        ),
    )
    try:
        page.reload()
        with page.expect_response(lambda r: r.url.endswith("/dues/checkout")) as answer:
            page.get_by_role("button", name="Pay online").click()
        assert answer.value.status == 303
        expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test_\d+$"))
        expect(page).to_have_title("Stripe Checkout")
    finally:
        live_server.app.extensions.pop("stripe_http_client", None)
    session = next(r for r in stripe_api.requests if r["path"] == "/v1/checkout/sessions")
    assert session["form"]["mode"] == "subscription"
    assert session["form"]["client_reference_id"] == str(max_membership.id)
    assert session["version"] == API_VERSION
