"""Sessions (ASVS 5.0 V7): a new session at login, ending other sessions, idle and absolute
timeouts on a controlled clock, re-authentication before login details change, and the
authentication log (``circle.auth``).

Issue 12, items 7 and 8: a session lives in ``user_sessions`` (the cookie carries only a
random id, stored hashed), so logout, "log out everywhere", a new password and an account
deletion end it at once; "stay logged in" tokens are stored hashed, replaced on every use,
end as a chain when a replaced one comes back, and expire. A new password also revokes the
API tokens."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from circle.auth import services, sessions
from circle.core.security import token_hash, verify_password
from circle.extensions import db
from circle.models import ApiToken, RememberToken, User, UserSession
from tests.clients import AuthActions
from tests.factories import PASSWORD
from tests.pages import Forms

NEW_PASSWORD = "Apotheke am Dom 1996"


def html(response) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)


def reload_user(app, user: User) -> User:
    """The user as stored now."""
    with app.app_context():
        return db.session.get(User, user.id)


def logged_in(client) -> bool:
    """True when ``client``'s cookies still open the account page."""
    return client.get("/account").status_code == 200


def post_on_account(client, action: str, data: dict):
    """POST a form of the account page (with its CSRF token) to ``action``."""
    return Forms(client).submit("/account", data, action=action)


class Clock:
    """The sessions' clock, moved by hand."""

    def __init__(self, now: int = 1_750_000_000):
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, **delta) -> None:
        """Move the clock forward by a ``timedelta(**delta)``."""
        self.now += int(timedelta(**delta).total_seconds())


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Replace ``circle.auth.sessions.clock`` with a clock the test moves."""
    fake = Clock()
    monkeypatch.setattr(sessions, "clock", fake)
    return fake


@pytest.fixture
def second_client(app):
    """Another browser: a client with its own cookies."""
    return app.test_client()


# --- a new session at login ------------------------------------------------------------


def test_login_replaces_the_session_an_attacker_planted(app, client, make, auth):
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    planted_cookie = client.get_cookie("session", domain="circle.test").value
    auth.login(make.user())
    assert client.get_cookie("session", domain="circle.test").value != planted_cookie
    with client.session_transaction() as sess:
        assert "planted" not in sess
    # The cookie from before the login is still anonymous.
    victim = app.test_client()
    victim.set_cookie("session", planted_cookie, domain="circle.test")
    assert not logged_in(victim)


# --- the session version ----------------------------------------------------------------


def test_log_out_other_sessions_ends_them_and_keeps_this_one(app, client, second_client, make):
    user = make.user(locale="en")
    AuthActions(client).login(user)
    Forms(second_client).submit(
        "/login", {"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert logged_in(second_client)
    remember_cookie = second_client.get_cookie(sessions.REMEMBER_COOKIE, domain="circle.test").value
    response = post_on_account(client, "/account/sessions/end-others", {})
    assert response.status_code == 302
    assert "Your other sessions are logged out." in html(client.get("/account"))
    assert logged_in(client)
    # The other browser is sent to the login page ...
    response = second_client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    # ... and its "stay logged in" cookie no longer logs anybody in.
    third = app.test_client()
    third.set_cookie(sessions.REMEMBER_COOKIE, remember_cookie, domain="circle.test")
    assert not logged_in(third)


def test_logout_forgets_the_remember_cookie(client, make):
    user = make.user()
    Forms(client).submit("/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    assert client.get_cookie(sessions.REMEMBER_COOKIE, domain="circle.test") is not None
    AuthActions(client).logout()
    assert client.get_cookie(sessions.REMEMBER_COOKIE, domain="circle.test") is None
    assert not logged_in(client)


def test_password_change_needs_the_current_password(app, client, make, auth):
    user = make.user(locale="en")
    auth.login(user)
    response = post_on_account(
        client,
        "/account/password",
        {
            "current_password": "not my password",
            "password": NEW_PASSWORD,
            "password_repeat": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert "Your current password is not correct." in html(response)
    stored = reload_user(app, user)
    assert verify_password(stored.password_hash, PASSWORD)
    assert stored.password_changed_at is None


def test_password_change_ends_other_sessions_and_keeps_this_one(
    app, client, second_client, make, auth
):
    user = make.user(locale="en")
    auth.login(user)
    AuthActions(second_client).login(user)
    response = post_on_account(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert response.status_code == 302
    stored = reload_user(app, user)
    assert verify_password(stored.password_hash, NEW_PASSWORD)
    assert stored.password_changed_at is not None
    assert stored.session_version == user.session_version + 1
    assert logged_in(client)
    assert not logged_in(second_client)


def test_email_change_needs_the_current_password_and_a_free_address(app, client, make, auth):
    user = make.user(locale="en")
    other = make.user()
    auth.login(user)
    wrong = post_on_account(
        client, "/account/email", {"email": "neu@example.org", "current_password": "nope nope"}
    )
    assert wrong.status_code == 422
    assert "Your current password is not correct." in html(wrong)
    taken = post_on_account(
        client, "/account/email", {"email": other.email.upper(), "current_password": PASSWORD}
    )
    assert taken.status_code == 302  # answered like a free address (issue 12, item 11)
    assert reload_user(app, user).email == user.email
    done = post_on_account(
        client, "/account/email", {"email": "Neu@Example.org", "current_password": PASSWORD}
    )
    assert done.status_code == 302
    # The new address waits for its confirmation link (issue 12, item 4).
    stored = reload_user(app, user)
    assert (stored.email, stored.pending_email) == (user.email, "neu@example.org")


def test_account_forms_need_csrf(app, client, make, auth):
    user = make.user()
    auth.login(user)
    response = client.post("/account/sessions/end-others")
    assert response.status_code == 400
    assert reload_user(app, user).session_version == user.session_version


# --- timeouts --------------------------------------------------------------------------


def test_idle_session_ends_after_thirty_minutes_without_a_request(client, make, auth, clock):
    auth.login(make.user(locale="en"))
    clock.advance(minutes=29)
    assert logged_in(client)
    clock.advance(minutes=29)  # each request restarts the idle clock
    assert logged_in(client)
    clock.advance(minutes=31)
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert "Your session has ended. Please log in again." in html(client.get("/login"))


def test_session_ends_at_the_absolute_timeout_even_when_busy(app, client, make, auth, clock):
    app.config["SESSION_ABSOLUTE_TIMEOUT"] = timedelta(hours=1)
    auth.login(make.user())
    for _ in range(3):
        clock.advance(minutes=20)
        assert logged_in(client)
    clock.advance(minutes=1)
    assert not logged_in(client)


# --- the authentication log ----------------------------------------------------------------


def test_authentication_events_are_logged_without_secrets(app, client, make, auth, caplog):
    user = make.user(locale="en")
    caplog.set_level(logging.INFO, logger="circle.auth")
    secret_typo = "my secret typo 123"
    auth.login(user, password=secret_typo)
    auth.login(user)
    auth.logout()
    Forms(client).submit("/password/forgot", {"email": "nobody@example.org"})
    with app.test_request_context():
        from circle.auth.services import create_api_token, revoke_api_token

        token, plain = create_api_token(db.session.merge(user), "script")
        revoke_api_token(db.session.merge(user), token.id)
        db.session.commit()
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    client.get("/api/v1/me", headers={"Authorization": "Bearer cir_madeUpTokenValue1234567890"})

    lines = [r.getMessage() for r in caplog.records if r.name == "circle.auth"]
    text = "\n".join(lines)
    assert any(line.startswith("login outcome=failure email=h:") for line in lines), text
    assert f"login outcome=success user={user.id}" in text
    assert f"logout outcome=success user={user.id}" in text
    assert "password_reset_request outcome=unknown email=h:" in text
    assert f"api_token outcome=failure user={user.id}" in text
    assert "reason=unknown" in text
    assert all("ip=127.0.0.1" in line for line in lines), text
    for secret in (secret_typo, PASSWORD, plain, plain[:12], "cir_madeUpTokenValue"):
        assert secret not in caplog.text
    for address in (user.email, "nobody@example.org"):
        assert address not in caplog.text


# --- server-side sessions (issue 12, item 7) ---------------------------------------------

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def login_remembered(client, user):
    """Log in with "Stay logged in on this device" ticked; return the remember token."""
    response = Forms(client).submit(
        "/login", {"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    return client.get_cookie(sessions.REMEMBER_COOKIE, domain="circle.test").value


def browser_with(app, name: str, value: str):
    """A new browser that holds only the cookie ``name`` = ``value``."""
    browser = app.test_client()
    browser.set_cookie(name, value, domain="circle.test")
    return browser


def session_cookie(client) -> str:
    """The browser's (signed) Flask session cookie."""
    return client.get_cookie("session", domain="circle.test").value


def rows(app, model, user):
    """Every row of ``model`` that belongs to ``user``, oldest first."""
    with app.app_context():
        return list(
            db.session.execute(
                select(model).where(model.user_id == user.id).order_by(model.id)
            ).scalars()
        )


# --- the session lives on the server -----------------------------------------------------


def test_a_copied_session_cookie_stops_working_at_logout(app, client, make, auth):
    auth.login(make.user())
    copied = session_cookie(client)
    assert logged_in(browser_with(app, "session", copied))
    auth.logout()
    assert not logged_in(client)
    assert not logged_in(browser_with(app, "session", copied))


def test_the_session_id_is_stored_only_as_its_hash(app, client, make, auth):
    user = make.user()
    client.environ_base["HTTP_USER_AGENT"] = FIREFOX
    auth.login(user)
    with client.session_transaction() as sess:
        plain = sess["_user_id"]
    [row] = rows(app, UserSession, user)
    assert row.session_hash == token_hash(plain) != plain
    assert row.ended_at is None
    assert row.user_agent == FIREFOX
    assert row.client_address == "127.0.0.1"


def test_last_seen_is_written_at_most_every_minute(app, client, make, auth, clock):
    user = make.user()
    auth.login(user)
    [row] = rows(app, UserSession, user)
    clock.advance(seconds=sessions.TOUCH_EVERY - 1)
    assert logged_in(client)
    assert rows(app, UserSession, user)[0].last_seen_at == row.last_seen_at
    clock.advance(seconds=1)
    assert logged_in(client)
    assert rows(app, UserSession, user)[0].last_seen_at == row.last_seen_at + timedelta(
        seconds=sessions.TOUCH_EVERY
    )


def test_the_account_page_lists_sessions_and_ends_one(app, client, second_client, make, auth):
    user = make.user(locale="en")
    second_client.environ_base["HTTP_USER_AGENT"] = FIREFOX
    AuthActions(second_client).login(user)
    auth.login(user)
    page = html(client.get("/account"))
    assert "Firefox on Windows" in page
    assert "(this session)" in page
    other = next(r for r in rows(app, UserSession, user) if r.user_agent == FIREFOX)
    response = post_on_account(client, f"/account/sessions/{other.id}/end", {})
    assert response.status_code == 302
    assert "The session is ended." in html(client.get("/account"))
    assert logged_in(client)
    assert not logged_in(second_client)


def test_nobody_ends_another_users_session(app, client, second_client, make, auth):
    owner = make.user()
    AuthActions(second_client).login(owner)
    [row] = rows(app, UserSession, owner)
    auth.login(make.user())
    assert post_on_account(client, f"/account/sessions/{row.id}/end", {}).status_code == 404
    assert logged_in(second_client)


# --- remember-me tokens ------------------------------------------------------------------


def test_remember_token_is_hashed_and_replaced_on_every_use(app, client, make):
    user = make.user()
    first = login_remembered(client, user)
    [token] = rows(app, RememberToken, user)
    assert token.token_hash == token_hash(first)
    # A browser that kept only the remember cookie is logged in again, with a new token.
    device = browser_with(app, sessions.REMEMBER_COOKIE, first)
    assert logged_in(device)
    second = device.get_cookie(sessions.REMEMBER_COOKIE, domain="circle.test").value
    assert second != first
    old, new = rows(app, RememberToken, user)
    assert old.rotated_at is not None and old.revoked_at is None
    assert new.token_hash == token_hash(second) and new.chain == old.chain
    assert new.expires_at == old.expires_at  # replacing does not extend the login


def test_a_replaced_token_shown_again_ends_the_whole_chain(app, client, make, clock):
    user = make.user()
    stolen = login_remembered(client, user)
    victim = browser_with(app, sessions.REMEMBER_COOKIE, stolen)
    assert logged_in(victim)  # the owner's browser used the token: it was replaced
    # Within seconds it is a second tab of the same browser: refused, the chain goes on.
    assert not logged_in(browser_with(app, sessions.REMEMBER_COOKIE, stolen))
    assert logged_in(victim)
    clock.advance(seconds=sessions.ROTATION_GRACE + 1)
    thief = browser_with(app, sessions.REMEMBER_COOKIE, stolen)
    assert not logged_in(thief)
    # The chain is over: the owner's session from it and its newest token end too.
    assert not logged_in(victim)
    current = victim.get_cookie(sessions.REMEMBER_COOKIE, domain="circle.test")
    assert current is None
    assert all(t.revoked_at is not None for t in rows(app, RememberToken, user))


def test_remember_token_expires_after_remember_days(app, client, make, clock):
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=3)
    user = make.user()
    token = login_remembered(client, user)
    clock.advance(days=2)
    device = browser_with(app, sessions.REMEMBER_COOKIE, token)
    assert logged_in(device)
    clock.advance(days=1, seconds=1)
    device.delete_cookie("session", domain="circle.test")
    assert not logged_in(device)
    assert device.get_cookie(sessions.REMEMBER_COOKIE, domain="circle.test") is None


def test_logout_revokes_the_remember_token(app, client, make, auth):
    token = login_remembered(client, make.user())
    auth.logout()
    assert not logged_in(browser_with(app, sessions.REMEMBER_COOKIE, token))


def test_a_new_password_ends_sessions_remember_tokens_and_api_tokens(
    app, client, second_client, make, auth, api
):
    user = make.user(locale="en")
    remembered = login_remembered(second_client, user)
    plain = api.as_user(user).token
    assert api.get("/api/v1/me").status_code == 200
    auth.login(user)
    response = post_on_account(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert logged_in(client)
    assert not logged_in(second_client)
    assert not logged_in(browser_with(app, sessions.REMEMBER_COOKIE, remembered))
    bearer = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert all(t.revoked_at is not None for t in rows(app, ApiToken, user))


def test_a_password_reset_ends_sessions_and_api_tokens(app, client, second_client, make):
    user = make.user(locale="en")
    remembered = login_remembered(second_client, user)
    with app.test_request_context():
        _token, plain = services.create_api_token(db.session.merge(user), "script")
        link = services.make_reset_token(db.session.merge(user))
        db.session.commit()
    response = Forms(client).submit(
        f"/password/reset/{link}", {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert logged_in(client)
    assert not logged_in(second_client)
    assert not logged_in(browser_with(app, sessions.REMEMBER_COOKIE, remembered))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_account_deletion_ends_every_session_and_remember_token(
    app, client, second_client, make, auth
):
    user = make.user(locale="en")
    remembered = login_remembered(second_client, user)
    auth.login(user)
    response = Forms(client).submit(
        "/account/privacy",
        {"password": PASSWORD, "confirmation": user.email},
        action="/account/delete",
    )
    assert response.status_code == 302
    assert not logged_in(second_client)
    assert not logged_in(browser_with(app, sessions.REMEMBER_COOKIE, remembered))
    assert all(r.ended_at is not None for r in rows(app, UserSession, user))
    # What the account page showed about the devices is personal data: gone too.
    assert {(r.user_agent, r.client_address) for r in rows(app, UserSession, user)} == {("", "")}


def test_purge_deletes_what_has_been_over_for_thirty_days(app, client, make, auth, clock):
    user = make.user()
    auth.login(user)
    auth.logout()
    clock.advance(days=31)
    auth.login(user)
    result = app.test_cli_runner().invoke(args=["circle", "purge-sessions"])
    assert "Deleted 1 sessions" in result.output, result.output
    [kept] = rows(app, UserSession, user)
    assert kept.ended_at is None and logged_in(client)


# --- the session and the seat in one statement --------------------------------------------


def test_a_circle_page_reads_the_session_and_the_seat_in_one_statement(
    app, client, make, auth, count_queries
):
    admin = make.user()
    circle = make.circle(admin=admin)
    auth.login(admin)
    client.get(f"/circles/{circle.id}/ledger")  # the session's last_seen_at is fresh now
    with count_queries() as queries:
        assert client.get(f"/circles/{circle.id}/ledger").status_code == 200
    first = " ".join(queries.statements[0].split())
    assert "FROM user_sessions LEFT OUTER JOIN memberships" in first
    assert not any("FROM memberships" in " ".join(s.split()) for s in queries.statements[1:])


def test_a_visitor_without_a_seat_keeps_their_session_on_the_circles_pages(client, make, auth):
    circle = make.circle()
    visitor = make.user(locale="en")
    auth.login(visitor)
    assert client.get(f"/directory/{circle.id}").status_code == 200
    assert client.get(f"/circles/{circle.id}/ledger").status_code == 404
    assert logged_in(client)
