"""Page bodies kept in memory (``circle.web.kept``): each member's own week with every new
slip, and a renamed circle on the home page; the helpers the other tests of kept pages
(``tests/web/test_kept_pages.py``) share."""

from __future__ import annotations

from sqlalchemy import update

from circle.core.weeks import today_for, week_start
from circle.extensions import db
from circle.models import Circle
from tests.activity.test_activity import world  # noqa: F401 - the fixture
from tests.clients import AuthActions
from tests.pages import CSRF_TOKEN, text
from tests.referrals.test_referral_pages import total


def logged_in(app, user):
    """A test client of its own with ``user`` logged in."""
    client = app.test_client()
    AuthActions(client).login(user)
    return client


def tokens(html: str) -> set[str]:
    """Every CSRF token on a page (its forms' and the header's)."""
    return {a or b for a, b in CSRF_TOKEN.findall(html)}


def this_week(app, circle) -> object:
    """The first day of the circle's current week."""
    with app.app_context():
        return week_start(db.session.get(Circle, circle.id), today_for(circle))


def test_each_member_sees_their_own_week_and_every_new_slip(app, world, make):  # noqa: F811
    """Two members' week pages are kept apart, and a slip given after a view shows on the
    next one."""
    circle, bernd, clara = world["circle"], world["bernd"], world["clara"]
    make.slip(bernd, clara, this_week(app, circle))
    bernds, claras = logged_in(app, bernd.user), logged_in(app, clara.user)
    page = f"/circles/{circle.id}/week"
    assert total(text(bernds.get(page)), "given") == "1"
    assert total(text(claras.get(page)), "given") == "0"
    assert total(text(claras.get(page)), "received") == "1"
    make.slip(bernd, clara, this_week(app, circle))
    assert total(text(bernds.get(page)), "given") == "2"
    assert total(text(claras.get(page)), "received") == "2"


def test_the_home_page_shows_a_renamed_circle(app, world):  # noqa: F811
    """The home page names the circle; a new name shows at once."""
    circle = world["circle"]
    anna = logged_in(app, world["anna"])
    assert "Kreis Köln" in text(anna.get(f"/circles/{circle.id}"))
    with app.app_context():
        db.session.execute(update(Circle).where(Circle.id == circle.id).values(name="Kreis Bonn"))
        db.session.commit()
    body = text(anna.get(f"/circles/{circle.id}"))
    assert "Kreis Bonn" in body and "Kreis Köln" not in body
