"""Confirmed e-mail addresses (issue 12, item 4): the mailed link, what an unconfirmed
account may not do, the resend button, and address changes that wait for confirmation."""

from __future__ import annotations

import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select
from sqlalchemy import text as sql

from circle.auth.services import change_email as request_email_change
from circle.core.errors import EmailNotConfirmed
from circle.extensions import db
from circle.membership import applications
from circle.models import Circle, Membership, User
from circle.privacy.erase import erase_account
from circle.privacy.export import export_data
from tests.apps import make_test_app
from tests.factories import PASSWORD
from tests.mail.support import link_in
from tests.pages import submit, text

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/account/confirm/[^\s]+)")


def confirm_links(outbox, address: str) -> list[str]:
    """The confirmation links mailed to ``address``, oldest first (local paths)."""
    links = []
    for mail in outbox():
        if mail["To"] == address:
            links += CONFIRM_LINK.findall(mail.get_body(("plain",)).get_content())
    return links


def stored_user(app, user_id: int) -> User:
    """The account as stored now."""
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge_all()
        db.session.remove()
    return user


def circle_count(app) -> int:
    """How many circles exist."""
    with app.app_context():
        n = db.session.execute(select(func.count(Circle.id))).scalar_one()
        db.session.remove()
    return n


def register(forms, email: str = "rita@example.org"):
    """Send the registration form."""
    return forms.submit(
        "/register",
        {
            "name": "Rita Register",
            "email": email,
            "password": "a long new password",
            "password_repeat": "a long new password",
            "locale": "en",
        },
    )


def user_by_email(app, address: str) -> User:
    """The account of an address."""
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == address)).scalar_one()
        db.session.expunge_all()
        db.session.remove()
    return user


CIRCLE_FORM = {
    "name": "Kreis Bonn",
    "city": "Bonn",
    "currency": "EUR",
    "timezone": "Europe/Berlin",
    "meeting_weekday": "3",
    "meeting_time": "07:30",
    "seat_limit": "25",
}


# --- the link ----------------------------------------------------------------------


def test_the_confirmation_link_works_once_and_only_for_its_account(
    app, client, make, forms, auth, outbox
):
    register(forms)
    user = user_by_email(app, "rita@example.org")
    assert user.email_verified_at is None
    [link] = confirm_links(outbox, "rita@example.org")
    # Logged out, the link asks for the login first (mailbox and password both needed).
    logged_out = client.get(link)
    assert logged_out.status_code == 302 and "/login" in logged_out.headers["Location"]
    # Someone else's account cannot use it.
    auth.login(make.user())
    assert client.get(link).status_code == 404
    auth.logout()
    auth.login("rita@example.org", password="a long new password")
    page = client.get(link)
    assert page.status_code == 200
    assert "Is rita@example.org your address?" in text(page)
    assert stored_user(app, user.id).email_verified_at is None  # showing changes nothing
    confirmed = submit(client, link, link)
    assert confirmed.status_code == 302
    assert stored_user(app, user.id).email_verified_at is not None
    again = client.get(link)
    assert again.status_code == 404
    assert "This link is invalid or has expired." in text(again)


def test_an_expired_or_forged_confirmation_link_is_404_and_confirms_nothing(
    app, client, forms, auth, outbox
):
    register(forms)
    user = user_by_email(app, "rita@example.org")
    [link] = confirm_links(outbox, "rita@example.org")
    auth.login("rita@example.org", password="a long new password")
    app.config["EMAIL_CONFIRM_MAX_AGE"] = -1  # every link is now too old
    expired = client.get(link)
    assert expired.status_code == 404
    assert "This link is invalid or has expired." in text(expired)
    app.config["EMAIL_CONFIRM_MAX_AGE"] = 3600
    assert client.get(link[:-3] + "abc").status_code == 404
    assert stored_user(app, user.id).email_verified_at is None


# --- what an unconfirmed account may do --------------------------------------------


def test_an_unconfirmed_account_logs_in_sees_the_banner_and_cannot_create_a_circle(
    app, client, make, auth, forms, outbox
):
    user = make.user(locale="en", confirmed=False)
    auth.login(user)
    page = text(client.get("/circles"))
    assert f"Please confirm your e-mail address {user.email}" in page
    before = circle_count(app)
    refused = forms.submit("/circles/new", CIRCLE_FORM)
    assert refused.status_code == 403
    assert "Please confirm your e-mail address first" in text(refused)
    assert circle_count(app) == before

    # The banner's button mails a new link; following it lifts the rule.
    resent = submit(client, "/circles", "/account/confirm/resend")
    assert resent.status_code == 302
    [link] = confirm_links(outbox, user.email)
    assert submit(client, link, link).status_code == 302
    assert "Please confirm your e-mail address" not in text(client.get("/circles"))
    created = forms.submit("/circles/new", CIRCLE_FORM)
    assert created.status_code == 302
    assert circle_count(app) == before + 1


def test_an_unconfirmed_account_cannot_apply(app, client, make, auth):
    circle = make.circle()
    user = make.user(locale="en", confirmed=False)
    auth.login(user)
    response = submit(
        client,
        f"/directory/{circle.id}",
        f"/directory/{circle.id}/apply",
        {"profession": "Bäcker"},
    )
    assert response.status_code == 302
    assert "Please confirm your e-mail address first" in text(client.get(f"/directory/{circle.id}"))
    with app.app_context():
        mine = db.session.execute(select(Membership).where(Membership.user_id == user.id)).scalars()
        assert list(mine) == []
        db.session.remove()


def test_resending_the_link_is_rate_limited(app, client, make, auth, outbox):
    auth.login(make.user(locale="en", confirmed=False))
    for _ in range(3):
        assert submit(client, "/circles", "/account/confirm/resend").status_code == 302
    assert submit(client, "/circles", "/account/confirm/resend").status_code == 429
    assert len(outbox()) == 3


def test_a_password_reset_link_confirms_the_address(app, client, make, forms, outbox):
    user = make.user(locale="en", confirmed=False)
    forms.submit("/password/forgot", {"email": user.email})
    reset = link_in(outbox()[-1], "/password/reset/")
    response = forms.submit(
        reset, {"password": "another long secret", "password_repeat": "another long secret"}
    )
    assert response.status_code == 302
    assert stored_user(app, user.id).email_verified_at is not None


# --- changing the address ----------------------------------------------------------


def test_a_new_address_waits_for_its_confirmation(app, client, make, auth, outbox):
    user = make.user(email="old@example.org", locale="en")
    auth.login(user)
    response = submit(
        client,
        "/account",
        "/account/email",
        {"email": "New@Example.org", "current_password": PASSWORD},
    )
    assert response.status_code == 302
    pending = stored_user(app, user.id)
    assert (pending.email, pending.pending_email) == ("old@example.org", "new@example.org")
    assert "Please confirm your new address new@example.org" in text(client.get("/account"))
    notice = [m for m in outbox() if m["To"] == "old@example.org"]
    assert len(notice) == 1 and "new@example.org" in notice[0].get_body(("plain",)).get_content()
    assert confirm_links(outbox, "old@example.org") == []

    # Until the link is followed, the old address logs in and the new one does not.
    auth.logout()
    assert auth.login("new@example.org").status_code == 200
    assert auth.login("old@example.org").status_code == 302

    [link] = confirm_links(outbox, "new@example.org")
    assert submit(client, link, link).status_code == 302
    changed = stored_user(app, user.id)
    assert (changed.email, changed.pending_email) == ("new@example.org", None)
    assert client.get(link).status_code == 404  # works once
    auth.logout()
    assert auth.login("new@example.org").status_code == 302


def test_a_new_address_taken_meanwhile_is_refused_on_confirmation(app, client, make, auth, outbox):
    user = make.user(email="old@example.org", locale="en")
    auth.login(user)
    submit(
        client,
        "/account",
        "/account/email",
        {"email": "new@example.org", "current_password": PASSWORD},
    )
    [link] = confirm_links(outbox, "new@example.org")
    make.user(email="new@example.org")
    response = submit(client, link, link)
    assert response.status_code == 409
    assert stored_user(app, user.id).email == "old@example.org"


def test_erasing_an_account_forgets_its_unconfirmed_new_address(app, make):
    user = make.user(email="old@example.org")
    with app.test_request_context():
        row = db.session.get(User, user.id)
        request_email_change(row, PASSWORD, "new@example.org")
        assert row.pending_email == "new@example.org"
        assert export_data(row)["profile"]["pending_email"] == "new@example.org"
        erase_account(row, PASSWORD, "old@example.org")
        db.session.flush()
        assert row.pending_email is None
        db.session.rollback()
        db.session.remove()


def test_revision_0009_counts_existing_accounts_as_confirmed(tmp_path):
    """Accounts that predate the rule must not be locked out of their circles."""
    app = make_test_app(f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path)
    with app.app_context():
        upgrade(revision="0008")
        with db.engine.begin() as conn:
            conn.execute(
                sql(
                    "INSERT INTO users (id, email, name, password_hash, locale, created_at) "
                    "VALUES (1, 'a@x.org', 'A', '!', 'de', '2026-01-01 00:00:00')"
                )
            )
        upgrade(revision="0009")
        with db.engine.connect() as conn:
            row = conn.execute(sql("SELECT email_verified_at, pending_email FROM users")).one()
        assert row[0] is not None and row[1] is None
        downgrade(revision="0008")
        with db.engine.connect() as conn:
            assert conn.execute(sql("SELECT count(*) FROM users")).scalar_one() == 1
        db.engine.dispose()


def test_an_unconfirmed_applicant_is_not_seated_until_confirmed(app, make):
    circle = make.circle()
    applicant = make.member(circle, make.user(confirmed=False), "Bäcker", status="applicant")
    with app.test_request_context():
        actor = db.session.execute(
            select(Membership).where(Membership.circle_id == circle.id, Membership.role == "admin")
        ).scalar_one()
        with pytest.raises(EmailNotConfirmed):
            applications.approve(circle, actor, applicant.id)
        assert db.session.get(Membership, applicant.id).status == "applicant"
        db.session.rollback()
        db.session.remove()
