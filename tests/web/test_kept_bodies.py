"""Page bodies kept in memory (``circle.web.kept``): each reader gets their own, a change
in the circle shows on the next view, forms carry the request's own CSRF token, and the
language asked for is the one shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from circle.core.weeks import today_for, week_start
from circle.extensions import db
from circle.models import Circle, User
from tests.clients import AuthActions
from tests.pages import CSRF_TOKEN, submit, text
from tests.referrals.test_referral_pages import total


@pytest.fixture
def world(make):
    """Anna (admin), Bernd and Clara in one circle, each logged in with a client of their own."""
    anna = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=anna, name="Kreis Köln")
    bernd = make.member(circle, make.user(name="Bernd Bau", locale="en"), profession="Bau")
    clara = make.member(circle, make.user(name="Clara Coach", locale="en"), profession="Coach")
    return {"circle": circle, "anna": anna, "bernd": bernd, "clara": clara}


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


def test_each_member_sees_their_own_week_and_every_new_slip(app, world, make):
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


def test_a_kept_form_carries_the_requests_own_token_and_is_accepted(app, world):
    """Two sessions of one member get the same kept activity page, each with its own CSRF
    token in every form; the second session's form is accepted."""
    circle, bernd = world["circle"], world["bernd"]
    page = f"/circles/{circle.id}/activity"
    first, second = logged_in(app, bernd.user), logged_in(app, bernd.user)
    first_tokens = tokens(text(first.get(page)))
    second_tokens = tokens(text(second.get(page)))
    assert len(first_tokens) == 1 and len(second_tokens) == 1
    assert first_tokens != second_tokens
    sent = submit(
        second,
        page,
        f"/circles/{circle.id}/education",
        {"ceu-topic": "Buch", "ceu-minutes": "30", "ceu-completed_on": "2025-03-04"},
    )
    assert sent.status_code == 302


def test_the_home_page_shows_a_renamed_member_and_circle(app, world):
    """The home page names the circle and my officer agenda; a new name shows at once."""
    circle = world["circle"]
    anna = logged_in(app, world["anna"])
    assert "Kreis Köln" in text(anna.get(f"/circles/{circle.id}"))
    with app.app_context():
        db.session.execute(update(Circle).where(Circle.id == circle.id).values(name="Kreis Bonn"))
        db.session.commit()
    body = text(anna.get(f"/circles/{circle.id}"))
    assert "Kreis Bonn" in body and "Kreis Köln" not in body


def test_the_directory_shows_a_new_name_and_another_language(app, world):
    """The directory is kept per reader and language: a member's new name and the reader's
    new language each show on the next view."""
    circle, bernd = world["circle"], world["bernd"]
    anna = logged_in(app, world["anna"])
    page = f"/circles/{circle.id}/members"
    assert "Bernd Bau" in text(anna.get(page))
    with app.app_context():
        db.session.execute(update(User).where(User.id == bernd.user.id).values(name="Bernd Neu"))
        db.session.commit()
    assert "Bernd Neu" in text(anna.get(page))
    english = text(anna.get(page))
    with app.app_context():
        db.session.execute(update(User).where(User.id == world["anna"].id).values(locale="de"))
        db.session.commit()
    german = text(anna.get(page))
    assert german != english and 'lang="de"' in german


def test_the_weekly_report_shows_amounts_as_each_reader_may_see_them(app, world, make):
    """The report is kept per reader: the admin sees another member's closed business, the
    vice president (who locks reports but does not see amounts) sees it hidden."""
    circle, bernd, clara = world["circle"], world["bernd"], world["clara"]
    make.slip(clara, bernd, this_week(app, circle), amount=123_400)
    vice = make.officer(make.member(circle, make.user(name="Vera Vize")), "vice_president")
    page = f"/circles/{circle.id}/weeks/{this_week(app, circle).isoformat()}/report"
    admin_view = text(logged_in(app, world["anna"]).get(page))
    vice_view = logged_in(app, vice.user).get(page)
    assert vice_view.status_code == 200
    assert "1,234.00" in admin_view
    assert "1,234.00" not in text(vice_view) and 'data-hidden="amount"' in text(vice_view)


def test_the_activity_page_shows_a_new_credit(app, world, make):
    """An education credit recorded after a view shows on the next one."""
    circle, bernd = world["circle"], world["bernd"]
    client = logged_in(app, bernd.user)
    page = f"/circles/{circle.id}/activity"
    assert "Podcast über Empfehlungen" not in text(client.get(page))
    sent = submit(
        client,
        page,
        f"/circles/{circle.id}/education",
        {
            "ceu-topic": "Podcast über Empfehlungen",
            "ceu-minutes": "60",
            "ceu-completed_on": (today_for(circle) - timedelta(days=1)).isoformat(),
        },
    )
    assert sent.status_code == 302
    assert "Podcast über Empfehlungen" in text(client.get(page))
