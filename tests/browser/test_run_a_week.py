"""A vice president runs a week in a real browser: records the meeting's attendance (one
absence, one substitute by name), sees the provisional totals, locks the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from circle.extensions import db
from circle.models import Membership
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_vice_president_runs_a_week(live_server, browser_page):
    make = live_server.make
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd")
    vp = make.member(
        circle, make.user(name="Viktor Vize", email="viktor@example.org", locale="en"), "Vertrieb"
    )
    make.officer(vp, "vice_president")
    fritz = make.member(circle, make.user(name="Fritz Foto", locale="en"), profession="Fotograf")
    paula = make.member(circle, make.user(name="Paula Pharma", locale="en"), "Apotheker")
    with live_server.app.app_context():
        db.session.execute(
            update(Membership)
            .where(Membership.circle_id == circle.id)
            .values(joined_at=datetime(2024, 1, 1, tzinfo=UTC))
        )
        db.session.commit()
        db.session.remove()
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    week_start = today - timedelta(days=(today.weekday() - circle.meeting_weekday) % 7)
    page = browser_page

    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill("viktor@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # From the circle page to this week's meeting and its attendance.
    page.goto(live_server(f"/circles/{circle.id}"))
    page.get_by_role("link", name="Meetings", exact=True).click()
    page.locator("#upcoming-meetings, #past-meetings").locator(
        f'time[datetime="{week_start.isoformat()}"]'
    ).click()
    page.get_by_role("link", name="Record attendance").click()

    page.locator(f"#attendance-{fritz.id}").get_by_label("Fritz Foto", exact=True).select_option(
        "A"
    )
    row = page.locator(f"#attendance-{paula.id}")
    row.get_by_label("Paula Pharma", exact=True).select_option("S")
    page.get_by_role("button", name="Save attendance").click()
    # A substitute needs a name: nothing is saved until it has one.
    expect(row).to_contain_text("Please name the substitute.")
    row.get_by_label("Substitute for Paula Pharma").fill("Sven Stellvertreter")
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_role("status")).to_contain_text("The attendance was saved.")

    # The weekly report: provisional totals, then locked.
    page.goto(live_server(f"/circles/{circle.id}"))
    page.get_by_role("link", name="Weekly report").click()
    expect(page.locator("#report-provisional")).to_contain_text("Provisional")
    totals = page.locator("#report-totals")
    expect(totals).to_contain_text("provisional")
    expect(totals.locator('[data-total="attendance-A"]')).to_have_text("1")
    expect(totals.locator('[data-total="attendance-S"]')).to_have_text("1")
    expect(totals.locator('[data-total="attendance-P"]')).to_have_text("2")
    expect(page.locator("#report-attendance")).to_contain_text("Sven Stellvertreter")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Lock the report").click()
    expect(page.get_by_role("status")).to_contain_text("is locked")
    expect(page.locator("#report-locked")).to_contain_text("Locked")
    expect(page.locator("#report-locked")).to_contain_text("Viktor Vize")
    expect(page.get_by_role("button", name="Lock the report")).to_have_count(0)
