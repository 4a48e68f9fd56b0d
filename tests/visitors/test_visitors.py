"""Visitors through the real pages: record, return, the visit limit, the invitation to apply."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from circle.core.weeks import today_for
from circle.extensions import db
from circle.models import AuditEntry, Meeting, Membership, User, Visitor, VisitorVisit
from tests.pages import any_csrf_token, page_forms, submit, text


@pytest.fixture
def admin(make):
    """An English-speaking admin."""
    return make.user(name="Anna Admin", email="anna@example.org", locale="en")


@pytest.fixture
def circle(make, admin):
    """A circle run by ``admin``."""
    return make.circle(admin=admin, name="Kreis Köln-Süd")


@pytest.fixture
def host(make, circle):
    """An English-speaking visitor host (a plain member with the role)."""
    user = make.user(name="Hanna Host", email="hanna@example.org", locale="en")
    make.officer(make.member(circle, user, profession="Eventmanagerin"), "visitor_host")
    return user


@pytest.fixture
def inviter(make, circle):
    """The member who invites visitors."""
    return make.member(
        circle, make.user(name="Ines Inviter", email="ines@example.org", locale="en"), "Fotograf"
    )


def visitors_url(circle) -> str:
    """The visitors page."""
    return f"/circles/{circle.id}/visitors"


def meeting_ids(app, circle) -> list[int]:
    """Ids of the circle's scheduled meetings from this week on, oldest first (made if needed)."""
    from circle.meetings.schedule import ensure_meetings
    from circle.models import Circle

    with app.test_request_context():
        ensure_meetings(db.session.get(Circle, circle.id))
        db.session.commit()
        ids = list(
            db.session.execute(
                select(Meeting.id)
                .where(Meeting.circle_id == circle.id, Meeting.status == "scheduled")
                .order_by(Meeting.held_on)
            ).scalars()
        )
        db.session.remove()
    return ids


def record(client, circle, inviter, meeting, **fields):
    """Send the new-visitor form."""
    data = {
        "name": "Vera Visit",
        "company": "Vera GmbH",
        "profession": "Architektin",
        "email": "vera@example.org",
        "phone": "",
        "invited_by_id": inviter.id,
        "meeting_id": meeting,
        **fields,
    }
    return submit(client, visitors_url(circle), visitors_url(circle), data)


def visitor_row(app, circle) -> Visitor:
    """The only visitor of a circle."""
    with app.app_context():
        visitor = db.session.execute(
            select(Visitor).where(Visitor.circle_id == circle.id)
        ).scalar_one()
        db.session.expunge_all()
        db.session.remove()
    return visitor


def count(app, model) -> int:
    """How many rows a table has."""
    with app.app_context():
        n = db.session.execute(select(func.count()).select_from(model)).scalar_one()
        db.session.remove()
    return n


def test_host_records_a_visitor_who_returns_until_the_limit(
    app, client, host, inviter, circle, auth
):
    auth.login(host)
    assert client.get(visitors_url(circle)).status_code == 200
    first, second, third = meeting_ids(app, circle)[:3]
    assert record(client, circle, inviter, first).status_code == 302
    page = text(client.get(visitors_url(circle)))
    assert "Vera Visit was recorded as a visitor." in page
    row = page.split('data-visitor-id="')[1].split("</tr>")[0]
    assert "Ines Inviter" in row and "1 of 2" in row
    visitor = visitor_row(app, circle)
    action = f"/circles/{circle.id}/visitors/{visitor.id}/visits"

    again = submit(client, visitors_url(circle), action, {f"v{visitor.id}-meeting_id": first})
    assert again.status_code == 409
    assert "Vera Visit is already recorded at this meeting." in text(again)

    ok = submit(client, visitors_url(circle), action, {f"v{visitor.id}-meeting_id": second})
    assert ok.status_code == 302
    refused = submit(client, visitors_url(circle), action, {f"v{visitor.id}-meeting_id": third})
    assert refused.status_code == 409
    assert (
        "Vera Visit has already visited 2 times: to come again, they must apply for membership."
        in text(refused)
    )
    assert count(app, VisitorVisit) == 2
    # Members see how many visitors they invited.
    invited = text(client.get(visitors_url(circle))).split('id="inviters"')[1]
    assert re.search(r"Ines Inviter</td><td>1</td>", invited)


def test_bad_input_is_refused_on_the_form_and_nothing_is_written(
    app, client, make, host, inviter, circle, auth
):
    auth.login(host)
    meeting = meeting_ids(app, circle)[0]
    gone = make.member(circle, make.user(name="Gerd Gone"), status="left")
    cases = [
        ({"name": ""}, "Please enter the visitor's name."),
        ({"profession": "  "}, "Please enter a profession."),
        ({"email": "not-an-address"}, "Please enter a valid e-mail address."),
        ({"invited_by_id": gone.id}, "Not a valid choice"),
        ({"meeting_id": "abc"}, "Invalid Choice"),
        ({"meeting_id": 999999}, "Not a valid choice"),
        ({"name": "x" * 201}, "Field cannot be longer than 200 characters."),
    ]
    for fields, message in cases:
        response = record(client, circle, inviter, meeting, **fields)
        assert response.status_code == 422, fields
        assert message in text(response), fields
    assert count(app, Visitor) == 0 and count(app, VisitorVisit) == 0


def invite_to_apply(client, circle, visitor):
    """Send the "Invite to apply" form of the visitors page."""
    return submit(
        client, visitors_url(circle), f"/circles/{circle.id}/visitors/{visitor.id}/applicant"
    )


def apply_link(outbox, address: str = "vera@example.org") -> str:
    """The path of the newest invitation-to-apply link mailed to ``address``."""
    links = [
        re.search(r"https?://[^/\s]+(/invitations/\S+)", m.get_body(("plain",)).get_content())
        for m in outbox()
        if m["To"] == address
    ]
    links = [found.group(1) for found in links if found]
    assert links, f"no invitation link for {address}"
    return links[-1]


def memberships_of(app, address: str) -> list[Membership]:
    """Every membership of the account with ``address``."""
    with app.app_context():
        found = list(
            db.session.execute(select(Membership).join(User).where(User.email == address)).scalars()
        )
        db.session.expunge_all()
        db.session.remove()
    return found


def test_a_visitor_is_invited_applies_with_a_new_account_and_the_committee_approves(
    app, client, make, host, inviter, circle, auth, forms, outbox
):
    auth.login(host)
    record(client, circle, inviter, meeting_ids(app, circle)[0])
    visitor = visitor_row(app, circle)
    assert invite_to_apply(client, circle, visitor).status_code == 302
    page = text(client.get(visitors_url(circle)))
    assert (
        "An invitation to apply was mailed to Vera Visit (vera@example.org). They become an "
        "applicant once they accept it." in page
    )
    row = page.split(f'data-visitor-id="{visitor.id}"')[1].split("</tr>")[0]
    assert "Invited to apply" in row and "Send the invitation again" in row
    with app.app_context():  # no account is made for her: she registers herself
        assert (
            db.session.execute(select(User.id).where(User.email == "vera@example.org")).first()
            is None
        )
        db.session.remove()
    assert memberships_of(app, "vera@example.org") == []
    with app.app_context():
        audit = db.session.execute(
            select(AuditEntry.action).where(
                AuditEntry.entity == "visitor", AuditEntry.entity_id == visitor.id
            )
        ).scalars()
        assert sorted(audit) == ["create", "record", "status"]
        db.session.remove()
    link = apply_link(outbox)
    auth.logout()

    # Vera registers with the invited address, logs in and applies through the link.
    landing = text(client.get(link))
    assert "Hanna Host invites you to apply for the seat for Architektin" in landing
    forms.submit(
        "/register",
        {
            "name": "Vera Visit",
            "email": "vera@example.org",
            "password": "veras new secret",
            "password_repeat": "veras new secret",
            "locale": "en",
        },
    )
    auth.login("vera@example.org", "veras new secret")
    applied = submit(client, link, link)
    assert applied.status_code == 302
    assert "Your application for Architektin was sent" in text(
        client.get(applied.headers["Location"])
    )
    (applicant,) = memberships_of(app, "vera@example.org")
    assert (applicant.status, applicant.sponsor_id) == ("applicant", inviter.id)
    assert applicant.profession.name == "Architektin"
    assert visitor_row(app, circle).applicant_id == applicant.id
    with app.app_context():
        assert db.session.get(User, applicant.user_id).email_verified_at is not None
        db.session.remove()
    assert client.get(link).status_code == 404  # used
    auth.logout()

    # Asking once more is refused: she is an applicant now.
    auth.login(host)
    again = client.post(
        f"/circles/{circle.id}/visitors/{visitor.id}/applicant",
        data={"csrf_token": any_csrf_token(client, visitors_url(circle))},
    )
    assert again.status_code == 409
    assert "Applicant" in text(client.get(visitors_url(circle)))
    auth.logout()

    committee = make.user(name="Carl Committee", locale="en")
    make.officer(make.member(circle, committee, profession="Notar"), "membership_committee")
    auth.login(committee)
    page = text(client.get(f"/circles/{circle.id}/applications"))
    row = page.split(f'data-member-id="{applicant.id}"')[1].split("</tr>")[0]
    assert "Vera Visit" in row and "Ines Inviter" in row
    approved = submit(
        client,
        f"/circles/{circle.id}/applications",
        f"/circles/{circle.id}/applications/{applicant.id}/approve",
    )
    assert approved.status_code == 302
    roster = text(client.get(f"/circles/{circle.id}/members")).split('id="member-cards"')[1]
    assert "Vera Visit" in roster


def test_an_existing_account_is_not_made_an_applicant_without_its_consent(
    app, client, make, host, inviter, circle, auth, outbox
):
    """Issue 12, item 4: the host learns nothing about the account behind the address."""
    owner = make.user(name="Veronika Privat", email="vera@example.org", locale="en")
    auth.login(host)
    record(client, circle, inviter, meeting_ids(app, circle)[0])
    visitor = visitor_row(app, circle)
    assert invite_to_apply(client, circle, visitor).status_code == 302
    page = text(client.get(visitors_url(circle)))
    assert "An invitation to apply was mailed to Vera Visit (vera@example.org)." in page
    assert "Veronika Privat" not in page
    assert memberships_of(app, "vera@example.org") == []
    assert visitor_row(app, circle).applicant_id is None
    # The mail is the same as for an address without account (German, no name of hers).
    (mail,) = [m for m in outbox() if m["To"] == "vera@example.org"]
    assert (
        "Veronika" not in mail.get_body(("plain",)).get_content()
        and "/invitations/" in mail.get_body(("plain",)).get_content()
    )
    link = apply_link(outbox)
    auth.logout()

    # Someone else logged in cannot use her link.
    auth.login(inviter.user)
    assert client.get(link).status_code == 403
    auth.logout()
    assert memberships_of(app, "vera@example.org") == []

    # She says yes herself.
    auth.login(owner)
    assert submit(client, link, link).status_code == 302
    (applicant,) = memberships_of(app, "vera@example.org")
    assert applicant.status == "applicant" and applicant.user_id == owner.id


def test_a_declined_invitation_to_apply_makes_no_application(
    app, client, make, host, inviter, circle, auth, outbox
):
    owner = make.user(name="Vera Visit", email="vera@example.org", locale="en")
    auth.login(host)
    record(client, circle, inviter, meeting_ids(app, circle)[0])
    visitor = visitor_row(app, circle)
    invite_to_apply(client, circle, visitor)
    link = apply_link(outbox)
    auth.logout()
    auth.login(owner)
    token = link.rsplit("/", 1)[1]
    declined = submit(client, link, f"/invitations/{token}/decline")
    assert declined.status_code == 302
    assert memberships_of(app, "vera@example.org") == []
    assert client.get(link).status_code == 404
    auth.logout()
    auth.login(host)
    row = text(client.get(visitors_url(circle))).split(f'data-visitor-id="{visitor.id}"')[1]
    assert "Invite to apply" in row.split("</tr>")[0]


def test_sending_the_invitation_again_voids_the_earlier_link(
    app, client, host, inviter, circle, auth, outbox
):
    auth.login(host)
    record(client, circle, inviter, meeting_ids(app, circle)[0])
    visitor = visitor_row(app, circle)
    invite_to_apply(client, circle, visitor)
    first = apply_link(outbox)
    assert invite_to_apply(client, circle, visitor).status_code == 302
    second = apply_link(outbox)
    assert first != second
    auth.logout()
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_a_visitor_without_email_cannot_become_an_applicant(
    app, client, host, inviter, circle, auth, outbox
):
    auth.login(host)
    record(client, circle, inviter, meeting_ids(app, circle)[0], email="")
    visitor = visitor_row(app, circle)
    response = invite_to_apply(client, circle, visitor)
    assert response.status_code == 422
    assert "Vera Visit needs an e-mail address to become an applicant." in text(response)
    assert visitor_row(app, circle).applicant_id is None
    assert outbox() == []


def test_a_taken_profession_puts_the_accepting_visitor_on_the_waitlist(
    app, client, make, host, inviter, circle, auth, outbox
):
    make.member(circle, make.user(name="Arne Architekt"), profession="Architektin")
    owner = make.user(name="Vera Visit", email="vera@example.org", locale="en")
    auth.login(host)
    record(client, circle, inviter, meeting_ids(app, circle)[0])
    invite_to_apply(client, circle, visitor_row(app, circle))
    link = apply_link(outbox)
    auth.logout()
    auth.login(owner)
    applied = submit(client, link, link)
    assert "You are on the waitlist for Architektin." in text(
        client.get(applied.headers["Location"])
    )
    (waiting,) = memberships_of(app, "vera@example.org")
    assert waiting.status == "waitlisted"


def test_plain_members_get_403_and_other_circles_404(
    app, client, make, host, inviter, circle, auth
):
    auth.login(host)
    record(client, circle, inviter, meeting_ids(app, circle)[0])
    visitor = visitor_row(app, circle)
    auth.logout()
    routes = [
        ("GET", f"/circles/{circle.id}/visitors"),
        ("POST", f"/circles/{circle.id}/visitors"),
        ("POST", f"/circles/{circle.id}/visitors/{visitor.id}/visits"),
        ("POST", f"/circles/{circle.id}/visitors/{visitor.id}/applicant"),
    ]
    plain = make.user(name="Mia Member", locale="en")
    make.member(circle, plain)
    auth.login(plain)
    token = any_csrf_token(client)
    for method, url in routes:
        response = (
            client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        )
        assert response.status_code == 403, url
    auth.logout()
    other = make.circle(name="Anderer Kreis")
    stranger = make.user(name="Sven Stranger", locale="en")
    make.officer(make.member(other, stranger), "visitor_host")
    auth.login(stranger)
    token = any_csrf_token(client)
    for method, url in routes:
        response = (
            client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        )
        assert response.status_code == 404, url
    # A host of another circle cannot reach this visitor through their own circle either.
    response = client.post(
        f"/circles/{other.id}/visitors/{visitor.id}/visits", data={"csrf_token": token}
    )
    assert response.status_code == 404
    assert count(app, VisitorVisit) == 1


def test_the_circle_page_tells_a_member_how_many_visitors_they_invited(
    app, client, host, inviter, circle, auth
):
    auth.login(host)
    record(client, circle, inviter, meeting_ids(app, circle)[0])
    record(client, circle, inviter, meeting_ids(app, circle)[0], name="Otto Other", email="")
    auth.logout()
    auth.login(inviter.user)
    page = text(client.get(f"/circles/{circle.id}"))
    assert "You invited 2 visitors." in page
    assert 'id="visitors-link"' not in page  # no link for a member without the right


def test_meetings_offered_reach_back_and_ahead(app, client, host, circle, auth):
    auth.login(host)
    html = client.get(visitors_url(circle)).get_data(as_text=True)
    form = next(f for f in page_forms(html) if f["action"] == visitors_url(circle))
    assert "meeting_id" in form["fields"]
    with app.app_context():
        from circle.models import Circle

        today = today_for(db.session.get(Circle, circle.id))
        days = list(
            db.session.execute(
                select(Meeting.held_on).where(Meeting.circle_id == circle.id)
            ).scalars()
        )
        db.session.remove()
    assert all(d >= today - timedelta(days=7) for d in days)
