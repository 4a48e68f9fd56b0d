"""Clients the tests drive the app with: logging in and out through the real forms, and
JSON requests with a bearer token."""

from __future__ import annotations

from circle.auth.services import create_api_token
from circle.extensions import db as _db
from tests.factories import PASSWORD
from tests.pages import Forms


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client):
        self.client = client
        self.forms = Forms(client)

    def login(self, user_or_email, password: str = PASSWORD, next_url: str | None = None):
        """Log in with the login form."""
        address = getattr(user_or_email, "email", user_or_email)
        page = "/login" + (f"?next={next_url}" if next_url else "")
        return self.forms.submit(page, {"email": address, "password": password})

    def logout(self):
        """Log out with the logout form."""
        return self.forms.submit("/account", {}, action="/logout")


class ApiClient:
    """JSON requests with a bearer token."""

    def __init__(self, app, client):
        self.app = app
        self.client = client
        self.token: str | None = None

    def as_user(self, user) -> ApiClient:
        """Issue a token for ``user`` and use it for the following requests."""
        with self.app.test_request_context():
            _, self.token = create_api_token(_db.session.merge(user), "test")
            _db.session.commit()
        return self

    def _headers(self, headers=None):
        out = {"Accept": "application/json"}
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        out.update(headers or {})
        return out

    def get(self, url, **kw):
        """GET with the token."""
        return self.client.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url, json=None, **kw):
        """POST JSON with the token."""
        return self.client.post(
            url, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def patch(self, url, json=None, **kw):
        """PATCH JSON with the token."""
        return self.client.patch(
            url, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def delete(self, url, **kw):
        """DELETE with the token."""
        return self.client.delete(url, headers=self._headers(kw.pop("headers", None)), **kw)
