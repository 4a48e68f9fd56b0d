"""A member downloads their data in a real browser (the file holds their referral), then
deletes their account and can no longer log in."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from circle.extensions import db
from circle.models import Circle, Membership
from circle.referrals import services as rs
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_member_exports_their_data_then_deletes_the_account(live_server, browser_page):
    make = live_server.make
    circle = make.circle(admin=make.user(name="Anna Admin", locale="en"), name="Kreis Köln-Süd")
    max_ = make.user(name="Max Maler", email="max@example.org", locale="en")
    me = make.member(circle, max_, profession="Maler")
    paula = make.member(circle, make.user(name="Paula Pharma", locale="en"), profession="Apotheker")
    yesterday = datetime.now(ZoneInfo("Europe/Berlin")).date() - timedelta(days=1)
    with live_server.app.test_request_context():
        rs.give_referrals(
            db.session.get(Circle, circle.id),
            db.session.get(Membership, me.id),
            [rs.ReferralInput(paula.id, yesterday, prospect_name="Karl Kunde")],
            notify=False,
        )
        db.session.commit()
        db.session.remove()
    page = browser_page

    def log_in():
        page.goto(live_server("/login"))
        page.get_by_label("E-mail").fill("max@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

    log_in()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto(live_server("/account"))
    page.get_by_role("link", name="Your data").click()
    expect(page.get_by_role("heading", name="Your data", exact=True)).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    assert download.value.suggested_filename.startswith("circle-export-")
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    (given,) = data["referrals_given"]
    assert (given["other"], given["prospect"]["name"]) == ("Paula Pharma", "Karl Kunde")

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Type your e-mail address to confirm").fill("max@example.org")
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_role("status")).to_contain_text("Your account has been deleted.")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    log_in()
    expect(page.get_by_text("The e-mail address or the password is wrong.")).to_be_visible()
