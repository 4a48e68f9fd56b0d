"""The president opens the circle's audit log in a real browser, reads who changed what
(before → after), filters by type and pages nowhere else; a plain member has no link; the
admin pages through a long log by "older" and "newer" links, the filter kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from circle.auditlog.record import record
from circle.auditlog.services import PER_PAGE
from circle.core.clock import utcnow
from circle.core.weeks import today_for
from circle.extensions import db
from circle.models import Circle, Membership, User
from circle.referrals.services import ReferralInput, give_referral, set_status
from tests.browser.support import log_in

pytestmark = pytest.mark.browser


def test_the_president_reads_the_audit_log(live_server, browser_page):
    make = live_server.make
    admin = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd")
    fritz = make.member(
        circle, make.user(name="Fritz Foto", email="fritz@example.org", locale="en"), "Fotograf"
    )
    paula = make.member(
        circle, make.user(name="Paula Pharma", email="paula@example.org", locale="en"), "Apotheker"
    )
    make.officer(paula, "president")
    with live_server.app.test_request_context():
        c = db.session.get(Circle, circle.id)
        giver = db.session.get(Membership, fritz.id)
        receiver = db.session.get(Membership, paula.id)
        slip = give_referral(c, giver, ReferralInput(receiver_id=paula.id, given_on=today_for(c)))
        set_status(c, receiver, slip.id, "contacted")
        db.session.commit()
    page = browser_page

    log_in(page, live_server, "paula@example.org")
    page.goto(live_server(f"/circles/{circle.id}"))
    page.get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(live_server(f"/circles/{circle.id}/audit"))
    expect(page.get_by_role("heading", name="Audit log · Kreis Köln-Süd")).to_be_visible()
    newest = page.locator("#audit-log tbody tr").first
    expect(newest).to_contain_text("Paula Pharma")
    expect(newest).to_contain_text("status changed")
    expect(newest).to_contain_text("status: new → contacted")

    page.get_by_label("Type").select_option(label="Referral")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(live_server(f"/circles/{circle.id}/audit?entity=referral"))
    expect(page.locator("#audit-log tbody tr[data-entity='referral']").first).to_be_visible()
    # Everything fits on one page: no links to older or newer entries, and no count.
    expect(page.locator("#audit-pages")).to_have_count(0)

    page.get_by_role("button", name="Log out").click()
    # Wait for the logged-out page: an immediate goto would cancel the logout's POST.
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    log_in(page, live_server, "fritz@example.org")
    page.goto(live_server(f"/circles/{circle.id}"))
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)


def test_the_admin_pages_back_through_a_long_log_and_forward_again(live_server, browser_page):
    make = live_server.make
    admin = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd")
    with live_server.app.test_request_context():
        user = db.session.get(User, admin.id)
        start = utcnow() - timedelta(days=1)
        for i in range(PER_PAGE + 5):
            entry = record(circle.id, "meeting", i + 1, "cancel", user, None, {"n": i})
            entry.created_at = start + timedelta(minutes=i)
        db.session.commit()
    page = browser_page

    log_in(page, live_server, "anna@example.org")
    page.goto(live_server(f"/circles/{circle.id}/audit?entity=meeting"))
    rows = page.locator("#audit-log tbody tr")
    expect(rows).to_have_count(PER_PAGE)
    expect(rows.first).to_contain_text(f"Meeting #{PER_PAGE + 5}")
    page.get_by_role("link", name="Older entries").click()
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Meeting #5")
    expect(page.get_by_label("Type")).to_have_value("meeting")  # the filter stays
    expect(page.get_by_role("link", name="Older entries")).to_have_count(0)
    page.get_by_role("link", name="Newer entries").click()
    expect(rows).to_have_count(PER_PAGE)
    expect(rows.last).to_contain_text("Meeting #6")
