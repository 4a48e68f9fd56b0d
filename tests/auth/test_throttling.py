"""Throttling (ASVS 5.0 V6.3.1, V2.4): failed logins per account across the web form and the
API, registration, password reset requests, re-authentication and imports — on the memory
storage — and one check that two workers share their counts through Redis."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from circle.core.security import verify_password
from circle.extensions import db
from circle.models import User
from tests.factories import PASSWORD
from tests.pages import Forms
from tests.servers import free_port, redis_url, wait_for

__all__ = ["redis_url"]  # the fixture, from tests/servers.py

ROOT = Path(__file__).resolve().parent.parent.parent


def html(response) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)


def from_address(n: int) -> dict:
    """Request keywords that make the request come from client address ``10.0.0.<n>``."""
    return {"environ_overrides": {"REMOTE_ADDR": f"10.0.0.{n}"}}


# --- failed password checks (issue 12, items 5 and 12) -------------------------------------


def test_failed_logins_count_per_address_and_account_across_web_and_api(
    app, client, make, forms, caplog
):
    app.config["RATELIMIT_LOGIN_ACCOUNT"] = "3 per hour"
    user, bystander = make.user(), make.user()
    wrong = {"email": user.email, "password": "wrong password"}
    assert forms.submit("/login", wrong, **from_address(1)).status_code == 200
    assert forms.submit("/login", wrong, **from_address(1)).status_code == 200
    assert client.post("/api/v1/tokens", json=wrong, **from_address(1)).status_code == 401
    caplog.set_level(logging.INFO, logger="circle.auth")
    # From that address the account is closed, even with the right password ...
    right = {"email": user.email.upper(), "password": PASSWORD}
    response = client.post("/api/v1/tokens", json=right, **from_address(1))
    assert response.status_code == 429
    assert response.get_json()["code"] == "rate_limited"
    assert 3500 < int(response.headers["Retry-After"]) <= 3600
    response = forms.submit("/login", right, **from_address(1))
    assert response.status_code == 429
    assert "Too many attempts. Please try again in 60 minutes." in html(response)
    assert 3500 < int(response.headers["Retry-After"]) <= 3600
    assert client.get("/account").status_code == 302
    assert "login outcome=throttled" in caplog.text
    # ... while other accounts log in from it as usual.
    bystander_login = {"email": bystander.email, "password": PASSWORD}
    assert forms.submit("/login", bystander_login, **from_address(1)).status_code == 302


def test_an_attackers_failures_never_lock_the_owner_out(app, client, make, forms):
    app.config["RATELIMIT_LOGIN_ACCOUNT"] = "3 per hour"
    owner = make.user()
    wrong = {"email": owner.email, "password": "guessed"}
    for attacker in (1, 2):
        for _ in range(3):
            forms.submit("/login", wrong, **from_address(attacker))
        assert forms.submit("/login", wrong, **from_address(attacker)).status_code == 429
    right = {"email": owner.email, "password": PASSWORD}
    assert client.post("/api/v1/tokens", json=right, **from_address(9)).status_code == 201
    assert forms.submit("/login", right, **from_address(9)).status_code == 302
    assert client.get("/account").status_code == 200


def test_failures_from_one_address_are_limited_over_all_accounts(app, client, make, forms):
    app.config["RATELIMIT_LOGIN_ADDRESS"] = "3 per 10 minutes"
    victims = [make.user() for _ in range(4)]
    for victim in victims[:3]:
        wrong = {"email": victim.email, "password": "guessed"}
        assert forms.submit("/login", wrong, **from_address(1)).status_code == 200
    right = {"email": victims[3].email, "password": PASSWORD}
    response = forms.submit("/login", right, **from_address(1))
    assert response.status_code == 429
    assert "Please try again in 10 minutes." in html(response)
    assert forms.submit("/login", right, **from_address(2)).status_code == 302


def test_the_wait_is_said_in_german_with_the_right_plural(app, client, make, forms):
    app.config["RATELIMIT_LOGIN_ACCOUNT"] = "1 per minute"
    user = make.user()
    client.set_cookie("locale", "de", domain="circle.test")
    headers = {"Accept-Language": "de"}
    wrong = {"email": user.email, "password": "guessed"}
    forms.submit("/login", wrong, headers=headers)
    response = forms.submit("/login", wrong, headers=headers)
    assert response.status_code == 429
    assert "Zu viele Versuche. Bitte versuche es in 1 Minute noch einmal." in html(response)


def login_and_open_account(client, user) -> Forms:
    """Log ``user`` in through the login form; return a form helper for the account pages."""
    forms = Forms(client)
    assert forms.submit("/login", {"email": user.email, "password": PASSWORD}).status_code == 302
    return forms


def delete_account(forms: Forms, user, password: str):
    """Submit the account-deletion form."""
    data = {"password": password, "confirmation": user.email}
    return forms.submit("/account/privacy", data, action="/account/delete")


def test_failures_on_the_deletion_form_count_toward_the_reauthentication_limit(app, client, make):
    app.config["RATELIMIT_REAUTH"] = "2 per hour"
    user = make.user(locale="en")
    forms = login_and_open_account(client, user)
    for _ in range(2):
        assert delete_account(forms, user, "guess").status_code == 422
    # The right password on another form that asks for it is refused now ...
    right = {
        "current_password": PASSWORD,
        "password": "Apotheke am Dom 1996",
        "password_repeat": "Apotheke am Dom 1996",
    }
    response = forms.submit("/account", right, action="/account/password")
    assert response.status_code == 429
    assert "Too many attempts." in html(response)
    # ... and on the deletion form itself.
    assert delete_account(forms, user, PASSWORD).status_code == 429
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.erased_at is None
        assert verify_password(stored.password_hash, PASSWORD)


def test_reauthentication_failures_close_the_deletion_form(app, client, make):
    app.config["RATELIMIT_REAUTH"] = "2 per hour"
    user = make.user(locale="en")
    forms = login_and_open_account(client, user)
    attempt = {"current_password": "guess", "email": "neu@example.org"}
    for _ in range(2):
        assert forms.submit("/account", attempt, action="/account/email").status_code == 422
    response = delete_account(forms, user, PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts." in html(response)
    with app.app_context():
        assert db.session.get(User, user.id).erased_at is None


# --- registration, password reset, re-authentication -------------------------------------


def test_registration_form_is_throttled_per_address(forms, caplog):
    caplog.set_level(logging.INFO, logger="circle.auth")
    data = {
        "name": "Petra",
        "email": "petra@example.org",
        "password": "apotheke 1234",
        "password_repeat": "something else",
    }
    for _ in range(10):
        assert forms.submit("/register", data).status_code == 422
    assert forms.submit("/register", data).status_code == 429
    assert "throttled outcome=refused endpoint=auth.register" in caplog.text
    # Another client address may still register.
    assert forms.submit("/register", data, **from_address(7)).status_code == 422


def test_password_reset_requests_are_throttled_per_address(forms):
    for n in range(10):
        response = forms.submit("/password/forgot", {"email": f"nobody{n}@example.org"})
        assert response.status_code == 302
    response = forms.submit("/password/forgot", {"email": "nobody-else@example.org"})
    assert response.status_code == 429


def test_reauthentication_is_throttled_per_user(app, client, make, auth):
    app.config["RATELIMIT_REAUTH"] = "2 per hour"
    user = make.user(locale="en")
    auth.login(user)
    forms = Forms(client)
    attempt = {"current_password": "guess", "email": "neu@example.org"}
    for _ in range(2):
        assert forms.submit("/account", attempt, action="/account/email").status_code == 422
    right = {
        "current_password": PASSWORD,
        "password": "Apotheke am Dom 1996",
        "password_repeat": "Apotheke am Dom 1996",
    }
    assert forms.submit("/account", right, action="/account/password").status_code == 429
    with app.app_context():
        assert verify_password(db.session.get(User, user.id).password_hash, PASSWORD)


# --- imports --------------------------------------------------------------------------------


def test_imports_are_throttled_on_the_page_and_in_the_api(app, client, make, auth, api):
    app.config["RATELIMIT_IMPORTS"] = "2 per hour"
    admin = make.user(locale="en")
    circle = make.circle(admin=admin)
    auth.login(admin)
    forms = Forms(client)
    page = f"/circles/{circle.id}/import"
    for _ in range(2):
        assert forms.submit(page, {"date": "2025-03-05"}).status_code == 422  # no file
    assert forms.submit(page, {"date": "2025-03-05"}).status_code == 429
    assert client.get(page).status_code == 200  # looking is not limited

    api.as_user(admin)
    url = f"/api/v1/circles/{circle.id}/imports"
    for _ in range(2):
        response = api.post(url, data={"date": "2025-03-05"}, content_type="multipart/form-data")
        assert response.status_code == 422  # no file
    response = api.post(url, data={"date": "2025-03-05"}, content_type="multipart/form-data")
    assert response.status_code == 429
    assert response.get_json()["code"] == "rate_limited"


# --- two workers, one Redis -------------------------------------------------------------------


def _post_json(url: str, body: dict) -> int:
    """POST ``body`` as JSON and return the status code."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _healthy(url: str) -> bool:
    """True when the server answers its health check."""
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_two_workers_share_their_counts_through_redis(database_url, redis_url, tmp_path):
    env = {
        **os.environ,
        "CIRCLE_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RATELIMIT_KEY_PREFIX": f"circle-test-{uuid.uuid4().hex}",
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
    }
    workers, urls, logs = [], [], []
    try:
        for n in range(2):
            port = free_port()
            log = (tmp_path / f"worker{n}.log").open("w")
            logs.append(log)
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "--workers",
                        "1",
                        *("--bind", f"127.0.0.1:{port}", "wsgi:app"),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_for(lambda url=url: _healthy(url), url)
        first, second = urls
        # The token endpoint allows 5 requests a minute per client address, in total; the
        # body lacks the password, so no worker spends time on argon2.
        wrong = {"email": "nobody@example.org"}
        statuses = [_post_json(first + "/api/v1/tokens", wrong) for _ in range(3)]
        statuses += [_post_json(second + "/api/v1/tokens", wrong) for _ in range(2)]
        assert statuses == [422] * 5
        # Each worker has seen at most three attempts itself, yet both now refuse.
        assert _post_json(first + "/api/v1/tokens", wrong) == 429
        assert _post_json(second + "/api/v1/tokens", wrong) == 429
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=15)
        for log in logs:
            log.close()
