"""No answer tells whether an address has an account or a membership (issue 12, item 11):
registration (page and API) and the sponsor of an application; applications are throttled."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from circle.core.security import verify_password
from circle.extensions import db
from circle.models import Membership, User
from tests.factories import PASSWORD
from tests.pages import any_csrf_token, submit, text

#: What differs between two pages by design: the CSRF token and ids in links.
NOISE = re.compile(r'(csrf_token" type="hidden" value=|value=)"[^"]*"|/(directory|circles)/\d+')


def same_page(page: str) -> str:
    """A page with its CSRF token and object ids blanked out."""
    return NOISE.sub("_", page)


def register_form(email: str) -> dict:
    """A complete registration form."""
    return {
        "name": "Rita Register",
        "email": email,
        "password": "a long new password",
        "password_repeat": "a long new password",
        "locale": "en",
    }


def accounts_with(app, address: str) -> list[User]:
    """The accounts stored for an address."""
    with app.app_context():
        users = list(
            db.session.execute(select(User).where(func.lower(User.email) == address)).scalars()
        )
        db.session.expunge_all()
        db.session.remove()
    return users


def test_registering_a_known_address_answers_like_a_new_one_and_mails_the_owner(
    app, client, make, forms, outbox
):
    owner = make.user(name="Olga Owner", email="olga@example.org", locale="en")
    new = forms.submit("/register", register_form("new@example.org"))
    new_page = text(client.get(new.headers["Location"]))
    known = forms.submit("/register", register_form("OLGA@example.org"))
    known_page = text(client.get(known.headers["Location"]))

    assert (known.status_code, known.headers["Location"]) == (
        new.status_code,
        new.headers["Location"],
    )
    assert same_page(known_page.replace("olga@example.org", "X")) == same_page(
        new_page.replace("new@example.org", "X")
    )
    [kept] = accounts_with(app, "olga@example.org")
    assert kept.id == owner.id and verify_password(kept.password_hash, PASSWORD)
    mails = {m["To"]: m for m in outbox()}
    assert set(mails) == {"new@example.org", "olga@example.org"}
    assert mails["olga@example.org"]["Subject"] == "Someone tried to register with your address"
    assert "/password/forgot" in mails["olga@example.org"].get_body(("plain",)).get_content()
    assert "/account/confirm/" not in mails["olga@example.org"].get_body(("plain",)).get_content()


def test_the_api_registration_answers_the_same_for_a_known_address(app, client, make, outbox):
    make.user(email="olga@example.org")
    payload = {"password": "a long new password", "name": "Rita"}
    new = client.post("/api/v1/users", json={"email": "new@example.org", **payload})
    known = client.post("/api/v1/users", json={"email": "Olga@example.org", **payload})
    assert new.status_code == known.status_code == 202
    assert known.get_json() == {
        key: value.replace("new@example.org", "olga@example.org")
        for key, value in new.get_json().items()
    }
    assert len(accounts_with(app, "olga@example.org")) == 1
    assert sorted(m["To"] for m in outbox()) == ["new@example.org", "olga@example.org"]


def _apply_with_sponsor(client, circle, sponsor_email: str):
    """Apply through the public page naming a sponsor; returns the answer and the page after."""
    response = submit(
        client,
        f"/directory/{circle.id}",
        f"/directory/{circle.id}/apply",
        {"profession": "Bäcker", "sponsor_email": sponsor_email},
    )
    return response, text(client.get(f"/directory/{circle.id}"))


def test_the_sponsor_answer_is_the_same_for_a_member_and_a_stranger(app, client, make, auth):
    first, second = make.circle(name="Kreis Eins"), make.circle(name="Kreis Zwei")
    make.member(first, make.user(email="sam@example.org"), profession="Fotograf")
    make.member(second, make.user(email="sam2@example.org"), profession="Fotograf")
    make.user(email="stranger@example.org")  # an account, but no member of ``second``
    auth.login(make.user(name="Bernd Bäcker", locale="en"))
    member, member_page = _apply_with_sponsor(client, first, "sam@example.org")
    stranger, stranger_page = _apply_with_sponsor(client, second, "stranger@example.org")
    assert member.status_code == stranger.status_code == 302
    assert member.headers["Location"].replace(str(first.id), "N") == stranger.headers[
        "Location"
    ].replace(str(second.id), "N")
    member_page = same_page(member_page.replace("Kreis Eins", "K"))
    stranger_page = same_page(stranger_page.replace("Kreis Zwei", "K"))
    assert "was sent to the people who decide on it" in stranger_page
    assert member_page == stranger_page
    with app.app_context():
        sponsors = [
            m.sponsor_id
            for m in db.session.execute(
                select(Membership).where(Membership.status == "applicant")
            ).scalars()
        ]
        db.session.remove()
    assert len(sponsors) == 2 and sponsors.count(None) == 1  # a stranger is no sponsor


def test_applications_are_rate_limited(app, client, make, auth):
    circle = make.circle()
    auth.login(make.user(locale="en"))
    limit = int(app.config["RATELIMIT_APPLICATIONS"].split()[0])
    token = any_csrf_token(client)
    url = f"/directory/{circle.id}/apply"
    for n in range(limit):  # applied once, then refused as a second application: all count
        response = client.post(url, data={"csrf_token": token, "profession": f"Beruf {n}"})
        assert response.status_code == 302
    response = client.post(url, data={"csrf_token": token, "profession": "Noch einer"})
    assert response.status_code == 429


def test_changing_to_a_taken_address_answers_like_a_free_one(app, client, make, auth, outbox):
    user = make.user(email="me@example.org", locale="en")
    make.user(email="taken@example.org", locale="en")
    auth.login(user)
    answers = []
    for address in ("free@example.org", "taken@example.org"):
        response = submit(
            client, "/account", "/account/email", {"email": address, "current_password": PASSWORD}
        )
        page = text(client.get(response.headers["Location"]))
        answers.append((response.status_code, same_page(page.replace(address, "X"))))
    assert answers[0] == answers[1]
    assert [a.email for a in accounts_with(app, "taken@example.org")] == ["taken@example.org"]
    to_owner = [m for m in outbox() if m["To"] == "taken@example.org"]
    assert [m["Subject"] for m in to_owner] == ["Someone wanted to use your address for Circle"]
    assert "/account/confirm/" not in to_owner[0].get_body(("plain",)).get_content()
    assert accounts_with(app, "me@example.org")[0].pending_email == "taken@example.org"
