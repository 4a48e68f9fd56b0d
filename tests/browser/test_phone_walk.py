"""Every page of the demo circle on a 360 x 740 phone, in German (the wider language): a
member and an admin walk every GET page reachable from the circle's home. No page scrolls
sideways, none answers 5xx, axe-core finds no serious or critical violation, every tap
target is at least 44 px (links inside running text aside: WCAG's inline exception) and
the quick slip and thank-you forms fit one screen.
``scripts/phone_walk.py`` prints the same walk page by page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from circle.demo import DEMO_CIRCLE, DEMO_DOMAIN, DEMO_PASSWORD
from circle.extensions import db
from circle.models import Circle
from tests.browser.support import PHONE
from tests.browser.walk import log_in, shape, walk

pytestmark = pytest.mark.browser


#: Who walks (a plain member, then an admin) and how many pages each reaches at least.
WALKERS = [("jens", 30), ("anna", 45)]


def test_every_page_a_member_and_an_admin_reach_fits_the_phone(live_server, chromium):
    result = live_server.app.test_cli_runner().invoke(args=["circle", "demo"])
    assert result.exit_code == 0, result.output
    with live_server.app.app_context():
        circle_id = db.session.execute(
            select(Circle.id).where(Circle.name == DEMO_CIRCLE)
        ).scalar_one()
    for who, least in WALKERS:  # one demo for both: loading it is a tenth of the walk
        context = chromium.new_context(locale="de-DE", viewport=PHONE)
        try:
            page = context.new_page()
            log_in(page, live_server.url, f"{who}@{DEMO_DOMAIN}", DEMO_PASSWORD)
            visits = walk(page, live_server.url, f"/circles/{circle_id}")
        finally:
            context.close()
        assert_fits(who, least, visits)


def assert_fits(who: str, least: int, visits) -> None:
    """``who``'s walk reached at least ``least`` pages and every one fits the phone."""
    assert len(visits) >= least, (who, [v.path for v in visits])
    assert [(v.path, v.status) for v in visits if v.status >= 500] == []
    assert [(v.path, v.width) for v in visits if v.width > PHONE["width"]] == []
    assert [(v.path, v.axe) for v in visits if v.axe] == []
    assert [(v.path, v.small) for v in visits if v.small] == []
    # The quick forms fit one screen, their buttons included.
    forms = [
        v for v in visits if shape(v.path) in ("/circles/N/slips/new", "/circles/N/thanks/new")
    ]
    assert len(forms) == 2 and all(v.height <= PHONE["height"] for v in forms), forms
