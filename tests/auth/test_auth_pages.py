"""Account pages through the real HTML forms (with CSRF): register, log in and out,
password reset by mail, API tokens, language choice and the session cookie."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import func, select

from circle.auth import sessions
from circle.auth.services import user_for_api_token
from circle.core.security import verify_password
from circle.extensions import db
from circle.models import ApiToken, User
from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new secret"
RESET_LINK = re.compile(r"https?://\S+/password/reset/\S+")


# --- helpers -----------------------------------------------------------------------


def users_with_email(app, address: str) -> list[User]:
    """The accounts stored for an address, ignoring case."""
    with app.app_context():
        return list(
            db.session.execute(select(User).where(func.lower(User.email) == address.lower()))
            .scalars()
            .all()
        )


def reload_user(app, user: User) -> User:
    """The user as stored now."""
    with app.app_context():
        return db.session.get(User, user.id)


def tokens_of(app, user: User) -> list[ApiToken]:
    """All API tokens of a user, revoked or not, oldest first."""
    with app.app_context():
        return list(
            db.session.execute(
                select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
            ).scalars()
        )


def token_owner(app, plain: str) -> int | None:
    """The id of the user the API would accept a plain token for."""
    with app.test_request_context():
        user = user_for_api_token(plain)
        owner = user.id if user else None
        db.session.rollback()
        return owner


def location_path(response) -> str:
    """The path of a redirect, asserting it stays on this site."""
    parts = urlsplit(response.headers["Location"])
    assert parts.scheme in ("", "http")
    assert parts.netloc in ("", "circle.test")
    return parts.path + (f"?{parts.query}" if parts.query else "")


def html(response) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)


def register_data(**overrides) -> dict:
    """Valid registration form data."""
    data = {
        "name": "Petra Pharma",
        "email": "petra@example.org",
        "password": "apotheke 1234",
        "password_repeat": "apotheke 1234",
        "locale": "en",
    }
    data.update(overrides)
    return data


def request_reset_link(forms, outbox, address: str) -> str:
    """Ask for a reset link and return the path of the link from the mail."""
    response = forms.submit("/password/forgot", {"email": address})
    assert response.status_code == 302
    mails = outbox()
    assert mails, "no mail was sent"
    match = RESET_LINK.search(mails[-1].get_body(("plain",)).get_content())
    assert match, mails[-1].get_body(("plain",)).get_content()
    return urlsplit(match.group(0)).path


# --- landing page ------------------------------------------------------------------


def test_landing_page_explains_circle_and_links_to_login_and_register(client):
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = html(response)
    assert "one per profession" in page
    assert 'href="/login"' in page
    assert 'href="/register"' in page


def test_landing_page_sends_logged_in_users_to_their_circles(client, make, auth):
    auth.login(make.user())
    response = client.get("/")
    assert response.status_code == 302
    assert location_path(response) == "/circles"


# --- registration ------------------------------------------------------------------


def test_register_creates_an_unconfirmed_account_and_mails_the_link(app, client, forms, outbox):
    response = forms.submit("/register", register_data(email="Petra@Example.org"))
    assert response.status_code == 302
    assert location_path(response) == "/register/sent"
    [user] = users_with_email(app, "petra@example.org")
    assert user.email == "petra@example.org"
    assert user.name == "Petra Pharma"
    assert user.locale == "en"
    assert user.email_verified_at is None
    assert verify_password(user.password_hash, "apotheke 1234")
    sent = html(client.get("/register/sent"))
    assert "We have sent a mail to petra@example.org." in sent
    assert client.get("/account").status_code == 302  # not logged in by registering
    [mail] = outbox()
    assert mail["To"] == "petra@example.org"
    assert "/account/confirm/" in mail.get_body(("plain",)).get_content()


def test_register_refuses_mismatched_passwords(app, forms):
    response = forms.submit("/register", register_data(password_repeat="something else"))
    assert response.status_code == 422
    assert "The two passwords do not match." in html(response)
    assert users_with_email(app, "petra@example.org") == []


def test_register_refuses_short_password_with_the_rule(app, forms):
    response = forms.submit("/register", register_data(password="short", password_repeat="short"))
    assert response.status_code == 422
    assert "The password needs at least 8 characters." in html(response)
    assert users_with_email(app, "petra@example.org") == []


def test_register_refuses_invalid_email(app, forms):
    response = forms.submit("/register", register_data(email="not-an-address"))
    assert response.status_code == 422
    assert "Please enter a valid e-mail address." in html(response)
    assert users_with_email(app, "not-an-address") == []


def test_register_is_404_when_registration_is_closed(app, client):
    app.config["OPEN_REGISTRATION"] = False
    assert client.get("/register").status_code == 404
    token_page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html(token_page))
    response = client.post("/register", data={"csrf_token": token.group(1), **register_data()})
    assert response.status_code == 404
    assert users_with_email(app, "petra@example.org") == []
    assert "Create an account" not in html(client.get("/", headers={"Accept-Language": "en"}))
    assert "Create an account" not in html(client.get("/login", headers={"Accept-Language": "en"}))


# --- login and logout --------------------------------------------------------------


def test_login_success_redirects_to_circles(client, make, auth):
    user = make.user(name="Max Muster")
    response = auth.login(user)
    assert response.status_code == 302
    assert location_path(response) == "/circles"
    account = client.get("/account")
    assert account.status_code == 200
    assert "Max Muster" in html(account)


def test_login_accepts_email_in_any_case(client, make, auth):
    make.user(email="case@example.org", name="Case Person")
    response = auth.login("CASE@Example.ORG")
    assert response.status_code == 302
    assert "Case Person" in html(client.get("/account"))


@pytest.mark.parametrize("wrong", ["wrong password", None])
def test_login_failure_shows_one_generic_message(client, make, auth, wrong):
    user = make.user()
    if wrong is None:
        response = auth.login("nobody@example.org")  # unknown account
    else:
        response = auth.login(user, password=wrong)
    # Wrong credentials re-render the form with 200 and one message that does not
    # reveal whether the address exists.
    assert response.status_code == 200
    assert "The e-mail address or the password is wrong." in html(response)
    assert client.get("/account").status_code == 302


def test_login_with_empty_fields_is_422(forms):
    response = forms.submit("/login", {"email": "", "password": ""})
    assert response.status_code == 422
    assert "Please enter your e-mail address." in html(response)


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)"],
)
def test_login_refuses_offsite_next(make, auth, forms, client, target):
    user = make.user()
    response = auth.login(user, next_url=quote(target, safe=""))
    assert response.status_code == 302
    assert location_path(response) == "/circles"
    # The same through the hidden form field instead of the query string.
    auth.logout()
    response = forms.submit("/login", {"email": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert location_path(response) == "/circles"


def test_login_follows_local_next(make, auth):
    response = auth.login(make.user(), next_url=quote("/account?tab=tokens", safe=""))
    assert response.status_code == 302
    assert location_path(response) == "/account?tab=tokens"


def test_login_required_pages_send_to_login_with_next(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert location_path(response) == "/login?next=%2Faccount"


def test_logout_ends_the_session(client, make, auth):
    auth.login(make.user())
    response = auth.logout()
    assert response.status_code == 302
    assert location_path(response) == "/"
    assert client.get("/account").status_code == 302


def test_logout_needs_post(client, make, auth):
    auth.login(make.user())
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_login_is_throttled_per_address(client, make, auth):
    user = make.user()
    for _ in range(5):
        assert auth.login(user, password="wrong password").status_code == 200
    # The sixth attempt within a minute is refused, even with the right password.
    response = auth.login(user)
    assert response.status_code == 429
    page = html(response)
    assert "Too many attempts" in page
    assert client.get("/account").status_code == 302


def test_failures_from_other_addresses_do_not_lock_the_owner_out(make, forms):
    user = make.user()
    for n in range(10):
        response = forms.submit(
            "/login",
            {"email": user.email, "password": "wrong password"},
            environ_overrides={"REMOTE_ADDR": f"10.0.0.{n + 1}"},
        )
        assert response.status_code == 200
    response = forms.submit(
        "/login",
        {"email": user.email, "password": PASSWORD},
        environ_overrides={"REMOTE_ADDR": "10.0.1.1"},
    )
    assert response.status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(make, auth):
    response = auth.login(make.user())
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie


def test_remember_me_sets_an_httponly_remember_cookie(make, forms):
    user = make.user()
    response = forms.submit("/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookie = sessions.REMEMBER_COOKIE + "="
    remember = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(cookie)]
    assert remember
    assert "HttpOnly" in remember[0]
    assert "SameSite=Lax" in remember[0]


def test_login_gives_a_fresh_session(client, make, auth):
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    auth.login(make.user())
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert "_user_id" in sess


# --- CSRF --------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, client, make, auth):
    response = client.post("/register", data=register_data())
    assert response.status_code == 400
    assert "The form has expired" in html(response)
    assert users_with_email(app, "petra@example.org") == []

    user = make.user()
    auth.login(user)
    response = client.post("/account/tokens", data={"name": "sneaky"})
    assert response.status_code == 400
    assert tokens_of(app, user) == []
    response = client.post("/language", data={"locale": "en", "next": "/"})
    assert response.status_code == 400
    assert reload_user(app, user).locale == "de"


# --- forgotten password ------------------------------------------------------------


def test_password_reset_by_mail(app, client, make, forms, auth, outbox):
    user = make.user(locale="en", name="Fritz Foto")
    path = request_reset_link(forms, outbox, user.email.upper())
    [mail] = outbox()
    assert mail["To"] == user.email
    assert mail["Subject"] == "Choose a new password for Circle"
    assert "Hello Fritz Foto" in mail.get_body(("plain",)).get_content()

    page = client.get(path)
    assert page.status_code == 200
    response = forms.submit(path, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert response.status_code == 302
    assert location_path(response) == "/circles"
    assert client.get("/account").status_code == 200  # logged in by the reset
    assert verify_password(reload_user(app, user).password_hash, NEW_PASSWORD)

    auth.logout()
    assert auth.login(user).status_code == 200  # the old password no longer works
    assert auth.login(user, password=NEW_PASSWORD).status_code == 302


def test_password_reset_link_works_only_once(app, client, make, forms, outbox):
    user = make.user(locale="en")
    path = request_reset_link(forms, outbox, user.email)
    forms.submit(path, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    again = client.get(path)
    assert again.status_code == 404
    assert "This link is invalid or has expired." in html(again)


def test_password_reset_used_link_refuses_a_second_post(app, client, make, forms, outbox):
    user = make.user(locale="en")
    path = request_reset_link(forms, outbox, user.email)
    first = forms.submit(path, {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert first.status_code == 302
    # Logged in now, with a fresh session: post the link's form again with a valid token.
    second = forms.submit(
        "/account",
        {"password": "another one 123", "password_repeat": "another one 123"},
        action=path,
    )
    assert second.status_code == 404
    assert verify_password(reload_user(app, user).password_hash, NEW_PASSWORD)


def test_expired_password_reset_link_fails(app, client, make, forms, outbox):
    user = make.user(locale="en")
    path = request_reset_link(forms, outbox, user.email)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = client.get(path)
    assert response.status_code == 404
    assert "This link is invalid or has expired." in html(response)
    assert verify_password(reload_user(app, user).password_hash, PASSWORD)


def test_tampered_password_reset_link_fails(client, make, forms, outbox):
    user = make.user(locale="en")
    path = request_reset_link(forms, outbox, user.email)
    assert client.get(path[:-3] + "abc").status_code == 404
    assert client.get("/password/reset/nonsense").status_code == 404


def test_password_reset_refuses_mismatch_and_keeps_the_link(app, client, make, forms, outbox):
    user = make.user(locale="en")
    path = request_reset_link(forms, outbox, user.email)
    response = forms.submit(path, {"password": NEW_PASSWORD, "password_repeat": "different 123"})
    assert response.status_code == 422
    assert "The two passwords do not match." in html(response)
    response = forms.submit(path, {"password": "short", "password_repeat": "short"})
    assert response.status_code == 422
    assert "The password needs at least 8 characters." in html(response)
    assert verify_password(reload_user(app, user).password_hash, PASSWORD)
    assert client.get(path).status_code == 200


def test_forgot_password_answers_the_same_for_unknown_addresses(client, make, forms, outbox):
    known = make.user(locale="en")
    answers = []
    for address in (known.email, "nobody@example.org"):
        response = forms.submit(
            "/password/forgot", {"email": address}, headers={"Accept-Language": "en"}
        )
        assert response.status_code == 302
        assert location_path(response) == "/login"
        page = html(client.get("/login", headers={"Accept-Language": "en"}))
        answers.append(page.replace(address, "ADDRESS"))
        assert "If an account exists for" in page
    assert [m["To"] for m in outbox()] == [known.email]
    flash = re.compile(r'<div class="alert[^"]*" role="status">(.*?)</div>', re.S)
    assert flash.findall(answers[0]) == flash.findall(answers[1])


def test_password_reset_link_uses_base_url(app, make, forms, outbox):
    app.config["BASE_URL"] = "https://circle.example.com/"
    user = make.user(locale="en")
    forms.submit("/password/forgot", {"email": user.email})
    assert (
        "https://circle.example.com/password/reset/"
        in outbox()[0].get_body(("plain",)).get_content()
    )


def test_forgot_password_is_throttled_per_email(make, forms, outbox):
    user = make.user(locale="en")
    for _ in range(3):
        assert forms.submit("/password/forgot", {"email": user.email}).status_code == 302
    assert forms.submit("/password/forgot", {"email": user.email}).status_code == 429
    assert len(outbox()) == 3


# --- account, profile and API tokens -----------------------------------------------


def test_profile_update(app, client, make, auth, forms):
    user = make.user(name="Old Name", locale="de")
    auth.login(user)
    response = forms.submit("/account", {"name": "  New   Name ", "locale": "en"})
    assert response.status_code == 302
    assert location_path(response) == "/account"
    stored = reload_user(app, user)
    assert (stored.name, stored.locale) == ("New Name", "en")
    assert '<html lang="en">' in html(client.get("/account"))


def test_profile_refuses_empty_name(app, make, auth, forms):
    user = make.user(name="Kept Name")
    auth.login(user)
    response = forms.submit("/account", {"name": "   ", "locale": "en"})
    assert response.status_code == 422
    assert reload_user(app, user).name == "Kept Name"


def test_create_token_shows_it_once_and_lists_it(app, client, make, auth, forms):
    user = make.user(locale="en")
    auth.login(user)
    response = forms.submit("/account", {"name": "Weekly export"}, action="/account/tokens")
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    page = html(response)
    plain = re.search(r'<code class="token" id="new-token">([^<]+)</code>', page).group(1)
    assert plain.startswith("cir_")
    assert "it will not be shown again" in page
    assert token_owner(app, plain) == user.id

    [token] = tokens_of(app, user)
    assert token.name == "Weekly export"
    listing = html(client.get("/account"))
    assert "Weekly export" in listing
    assert token.prefix in listing
    assert plain not in listing
    assert "never" in listing  # not used yet


def test_revoke_token(app, client, make, auth, forms):
    user = make.user(locale="en")
    auth.login(user)
    created = forms.submit("/account", {"name": "Old script"}, action="/account/tokens")
    plain = re.search(r'id="new-token">([^<]+)<', html(created)).group(1)
    [token] = tokens_of(app, user)
    response = forms.submit("/account", {}, action=f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert location_path(response) == "/account"
    assert token_owner(app, plain) is None
    assert "Old script" not in html(client.get("/account"))


def test_revoking_another_users_token_is_404(app, make, auth, forms):
    owner = make.user()
    auth.login(owner)
    created = forms.submit("/account", {"name": "Owner's"}, action="/account/tokens")
    plain = re.search(r'id="new-token">([^<]+)<', html(created)).group(1)
    [token] = tokens_of(app, owner)
    auth.logout()

    auth.login(make.user())
    response = forms.submit("/account", {}, action=f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 404
    assert token_owner(app, plain) == owner.id
    missing = forms.submit("/account", {}, action="/account/tokens/999999/revoke")
    assert missing.status_code == 404


def test_token_pages_need_login(app, client, make):
    user = make.user()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html(page)).group(1)
    response = client.post("/account/tokens", data={"csrf_token": csrf, "name": "x"})
    assert response.status_code == 302
    assert location_path(response).startswith("/login")
    assert tokens_of(app, user) == []


# --- language ----------------------------------------------------------------------


def test_browser_language_decides_by_default(client):
    assert '<html lang="de">' in html(client.get("/", headers={"Accept-Language": "de-DE,de"}))
    assert '<html lang="en">' in html(client.get("/", headers={"Accept-Language": "en-GB"}))
    assert '<html lang="en">' in html(client.get("/", headers={"Accept-Language": "fr"}))


def test_language_switch_for_visitors(client, forms):
    response = forms.submit(
        "/login",
        {"locale": "de", "next": "/login"},
        action="/language",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 302
    assert location_path(response) == "/login"
    assert '<html lang="de">' in html(client.get("/login", headers={"Accept-Language": "en"}))


def test_language_switch_stores_the_accounts_language(app, client, make, auth, forms):
    user = make.user(locale="en")
    auth.login(user)
    response = forms.submit("/account", {"locale": "de", "next": "/account"}, action="/language")
    assert location_path(response) == "/account"
    assert reload_user(app, user).locale == "de"
    assert '<html lang="de">' in html(client.get("/account"))


def test_language_switch_refuses_offsite_next_and_unknown_languages(client, forms):
    response = forms.submit(
        "/login", {"locale": "en", "next": "//evil.example"}, action="/language"
    )
    assert response.status_code == 302
    assert location_path(response) == "/"
    response = forms.submit("/login", {"locale": "xx", "next": "/"}, action="/language")
    assert response.status_code == 400


def test_account_language_is_used_after_login(client, make, auth):
    auth.login(make.user(locale="de"))
    assert '<html lang="de">' in html(client.get("/account", headers={"Accept-Language": "en"}))
