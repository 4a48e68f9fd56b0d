"""The membership pages through their real HTML forms (with CSRF): seats, invitations,
applications, the waitlist, roles, and that other circles' objects are 404."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from circle.core.clock import utcnow
from circle.extensions import db
from circle.models import Invitation, Membership, User
from tests.mail.support import link_in
from tests.membership.support import active, manage_url, memberships
from tests.pages import any_csrf_token, page_forms, submit, text

# --- helpers -----------------------------------------------------------------------


def membership_of(app, membership_id: int) -> Membership:
    """One membership, fresh from the database."""
    with app.app_context():
        row = db.session.get(Membership, membership_id)
        db.session.expunge_all()
        db.session.remove()
    return row


def count_users(app) -> int:
    """How many accounts exist."""
    with app.app_context():
        n = db.session.execute(select(func.count(User.id))).scalar_one()
        db.session.remove()
    return n


@pytest.fixture
def admin(make):
    """An English-speaking admin user."""
    return make.user(name="Anna Admin", email="anna@example.org", locale="en")


@pytest.fixture
def circle(make, admin):
    """A circle of 40 seats run by ``admin`` (who holds the Organisationsberatung seat)."""
    return make.circle(admin=admin, name="Kreis Köln-Süd")


@pytest.fixture
def admin_in(auth, admin, circle):
    """The admin, logged in."""
    auth.login(admin)
    return admin


def admin_membership_id(app, circle) -> int:
    """The id of the circle's (first) admin membership."""
    return next(m.id for m in memberships(app, circle.id) if m.role == "admin")


# --- the manage page ---------------------------------------------------------------


def test_manage_page_shows_seats_members_and_the_forms(client, make, circle, admin_in):
    make.member(circle, make.user(name="Max Muster", locale="en"), profession="Fotograf")
    response = client.get(manage_url(circle))
    body = text(response)
    assert response.status_code == 200
    assert "2 of 40 seats taken" in body
    assert "38 seats open" in body
    assert "Max Muster" in body and "Fotograf" in body
    actions = {f["action"] for f in page_forms(body)}
    assert f"/circles/{circle.id}/members" in actions
    assert f"/circles/{circle.id}/invitations" in actions


def test_admin_adds_a_member_the_seat_is_reserved_and_an_invitation_is_mailed(
    app, client, circle, admin_in, outbox
):
    response = submit(
        client,
        manage_url(circle),
        f"/circles/{circle.id}/members",
        {
            "add-email": "Paula@Example.org",
            "add-name": "Paula Pharma",
            "add-profession": "Apotheker",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(manage_url(circle))
    page = text(client.get(manage_url(circle)))
    assert (
        "The seat for Apotheker is reserved for Paula Pharma; an invitation went to "
        "paula@example.org." in page
    )
    assert "2 of 40 seats taken" in page
    assert "Paula Pharma" not in active(app, circle.id)
    mails = [m for m in outbox() if m["To"] == "paula@example.org"]
    assert len(mails) == 1
    invitation = link_in(mails[0], "/invitations/")
    client.post("/logout", data={"csrf_token": any_csrf_token(client, manage_url(circle))})
    assert client.get(invitation).status_code == 200


def test_a_taken_profession_is_refused_with_the_holders_name_and_nothing_changes(
    app, client, make, circle, admin_in, outbox
):
    make.member(circle, make.user(name="Max Muster", locale="en"), profession="Fotograf")
    users_before = count_users(app)
    response = submit(
        client,
        manage_url(circle),
        f"/circles/{circle.id}/members",
        {"add-email": "neu@example.org", "add-name": "Neu", "add-profession": "  FOTOGRAF "},
    )
    assert response.status_code == 409
    body = text(response)
    message = "The profession Fotograf is already taken in this circle (Max Muster)."
    # The message sits on the profession field of the add form, which keeps its input.
    assert re.search(r'id="add-profession-error"[^>]*>' + re.escape(message), body)
    assert 'value="neu@example.org"' in body
    assert "invite-profession-error" not in body
    assert active(app, circle.id) == {
        "Anna Admin": "Organisationsberatung",
        "Max Muster": "Fotograf",
    }
    assert count_users(app) == users_before
    assert outbox() == []


def test_a_full_circle_is_refused_with_n_of_n_and_nothing_changes(app, client, make, admin, auth):
    small = make.circle(admin=admin, seat_limit=3)
    make.member(small, profession="Apotheker")
    make.member(small, profession="Fotograf")
    auth.login(admin)
    before = active(app, small.id)
    response = submit(
        client,
        manage_url(small),
        f"/circles/{small.id}/members",
        {"add-email": "x@example.org", "add-name": "X", "add-profession": "Steuerberater"},
    )
    assert response.status_code == 409
    body = text(response)
    assert "The circle is full: 3 of 3 seats taken." in body
    assert "3 of 3 seats taken" in body and "0 seats open" in body
    assert active(app, small.id) == before


def test_add_form_validation_errors_are_422_on_the_add_form(app, client, circle, admin_in):
    response = submit(
        client,
        manage_url(circle),
        f"/circles/{circle.id}/members",
        {"add-email": "not-an-address", "add-name": "", "add-profession": ""},
    )
    assert response.status_code == 422
    body = text(response)
    assert 'id="add-name-error"' in body and 'id="add-profession-error"' in body
    assert 'id="add-email-error"' in body
    assert len(active(app, circle.id)) == 1


def test_adding_someone_who_is_already_a_member_is_refused(app, client, make, circle, admin_in):
    make.member(
        circle, make.user(name="Max Muster", email="max@example.org"), profession="Fotograf"
    )
    response = submit(
        client,
        manage_url(circle),
        f"/circles/{circle.id}/members",
        {"add-email": "MAX@example.org", "add-name": "Max", "add-profession": "Bäcker"},
    )
    assert response.status_code == 409
    assert "Max Muster is already a member of this circle." in text(response)
    assert active(app, circle.id)["Max Muster"] == "Fotograf"


# --- invitations -------------------------------------------------------------------


def _invite(client, circle, email="ina@example.org", name="Ina Invite", profession="Fotograf"):
    """Send an invitation through the invite form."""
    return submit(
        client,
        manage_url(circle),
        f"/circles/{circle.id}/invitations",
        {"invite-email": email, "invite-name": name, "invite-profession": profession},
    )


def test_invite_then_accept_through_the_mailed_link(
    app, client, make, circle, admin_in, auth, outbox
):
    response = _invite(client, circle)
    assert response.status_code == 302
    page = text(client.get(manage_url(circle)))
    assert "Invitation sent to ina@example.org." in page
    assert "ina@example.org" in page.split('id="invitations"')[1]
    mail = next(m for m in outbox() if m["To"] == "ina@example.org")
    link = link_in(mail, "/invitations/")

    auth.logout()
    invited = make.user(name="Ina Invite", email="ina@example.org", locale="en")
    anonymous = client.get(link)
    body = text(anonymous)
    assert anonymous.status_code == 200
    assert (
        "Anna Admin invites you to take the seat for Fotograf in the circle Kreis Köln-Süd." in body
    )
    assert f"/login?next={link}" in body.replace("%2F", "/")
    assert f"/register?next={link}" in body.replace("%2F", "/")
    # Accepting logged out asks for a login first and changes nothing.
    csrf = any_csrf_token(client, link)
    assert client.post(link, data={"csrf_token": csrf}).status_code == 302
    assert "Ina Invite" not in active(app, circle.id)

    login = auth.login(invited, next_url=link)
    assert login.headers["Location"].endswith(link)
    accepted = submit(client, link, link)
    assert accepted.status_code == 302
    assert accepted.headers["Location"].endswith(f"/circles/{circle.id}")
    assert active(app, circle.id)["Ina Invite"] == "Fotograf"
    # The link is used up.
    used = client.get(link)
    assert used.status_code == 404
    assert "This invitation link is invalid or has expired." in text(used)


def test_an_expired_invitation_is_404(app, client, circle, admin_in, outbox):
    _invite(client, circle)
    link = link_in(outbox()[-1], "/invitations/")
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        db.session.remove()
    response = client.get(link)
    assert response.status_code == 404
    assert "This invitation link is invalid or has expired." in text(response)
    assert (
        "ina@example.org" not in text(client.get(manage_url(circle))).split('id="invitations"')[1]
    )


def test_a_revoked_invitation_is_404(app, client, circle, admin_in, outbox):
    _invite(client, circle)
    link = link_in(outbox()[-1], "/invitations/")
    with app.app_context():
        invitation_id = db.session.execute(select(Invitation.id)).scalar_one()
        db.session.remove()
    revoked = submit(
        client, manage_url(circle), f"/circles/{circle.id}/invitations/{invitation_id}/revoke"
    )
    assert revoked.status_code == 302
    assert "The invitation to ina@example.org was revoked." in text(client.get(manage_url(circle)))
    response = client.get(link)
    assert response.status_code == 404
    assert "This invitation link is invalid or has expired." in text(response)
    assert client.get("/invitations/not-a-real-token").status_code == 404


def test_an_invitation_opened_with_another_account_is_403(
    app, client, make, circle, admin_in, auth, outbox
):
    _invite(client, circle)
    link = link_in(outbox()[-1], "/invitations/")
    auth.logout()
    auth.login(make.user(name="Olga Other", email="olga@example.org", locale="en"))
    response = client.get(link)
    assert response.status_code == 403
    message = "This invitation was sent to ina@example.org. Log in with that address to accept it."
    assert message in text(response)
    posted = client.post(link, data={"csrf_token": any_csrf_token(client)})
    assert posted.status_code == 403
    assert "Olga Other" not in active(app, circle.id)


def test_inviting_to_a_taken_profession_is_refused_on_the_invite_form(
    app, client, make, circle, admin_in, outbox
):
    make.member(circle, make.user(name="Max Muster"), profession="Fotograf")
    response = _invite(client, circle)
    assert response.status_code == 409
    body = text(response)
    message = "The profession Fotograf is already taken in this circle (Max Muster)."
    assert re.search(r'id="invite-profession-error"[^>]*>' + re.escape(message), body)
    assert "add-profession-error" not in body
    assert outbox() == []


# --- applications and the waitlist -------------------------------------------------


def _apply(client, circle, profession, waitlist=False):
    """Apply through the form on the circle's public page."""
    data = {"profession": profession}
    if waitlist:
        data["waitlist"] = "y"
    return submit(client, f"/directory/{circle.id}", f"/directory/{circle.id}/apply", data)


def test_apply_then_the_admin_approves(app, client, make, admin, circle, auth, outbox):
    applicant = make.user(name="Bernd Bäcker", locale="en")
    auth.login(applicant)
    response = _apply(client, circle, "Bäcker")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/directory/{circle.id}")
    assert "Your application for Bäcker was sent to the people who decide on it." in text(
        client.get(f"/directory/{circle.id}")
    )
    assert any(m["To"] == admin.email for m in outbox())
    auth.logout()

    auth.login(admin)
    page = text(client.get(manage_url(circle)))
    assert "Bernd Bäcker" in page.split('id="applications"')[1].split('id="waitlist"')[0]
    member_id = next(m.id for m in memberships(app, circle.id) if m.status == "applicant")
    approved = submit(
        client, manage_url(circle), f"/circles/{circle.id}/applications/{member_id}/approve"
    )
    assert approved.status_code == 302
    assert active(app, circle.id)["Bernd Bäcker"] == "Bäcker"
    assert any(m["To"] == applicant.email and "Welcome" in m["Subject"] for m in outbox())


def test_the_admin_declines_an_application(app, client, make, admin, circle, auth):
    auth.login(make.user(name="Bernd Bäcker", locale="en"))
    _apply(client, circle, "Bäcker")
    auth.logout()
    auth.login(admin)
    member_id = next(m.id for m in memberships(app, circle.id) if m.status == "applicant")
    response = submit(
        client,
        manage_url(circle),
        f"/circles/{circle.id}/applications/{member_id}/decline",
        {f"d{member_id}-reason": "Der Sitz ist für Lebensmittel vorgesehen."},
    )
    assert response.status_code == 302
    assert membership_of(app, member_id).status == "declined"
    page = text(client.get(manage_url(circle)))
    assert "The application of Bernd Bäcker was declined." in page
    assert "No open applications." in page


def test_applying_for_a_taken_profession_asks_for_the_waitlist_then_joins_it(
    app, client, make, admin, circle, auth
):
    make.member(circle, make.user(name="Max Muster"), profession="Fotograf")
    auth.login(make.user(name="Wanda Wait", locale="en"))
    refused = _apply(client, circle, "fotograf")
    assert refused.status_code == 302
    page = text(client.get(f"/directory/{circle.id}"))
    # An applicant learns that the seat is taken, not by whom.
    assert "The profession Fotograf is already taken in this circle." in page
    assert "Max Muster" not in page.split("alert")[1]
    assert "Tick the waitlist box" in page
    assert "Wanda Wait" not in {m.user.name for m in memberships(app, circle.id)}

    joined = _apply(client, circle, "fotograf", waitlist=True)
    assert joined.status_code == 302
    assert "You are on the waitlist for Fotograf." in text(client.get(f"/directory/{circle.id}"))
    waiting = next(m for m in memberships(app, circle.id) if m.user.name == "Wanda Wait")
    assert waiting.status == "waitlisted"
    auth.logout()
    auth.login(admin)
    waitlist = text(client.get(manage_url(circle))).split('id="waitlist"')[1]
    assert "Wanda Wait" in waitlist and "Fotograf" in waitlist


def test_a_user_withdraws_an_application(app, client, make, circle, auth):
    auth.login(make.user(name="Bernd Bäcker", locale="en"))
    _apply(client, circle, "Bäcker")
    response = client.post(
        f"/directory/{circle.id}/withdraw", data={"csrf_token": any_csrf_token(client)}
    )
    assert response.status_code == 302
    assert "Your application was withdrawn." in text(client.get(f"/directory/{circle.id}"))
    assert [m.status for m in memberships(app, circle.id) if m.user.name == "Bernd Bäcker"] == [
        "left"
    ]
    again = client.post(
        f"/directory/{circle.id}/withdraw", data={"csrf_token": any_csrf_token(client)}
    )
    assert again.status_code == 404


def test_removing_the_holder_offers_the_seat_to_the_first_on_the_waitlist(
    app, client, make, admin, circle, auth, outbox
):
    holder = make.member(circle, make.user(name="Max Muster"), profession="Fotograf")
    first = make.user(name="Erste Wartende", email="first@example.org", locale="en")
    second = make.user(name="Zweiter Wartender", email="second@example.org", locale="en")
    for user in (first, second):
        auth.login(user)
        _apply(client, circle, "Fotograf", waitlist=True)
        auth.logout()

    auth.login(admin)
    removed = submit(client, manage_url(circle), f"/circles/{circle.id}/members/{holder.id}/remove")
    assert removed.status_code == 302
    page = text(client.get(manage_url(circle)))
    assert "Max Muster was removed from the circle." in page
    waitlist = page.split('id="waitlist"')[1]
    assert waitlist.index("Erste Wartende") < waitlist.index("Zweiter Wartender")
    assert "Seat offered on" in waitlist
    assert membership_of(app, holder.id).status == "removed"  # the history stays
    offers = [m for m in outbox() if "A seat is free" in m["Subject"]]
    assert [m["To"] for m in offers] == ["first@example.org"]
    link = link_in(offers[0], f"/directory/{circle.id}")
    auth.logout()

    auth.login(first)
    assert client.get(link).status_code == 200
    taken = client.post(
        f"/directory/{circle.id}/accept-offer", data={"csrf_token": any_csrf_token(client, link)}
    )
    assert taken.status_code == 302
    assert taken.headers["Location"].endswith(f"/circles/{circle.id}")
    assert active(app, circle.id)["Erste Wartende"] == "Fotograf"
    auth.logout()

    # The second in line has no offer to accept.
    auth.login(second)
    refused = client.post(
        f"/directory/{circle.id}/accept-offer", data={"csrf_token": any_csrf_token(client)}
    )
    assert refused.status_code == 404
    assert "Zweiter Wartender" not in active(app, circle.id)


# --- changing seats and roles ------------------------------------------------------


def test_change_profession_to_a_taken_one_is_refused_on_that_row(
    app, client, make, circle, admin_in
):
    make.member(circle, make.user(name="Max Muster"), profession="Fotograf")
    paula = make.member(circle, make.user(name="Paula Pharma"), profession="Apotheker")
    action = f"/circles/{circle.id}/members/{paula.id}/profession"
    response = submit(client, manage_url(circle), action, {f"m{paula.id}-profession": "Fotograf"})
    assert response.status_code == 409
    message = "The profession Fotograf is already taken in this circle (Max Muster)."
    assert re.search(
        rf'id="m{paula.id}-profession-error"[^>]*>' + re.escape(message), text(response)
    )
    assert active(app, circle.id)["Paula Pharma"] == "Apotheker"

    moved = submit(client, manage_url(circle), action, {f"m{paula.id}-profession": "Drogist"})
    assert moved.status_code == 302
    assert active(app, circle.id)["Paula Pharma"] == "Drogist"


def test_appoint_an_admin_who_can_then_manage(app, client, make, circle, admin_in, auth):
    bea = make.user(name="Bea Beirat", locale="en")
    member = make.member(circle, bea, profession="Fotograf")
    action = f"/circles/{circle.id}/members/{member.id}/role"
    response = submit(client, manage_url(circle), action, {"role": "admin"})
    assert response.status_code == 302
    assert membership_of(app, member.id).role == "admin"
    assert "Bea Beirat is now an admin." in text(client.get(manage_url(circle)))
    auth.logout()
    auth.login(bea)
    assert client.get(manage_url(circle)).status_code == 200
    # Now two admins: the first one may be made a plain member.
    first = admin_membership_id(app, circle)
    demoted = submit(
        client, manage_url(circle), f"/circles/{circle.id}/members/{first}/role", {"role": "member"}
    )
    assert demoted.status_code == 302
    assert membership_of(app, first).role == "member"


def test_an_unknown_role_is_refused(app, client, make, circle, admin_in):
    member = make.member(circle, profession="Fotograf")
    response = client.post(
        f"/circles/{circle.id}/members/{member.id}/role",
        data={"csrf_token": any_csrf_token(client), "role": "owner"},
    )
    assert response.status_code == 422
    assert "Unknown role." in text(response)
    assert membership_of(app, member.id).role == "member"


def test_the_last_admin_cannot_be_removed_demoted_or_leave(app, client, circle, admin_in):
    me = admin_membership_id(app, circle)
    message = "A circle needs at least one admin: appoint another admin first."
    removed = submit(client, manage_url(circle), f"/circles/{circle.id}/members/{me}/remove")
    assert removed.status_code == 409
    assert message in text(removed)
    demoted = submit(
        client, manage_url(circle), f"/circles/{circle.id}/members/{me}/role", {"role": "member"}
    )
    assert demoted.status_code == 409
    assert message in text(demoted)
    left = client.post(f"/circles/{circle.id}/leave", data={"csrf_token": any_csrf_token(client)})
    assert left.status_code == 302
    assert message in text(client.get(left.headers["Location"]))
    row = membership_of(app, me)
    assert (row.status, row.role) == ("active", "admin")


def test_a_member_leaves_the_circle(app, client, make, circle, auth):
    user = make.user(name="Lena Leave", locale="en")
    seat = make.member(circle, user, profession="Fotograf")
    auth.login(user)
    response = client.post(
        f"/circles/{circle.id}/leave", data={"csrf_token": any_csrf_token(client)}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/circles")
    assert membership_of(app, seat.id).status == "left"


# --- who may do what ---------------------------------------------------------------


def _admin_routes(circle_id: int, member_id: int, invitation_id: int) -> list[tuple[str, str]]:
    """Every admin route of the membership pages with the ids to put in it."""
    c = circle_id
    return [
        ("GET", f"/circles/{c}/members/manage"),
        ("POST", f"/circles/{c}/members"),
        ("POST", f"/circles/{c}/invitations"),
        ("POST", f"/circles/{c}/invitations/{invitation_id}/revoke"),
        ("POST", f"/circles/{c}/members/{member_id}/profession"),
        ("POST", f"/circles/{c}/members/{member_id}/role"),
        ("POST", f"/circles/{c}/members/{member_id}/remove"),
        ("POST", f"/circles/{c}/applications/{member_id}/approve"),
        ("POST", f"/circles/{c}/applications/{member_id}/decline"),
    ]


_FIELDS = {
    "add-email": "x@example.org",
    "add-name": "X",
    "add-profession": "Bäcker",
    "invite-email": "y@example.org",
    "invite-name": "Y",
    "invite-profession": "Bäcker",
    "role": "admin",
}


def _invitation_id(app, circle) -> int:
    """An open invitation in ``circle``, made through the service."""
    from circle.membership.invitations import invite

    with app.test_request_context():
        actor = db.session.get(Membership, admin_membership_id(app, circle))
        invitation, _ = invite(circle, actor, "z@example.org", "Z", "Zahnarzt")
        db.session.commit()
        invitation_id = invitation.id
        db.session.remove()
    return invitation_id


def _request(client, method: str, url: str, token: str, member_id: int | None = None):
    """GET, or POST every field any of the forms could need (with a valid CSRF token)."""
    if method == "GET":
        return client.get(url)
    data = {"csrf_token": token, **_FIELDS}
    if member_id is not None:
        data[f"m{member_id}-profession"] = "Bäcker"
    return client.post(url, data=data)


def test_a_plain_member_gets_403_on_every_admin_route_and_nothing_changes(
    app, client, make, circle, auth
):
    user = make.user(name="Mia Member", locale="en")
    mine = make.member(circle, user, profession="Fotograf")
    applicant = make.member(circle, profession="Bäcker", status="applicant")
    invitation_id = _invitation_id(app, circle)
    before = [(m.id, m.status, m.role, m.profession_id) for m in memberships(app, circle.id)]
    auth.login(user)
    token = any_csrf_token(client)
    for target in (mine.id, applicant.id):
        for method, url in _admin_routes(circle.id, target, invitation_id):
            response = _request(client, method, url, token, target)
            assert response.status_code == 403, (method, url, response.status_code)
            # Applications follow the permission table; seats stay with the admins.
            if "/applications/" in url:
                assert "Your role in this circle does not allow this." in text(response)
            else:
                assert "Only the circle's admins may do this." in text(response)
    after = [(m.id, m.status, m.role, m.profession_id) for m in memberships(app, circle.id)]
    assert after == before
    assert client.get(f"/invitations/{invitation_id}").status_code == 404


def test_a_user_of_another_circle_gets_404_on_every_route_with_an_id(
    app, client, make, circle, auth
):
    member = make.member(circle, profession="Fotograf")
    applicant = make.member(circle, profession="Bäcker", status="applicant")
    invitation_id = _invitation_id(app, circle)
    stranger = make.user(name="Sven Stranger", locale="en")
    make.circle(admin=stranger)  # an admin, but of another circle
    before = [(m.id, m.status, m.role, m.profession_id) for m in memberships(app, circle.id)]
    auth.login(stranger)
    token = any_csrf_token(client)
    routes = [
        *_admin_routes(circle.id, member.id, invitation_id),
        *_admin_routes(circle.id, applicant.id, invitation_id),
        ("POST", f"/circles/{circle.id}/leave"),
    ]
    for method, url in routes:
        response = _request(client, method, url, token, member.id)
        assert response.status_code == 404, (method, url, response.status_code)
        assert "Fotograf" not in text(response)
    # The directory routes take a circle id too: no application here, nothing to accept.
    for url in (f"/directory/{circle.id}/withdraw", f"/directory/{circle.id}/accept-offer"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    # Circles that do not exist at all.
    for method, url in [
        *_admin_routes(99999, member.id, invitation_id),
        ("POST", "/circles/99999/leave"),
    ]:
        assert _request(client, method, url, token).status_code == 404, (method, url)
    for action in ("apply", "withdraw", "accept-offer"):
        assert (
            client.post(f"/directory/99999/{action}", data={"csrf_token": token}).status_code == 404
        )
    after = [(m.id, m.status, m.role, m.profession_id) for m in memberships(app, circle.id)]
    assert after == before


def test_ids_of_another_circle_in_my_circles_urls_are_404(app, client, make, admin, circle, auth):
    other = make.circle(name="Kreis Bonn")
    foreign_member = make.member(other, make.user(name="Fritz Fremd"), profession="Fotograf")
    foreign_applicant = make.member(other, profession="Bäcker", status="applicant")
    foreign_invitation = _invitation_id(app, other)
    before = [(m.id, m.status, m.role, m.profession_id) for m in memberships(app, other.id)]
    auth.login(admin)
    token = any_csrf_token(client)
    for target in (foreign_member.id, foreign_applicant.id):
        for method, url in _admin_routes(circle.id, target, foreign_invitation)[3:]:
            response = _request(client, method, url, token, target)
            assert response.status_code == 404, (method, url, response.status_code)
            assert "Fritz Fremd" not in text(response)
    after = [(m.id, m.status, m.role, m.profession_id) for m in memberships(app, other.id)]
    assert after == before
    with app.app_context():
        invitation = db.session.get(Invitation, foreign_invitation)
        assert invitation.revoked_at is None
        db.session.remove()


def test_pages_need_a_login(client, circle):
    response = client.get(manage_url(circle))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
