"""On a phone: a member opens the circle over time, sees the charts fit the screen, opens
the numbers behind the referrals chart and reads this week's count and its average from
the table; the page does not scroll sideways and passes axe-core."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from circle.core.weeks import today_for, week_start
from circle.extensions import db
from circle.models import Circle
from tests.browser.support import PHONE, assert_accessible, assert_fits_the_phone
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_member_reads_the_circles_weeks_on_a_phone(live_server, new_page):
    make = live_server.make
    circle = make.circle(admin=make.user(name="Anna Admin", locale="en"), name="Kreis Köln-Süd")
    fritz = make.user(name="Fritz Foto", email="fritz@example.org", locale="en")
    me = make.member(circle, fritz, profession="Fotograf")
    paula = make.member(circle, make.user(name="Paula Pharma", locale="en"), profession="Apotheke")
    with live_server.app.app_context():
        fresh = db.session.get(Circle, circle.id)
        today = today_for(fresh)
        this_week = week_start(fresh, today)
    for _n in range(5):
        make.slip(me, paula, this_week)
    make.slip(paula, me, this_week - timedelta(days=7))
    make.slip(paula, me, this_week, amount=123_450)
    meeting = make.meeting(circle, this_week)
    make.attendance(meeting, me, "P")
    make.attendance(meeting, paula, "S")

    page = new_page()
    page.set_viewport_size(PHONE)
    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill(fritz.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()

    page.goto(live_server(f"/circles/{circle.id}/trends"))
    expect(page.get_by_role("heading", name="The circle over time", level=1)).to_be_visible()
    chart = page.get_by_role("img", name="Referrals given per week")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    expect(page.get_by_role("img", name="Closed business per week")).to_be_visible()
    expect(page.get_by_role("img", name="Attendance per meeting")).to_be_visible()

    table = page.locator("#trend-referrals-table")
    expect(table).to_be_hidden()
    page.locator("#trend-referrals").get_by_text("Show the numbers as a table").click()
    expect(table).to_be_visible()
    row = table.locator(f'tr[data-period="{this_week.isoformat()}"]')
    expect(row.locator("td").nth(0)).to_have_text("5")
    expect(row.locator("td").nth(1)).to_have_text("1.5")  # (0 + 0 + 1 + 5) / 4
    assert_fits_the_phone(page)
    assert_accessible(page)

    page.locator("#trend-attendance").get_by_text("Show the numbers as a table").click()
    attendance = page.locator(f'#trend-attendance-table tr[data-period="{this_week.isoformat()}"]')
    expect(attendance.locator("td").last).to_have_text("50%")
    assert_fits_the_phone(page)
    assert_accessible(page)

    page.get_by_label("Period", exact=True).select_option("13")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#trend-referrals-table tbody tr")).to_have_count(13)
    assert_fits_the_phone(page)
