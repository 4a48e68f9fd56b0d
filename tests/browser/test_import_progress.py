"""An admin imports BNI's slips report on a phone: the upload's page shows the bar while
the worker checks the file and turns into the preview by itself; confirmed, the bar again,
then the result. The pages fit the phone and pass axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from circle.extensions import db
from circle.imports.progress import Reporter
from circle.models import ImportJob
from tests.browser.support import PHONE, assert_accessible, assert_fits_the_phone, log_in
from tests.imports.support import FIXTURES, NAMES, run_jobs

pytestmark = pytest.mark.browser


def test_an_admin_watches_an_import_being_checked_and_imported(live_server, browser_page):
    make = live_server.make
    admin = make.user(name="Anna Schmidt", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd")
    for name in NAMES:
        make.member(circle, make.user(name=name, locale="en"))
    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "anna@example.org")
    page.goto(live_server(f"/circles/{circle.id}/import"))
    page.get_by_label("File").set_input_files(str(FIXTURES / "bni_slips_metadata.xls"))
    page.get_by_label("Date of the slips").fill("2025-03-05")
    page.get_by_role("button", name="Show preview").click()

    bar = page.get_by_role("progressbar")
    expect(bar).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Waiting for the worker")
    assert_fits_the_phone(page)
    assert_accessible(page)

    # The worker takes the job and reports how far it is: the bar moves without a reload.
    with live_server.app.app_context():
        job = db.session.execute(select(ImportJob)).scalar_one()
        job.state = "checking"
        db.session.commit()
        Reporter(job.circle_id, job.id)("check", 5_000, 10_000)
        db.session.remove()
    expect(bar).to_have_attribute("value", "80", timeout=10_000)
    expect(page.get_by_role("status")).to_contain_text("5,000 rows")
    with live_server.app.app_context():
        db.session.execute(update(ImportJob).values(state="queued"))
        db.session.commit()
        db.session.remove()

    run_jobs(live_server.app)  # the worker checks the file; the page notices by itself
    confirm = page.get_by_role("button", name="Import 11 entries")
    expect(confirm).to_be_visible(timeout=10_000)
    expect(page.locator(".unmatched-names")).to_contain_text("Gerda Extern")
    assert_fits_the_phone(page)
    assert_accessible(page)

    confirm.click()
    expect(page.get_by_role("heading", name="Importing")).to_be_visible()
    run_jobs(live_server.app)
    expect(page.get_by_role("heading", name="Import result")).to_be_visible(timeout=10_000)
    assert_fits_the_phone(page)
