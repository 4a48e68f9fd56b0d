"""Adding a member by e-mail reserves the seat and invites (issue 12, item 4): the person
joins only by accepting, the admin sees only what was typed, and a declined or expired
invitation frees the seat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from circle.circles.access import roster, seats_among, seats_taken
from circle.core.clock import utcnow
from circle.extensions import db
from circle.membership import invitations
from circle.models import Invitation, Membership
from tests.mail.support import link_in
from tests.membership.support import active, manage_url
from tests.pages import submit, text

#: What the admin types, and the real account behind the address.
TYPED = {"add-email": "Karl@Example.org", "add-name": "K. Tippname", "add-profession": "Fotograf"}
REAL_NAME = "Karla Kontoinhaberin"


@pytest.fixture
def admin(make):
    """An English-speaking admin."""
    return make.user(name="Anna Admin", email="anna@example.org", locale="en")


@pytest.fixture
def circle(make, admin):
    """A circle of three seats run by ``admin`` (who holds one)."""
    return make.circle(admin=admin, name="Kreis Köln-Süd", seat_limit=3)


@pytest.fixture
def owner(make):
    """The existing account behind the address the admin types."""
    return make.user(name=REAL_NAME, email="karl@example.org", locale="en")


def reserve(client, circle, **overrides):
    """Send the add-member form of the manage page."""
    return submit(
        client, manage_url(circle), f"/circles/{circle.id}/members", {**TYPED, **overrides}
    )


def taken(app, circle) -> int:
    """The circle's taken seats (active and reserved), as the services count them."""
    with app.test_request_context():
        n = seats_taken(circle.id)
        db.session.remove()
    return n


def test_adding_an_existing_account_reserves_the_seat_and_shows_only_what_was_typed(
    app, client, make, circle, admin, owner, auth, outbox
):
    auth.login(admin)
    response = reserve(client, circle)
    assert response.status_code == 302
    page = text(client.get(manage_url(circle)))
    assert "K. Tippname" in page
    assert REAL_NAME not in page
    assert f"/members/{owner.id}" not in page and f'data-user-id="{owner.id}"' not in page
    assert "2 of 3 seats taken" in page
    assert REAL_NAME not in text(client.get(f"/circles/{circle.id}"))
    # Not a member yet: no membership row for the account at all.
    with app.app_context():
        rows = db.session.execute(
            select(Membership).where(Membership.user_id == owner.id)
        ).scalars()
        assert list(rows) == []
        db.session.remove()
    # The profession is blocked, and the seat counts toward the limit.
    blocked = reserve(client, circle, **{"add-email": "z@example.org", "add-name": "Z"})
    assert blocked.status_code == 409
    assert "The profession Fotograf is already taken in this circle (K. Tippname)." in text(blocked)
    make.member(circle, profession="Apotheker")  # the third seat
    full = reserve(
        client,
        circle,
        **{"add-email": "y@example.org", "add-name": "Y", "add-profession": "Bäcker"},
    )
    assert full.status_code == 409
    assert "The circle is full: 3 of 3 seats taken." in text(full)
    assert [m["To"] for m in outbox()] == ["karl@example.org"]


def test_the_invitee_joins_only_by_accepting(app, client, circle, admin, owner, auth, outbox):
    auth.login(admin)
    reserve(client, circle)
    link = link_in(outbox()[-1], "/invitations/")
    assert REAL_NAME not in active(app, circle.id)
    auth.logout()
    auth.login(owner)
    accepted = submit(client, link, link)
    assert accepted.status_code == 302
    assert active(app, circle.id)[REAL_NAME] == "Fotograf"
    assert taken(app, circle) == 2  # the reservation became the seat, not a second one


def test_declining_frees_the_seat_and_the_profession(
    app, client, circle, admin, owner, auth, outbox
):
    auth.login(admin)
    reserve(client, circle)
    link = link_in(outbox()[-1], "/invitations/")
    assert taken(app, circle) == 2
    auth.logout()
    auth.login(owner)  # only the invited address may decline
    declined = submit(client, link, f"{link}/decline")
    assert declined.status_code == 302
    assert taken(app, circle) == 1
    assert client.get(link).status_code == 404  # the link is used up
    auth.logout()
    auth.login(admin)
    again = reserve(client, circle, **{"add-email": "neu@example.org", "add-name": "Neu"})
    assert again.status_code == 302


def test_an_expired_reservation_frees_the_seat(app, client, circle, admin, owner, auth):
    auth.login(admin)
    reserve(client, circle)
    assert taken(app, circle) == 2
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()
    assert taken(app, circle) == 1
    assert "1 of 3 seats taken" in text(client.get(manage_url(circle)))


def test_the_api_answers_with_what_was_sent_and_seats_nobody(app, api, circle, admin, owner):
    response = api.as_user(admin).post(
        f"/api/v1/circles/{circle.id}/members",
        json={"email": "KARL@example.org", "name": "K. Tippname", "profession": "Fotograf"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "karl@example.org" and body["name"] == "K. Tippname"
    assert body["status"] == "invited" and body["profession"]["name"] == "Fotograf"
    assert set(body) == {"invitation_id", "email", "name", "profession", "status", "expires_at"}
    assert REAL_NAME not in str(body)
    roster = api.as_user(admin).get(f"/api/v1/circles/{circle.id}/members").get_json()
    assert REAL_NAME not in str(roster)
    assert taken(app, circle) == 2


def test_the_members_page_counts_the_seats_it_shows_like_the_seat_rules(
    app, client, make, circle, admin, owner, auth
):
    """The members page counts the taken seats from its roster and open invitations
    (``seats_among``, no statement of its own): the same as ``seats_taken``."""
    auth.login(admin)
    reserve(client, circle)  # reserves a seat
    submit(  # a plain invitation reserves none
        client,
        manage_url(circle),
        f"/circles/{circle.id}/invitations",
        {"invite-email": "ines@example.org", "invite-name": "Ines", "invite-profession": "Maler"},
    )
    with app.test_request_context():
        open_now = invitations.open_invitations(circle.id)
        assert len(open_now) == 2
        assert seats_among(roster(circle.id), open_now) == seats_taken(circle.id) == 2
        db.session.remove()
    assert 'data-seats-taken="2"' in text(client.get(manage_url(circle)))


def test_the_kept_members_page_frees_the_seat_when_the_invitation_expires(
    app, client, circle, admin, owner, auth, monkeypatch
):
    """The members page is kept in memory between views, but not past the moment its
    first open invitation expires: the next view shows the seat free again."""
    auth.login(admin)
    reserve(client, circle)
    assert "2 of 3 seats taken" in text(client.get(manage_url(circle)))
    with app.app_context():
        expires = db.session.execute(select(Invitation.expires_at)).scalar_one()
    later = expires + timedelta(seconds=1)
    monkeypatch.setattr("circle.web.kept.utcnow", lambda: later)
    monkeypatch.setattr("circle.membership.invitations.utcnow", lambda: later)
    assert "1 of 3 seats taken" in text(client.get(manage_url(circle)))


@pytest.mark.parametrize("page", ["", "/settings"])
def test_the_kept_home_and_settings_pages_free_the_seat_when_the_invitation_expires(
    app, client, circle, admin, owner, auth, monkeypatch, page
):
    """The home and settings pages show the seats taken; kept in memory, they still free
    a reserved seat the moment its invitation expires (not only at the next change)."""
    auth.login(admin)
    reserve(client, circle)
    # The invitation expires at hh:mm:30; the page is seen ten seconds before and a second
    # after, within one minute (the home page is kept for the minute).
    expires = (utcnow() + timedelta(days=1)).replace(second=30, microsecond=0)
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=expires))
        db.session.commit()
    url = f"/circles/{circle.id}{page}"
    for moment, taken in (
        (expires - timedelta(seconds=10), 2),
        (expires + timedelta(seconds=1), 1),
    ):
        for where in ("circle.web.kept", "circle.circles.views", "circle.circles.access"):
            monkeypatch.setattr(f"{where}.utcnow", lambda moment=moment: moment)
        assert f'data-seats-taken="{taken}"' in text(client.get(url))
