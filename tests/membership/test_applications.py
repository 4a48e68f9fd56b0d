"""Applications: sponsor and answers on the apply form, the committee's decision, the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from circle.extensions import db
from circle.models import AuditEntry, Membership
from tests.pages import submit, text


@pytest.fixture
def admin(make):
    """An English-speaking admin."""
    return make.user(name="Anna Admin", email="anna@example.org", locale="en")


@pytest.fixture
def circle(make, admin):
    """A circle run by ``admin``."""
    return make.circle(admin=admin, name="Kreis Köln-Süd")


@pytest.fixture
def sponsor(make, circle):
    """An active member who vouches for applicants."""
    return make.member(
        circle, make.user(name="Sam Sponsor", email="sam@example.org", locale="en"), "Fotograf"
    )


@pytest.fixture
def committee(make, circle):
    """A membership committee member (not an admin)."""
    user = make.user(name="Carl Committee", email="carl@example.org", locale="en")
    make.officer(make.member(circle, user, profession="Notar"), "membership_committee")
    return user


def apply(client, circle, **fields):
    """Send the apply form of the circle's public page."""
    data = {"profession": "Bäcker", **fields}
    return submit(client, f"/directory/{circle.id}", f"/directory/{circle.id}/apply", data)


def request_of(app, circle_id: int, name: str) -> Membership:
    """The membership of the user called ``name`` in a circle."""
    with app.app_context():
        row = next(
            m
            for m in db.session.execute(
                select(Membership).where(Membership.circle_id == circle_id)
            ).scalars()
            if m.user.name == name
        )
        db.session.expunge_all()
        db.session.remove()
    return row


def decisions(app, membership_id: int) -> list[dict]:
    """The ``decide`` audit entries of a membership."""
    with app.app_context():
        rows = [
            e.after
            for e in db.session.execute(
                select(AuditEntry).where(
                    AuditEntry.entity == "membership",
                    AuditEntry.entity_id == membership_id,
                    AuditEntry.action == "decide",
                )
            ).scalars()
        ]
        db.session.remove()
    return rows


def test_an_application_carries_sponsor_and_answers_to_the_committee(
    app, client, make, circle, sponsor, committee, auth, outbox
):
    auth.login(make.user(name="Bernd Bäcker", locale="en"))
    response = apply(
        client,
        circle,
        sponsor_email="SAM@example.org",
        why="Ich möchte Empfehlungen geben und bekommen.",
        business_years="12 Jahre",
        ideal_customers="",
    )
    assert response.status_code == 302
    applied = request_of(app, circle.id, "Bernd Bäcker")
    assert applied.status == "applicant" and applied.sponsor_id == sponsor.id
    assert applied.application_answers == {
        "why": "Ich möchte Empfehlungen geben und bekommen.",
        "business_years": "12 Jahre",
    }
    # The committee is told, not only the admins.
    assert {"carl@example.org", "anna@example.org"} <= {m["To"] for m in outbox()}
    auth.logout()

    auth.login(committee)
    assert 'id="applications-link"' in text(client.get(f"/circles/{circle.id}"))
    page = text(client.get(f"/circles/{circle.id}/applications"))
    row = page.split(f'data-member-id="{applied.id}"')[1].split("</tr>")[0]
    assert "Sam Sponsor" in row and "12 Jahre" in row
    assert "How long have you been in business?" in row
    assert "Who are your ideal customers?" not in row


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sponsor_email": "not an address"}, "Please enter a valid e-mail address."),
        ({"why": "x" * 501}, "At most 500 characters."),
    ],
)
def test_bad_application_input_is_refused_and_nothing_is_saved(
    app, client, make, circle, sponsor, auth, fields, message
):
    auth.login(make.user(name="Bernd Bäcker", locale="en"))
    response = apply(client, circle, **fields)
    assert response.status_code == 302
    assert message in text(client.get(f"/directory/{circle.id}"))
    with app.app_context():
        statuses = [
            m.user.name
            for m in db.session.execute(
                select(Membership).where(Membership.circle_id == circle.id)
            ).scalars()
        ]
        db.session.remove()
    assert "Bernd Bäcker" not in statuses


def test_the_committee_declines_with_a_reason_that_is_mailed_and_audited(
    app, client, make, circle, committee, auth, outbox
):
    applicant = make.member(
        circle,
        make.user(name="Bernd Bäcker", email="bernd@example.org", locale="en"),
        "Bäcker",
        status="applicant",
    )
    auth.login(committee)
    page = f"/circles/{circle.id}/applications"
    action = f"/circles/{circle.id}/applications/{applicant.id}/decline"
    empty = submit(client, page, action, {f"d{applicant.id}-reason": "   "})
    assert empty.status_code == 422
    assert "Please give a reason for the decline." in text(empty)
    assert request_of(app, circle.id, "Bernd Bäcker").status == "applicant"

    declined = submit(client, page, action, {f"d{applicant.id}-reason": "Kein Sitz frei."})
    assert declined.status_code == 302
    row = request_of(app, circle.id, "Bernd Bäcker")
    assert (row.status, row.decision_reason) == ("declined", "Kein Sitz frei.")
    assert row.decided_at is not None
    assert row.decided_by_id == request_of(app, circle.id, "Carl Committee").id
    mail = next(m for m in outbox() if m["To"] == "bernd@example.org")
    assert "Kein Sitz frei." in mail.get_body(("plain",)).get_content()
    assert decisions(app, applicant.id) == [
        {"decision": "decline", "status": "declined", "reason": "Kein Sitz frei."}
    ]


def test_approving_into_a_taken_seat_puts_the_applicant_on_the_waitlist(
    app, client, make, circle, committee, auth, outbox
):
    applicant = make.member(
        circle,
        make.user(name="Bernd Bäcker", email="bernd@example.org", locale="en"),
        "Bäcker",
        status="applicant",
    )
    make.member(circle, make.user(name="Bea Bäckerin"), profession="bäcker")
    auth.login(committee)
    response = submit(
        client,
        f"/circles/{circle.id}/applications",
        f"/circles/{circle.id}/applications/{applicant.id}/approve",
    )
    assert response.status_code == 302
    assert "Bernd Bäcker is now on its waitlist" in text(
        client.get(f"/circles/{circle.id}/applications")
    )
    assert request_of(app, circle.id, "Bernd Bäcker").status == "waitlisted"
    assert any(
        "waitlist" in m.get_body(("plain",)).get_content()
        for m in outbox()
        if m["To"] == "bernd@example.org"
    )
    assert decisions(app, applicant.id)[0]["status"] == "waitlisted"


def test_api_lists_and_decides_applications(app, api, make, circle, sponsor, committee):
    applicant = make.member(
        circle, make.user(name="Bernd Bäcker", locale="en"), "Bäcker", status="applicant"
    )
    api.as_user(committee)
    listed = api.get(f"/api/v1/circles/{circle.id}/applications")
    assert listed.status_code == 200
    assert [a["name"] for a in listed.get_json()["items"]] == ["Bernd Bäcker"]
    url = f"/api/v1/circles/{circle.id}/applications/{applicant.id}/decision"
    missing = api.post(url, json={"decision": "decline"})
    assert missing.status_code == 422
    assert missing.get_json()["errors"]["reason"] == ["Please give a reason for the decline."]
    wrong = api.post(url, json={"decision": "maybe"})
    assert wrong.status_code == 422
    approved = api.post(url, json={"decision": "approve"})
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "active"
    again = api.post(url, json={"decision": "decline", "reason": "Zu spät."})
    assert again.status_code == 409 and again.get_json()["code"] == "conflict"


def test_api_refuses_plain_members_and_other_circles(app, api, make, circle):
    applicant = make.member(circle, make.user(), "Bäcker", status="applicant")
    plain = make.user()
    make.member(circle, plain)
    api.as_user(plain)
    assert api.get(f"/api/v1/circles/{circle.id}/applications").status_code == 403
    url = f"/api/v1/circles/{circle.id}/applications/{applicant.id}/decision"
    assert api.post(url, json={"decision": "approve"}).status_code == 403
    other = make.circle(name="Anderer Kreis")
    host = make.user()
    make.officer(make.member(other, host), "president")
    api.as_user(host)
    assert api.post(url, json={"decision": "approve"}).status_code == 404
    cross = f"/api/v1/circles/{other.id}/applications/{applicant.id}/decision"
    assert api.post(cross, json={"decision": "approve"}).status_code == 404
