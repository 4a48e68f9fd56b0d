"""Open redirects: every ``next`` the app follows stays on a local path.

The corpus holds the usual tricks (scheme-relative, backslashes, schemes, encoded slashes,
dot segments, leading whitespace, lookalike slashes, CR/LF); each one is sent to every
place that accepts a return target: login (query string and form field), registration,
the language switch and the referral status form.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from argon2 import PasswordHasher

from circle.core import security
from circle.core.security import is_safe_next
from circle.extensions import db, limiter
from circle.models import User
from tests.clients import AuthActions
from tests.factories import PASSWORD
from tests.pages import Forms, any_csrf_token
from tests.security.isolation_world import build_world

CORPUS = [
    "//evil.example",
    "/\\evil.example",
    "\\\\evil",
    "https:evil",
    "http://evil",
    "https://evil.example/circles",
    "/%2F%2Fevil",
    "%2F%2Fevil",
    "/%2f%2fevil",
    "/%5Cevil",
    "/%5cevil",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "\t//evil",
    " //evil",
    "/ /evil",
    "/.//evil",
    "/..//evil",
    "/%2e%2e//evil",
    "///evil",
    "////evil",
    "/\u2215evil",  # division slash
    "/\u2044evil",  # fraction slash
    "/\uff0fevil",  # fullwidth solidus
    "\uff0f\uff0fevil",
    "/\uff3cevil",  # fullwidth reverse solidus
    "/\u200b/evil",  # zero-width space
    "/\u3000/evil",
    "/\r\nLocation: http://evil",
    "/%0d%0aLocation:%20http://evil",
    "/\nevil",
    "/evil\x00",
]


def assert_local(response, what: str) -> None:
    """A redirect to a path of this site."""
    assert response.status_code in (302, 303), (what, response.status_code)
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme in ("", "http"), (what, location)
    assert parts.netloc in ("", "circle.test"), (what, location)
    assert location.startswith("/") and not location.startswith("//"), (what, location)
    assert "\\" not in location and "evil" not in location, (what, location)


@pytest.fixture
def quick_logins(app, monkeypatch):
    """The corpus sends many logins in a row: no rate limit, and a cheap password hash
    (neither is what is tested here)."""
    monkeypatch.setattr(limiter, "enabled", False)
    monkeypatch.setattr(security, "_hasher", PasswordHasher(1, 1024, 1))


def cheap_user(app, make) -> User:
    """A user whose password hash is quick to check."""
    user = make.user()
    with app.app_context():
        db.session.get(User, user.id).password_hash = security.hash_password(PASSWORD)
        db.session.commit()
        db.session.remove()
    return user


@pytest.mark.parametrize("target", CORPUS)
def test_is_safe_next_refuses_the_corpus(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize(
    "target", ["/circles", "/circles/3/week/2024-05-06", "/circles/3?next=//evil", "/account"]
)
def test_is_safe_next_keeps_local_paths(target):
    assert is_safe_next(target)


def test_login_follows_no_foreign_next(app, make, quick_logins):
    user = cheap_user(app, make)
    for target in CORPUS:
        client = app.test_client()  # through the query string, as the login page is linked
        response = AuthActions(client).login(user, next_url=quote(target, safe=""))
        assert_local(response, target)
    for target in CORPUS:
        client = app.test_client()  # straight in the form field
        token = any_csrf_token(client, "/login")
        response = client.post(
            "/login",
            data={"csrf_token": token, "email": user.email, "password": PASSWORD, "next": target},
        )
        assert_local(response, target)
    client = app.test_client()
    response = AuthActions(client).login(user, next_url="/account")
    assert response.headers["Location"] == "/account"  # a local next still works


def test_registration_follows_no_foreign_next(app, client, quick_logins):
    for n, target in enumerate(CORPUS):
        client.delete_cookie("session", domain="circle.test")
        response = Forms(client).submit(
            "/register",
            {
                "email": f"neu{n}@example.org",
                "password": PASSWORD,
                "password_repeat": PASSWORD,
                "name": "Neu",
                "locale": "de",
                "next": target,
            },
        )
        assert_local(response, target)


def test_language_switch_follows_no_foreign_next(app, client, make, quick_logins):
    token = any_csrf_token(client, "/login")
    for target in CORPUS:
        response = client.post(
            "/language", data={"csrf_token": token, "locale": "de", "next": target}
        )
        assert_local(response, target)
    response = client.post(
        "/language", data={"csrf_token": token, "locale": "en", "next": "/login"}
    )
    assert response.headers["Location"] == "/login"


def test_referral_status_form_follows_no_foreign_next(app, client, make, quick_logins):
    side = build_world(make, app)["A"]
    AuthActions(client).login(side.admin.user)  # the receiver of A's referral
    token = any_csrf_token(client, "/circles")
    url = f"/circles/{side.ids['circle_id']}/referrals/{side.ids['referral_id']}/status"
    for status, target in zip(["contacted", "won"] * len(CORPUS), CORPUS, strict=False):
        response = client.post(url, data={"csrf_token": token, "status": status, "next": target})
        assert_local(response, target)
