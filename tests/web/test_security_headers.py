"""Security headers on every page: CSP, no framing, no sniffing, a referrer policy, HSTS in
production, and no caching of anything personal (pages of a logged-in user, the API)."""

from __future__ import annotations

import re

from circle import create_app
from tests.security.isolation_world import build_world
from tests.security.route_cases import CASES, IGNORED, Case, login, url_for_side

PUBLIC_PAGES = ["/", "/login", "/register", "/password/forgot", "/healthz"]


def directives(response) -> dict[str, str]:
    """The Content-Security-Policy as directive -> value."""
    policy = response.headers.get("Content-Security-Policy", "")
    parts = (p.strip().partition(" ") for p in policy.split(";") if p.strip())
    return {name: value.strip() for name, _sep, value in parts}


def assert_page_headers(response, url: str) -> None:
    """The headers every HTML page carries."""
    csp = directives(response)
    script = csp.get("script-src", csp.get("default-src", ""))
    assert script and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, url
    assert csp.get("frame-ancestors") == "'none'", url
    assert response.headers["X-Content-Type-Options"] == "nosniff", url
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin"), (
        url
    )


def get_routes(app):
    """Every GET rule but static files (also under hashed addresses: ``test_assets``), with
    a case from the isolation matrix if it has ids."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in ("static", "assets.asset") or "GET" not in rule.methods - IGNORED:
            continue
        yield rule, CASES.get(f"GET {rule.rule}", Case("ok"))


def test_every_page_of_a_logged_in_user_has_the_headers_and_is_not_cached(app, make):
    side = build_world(make, app)["A"]
    client, _token = login(app, side.admin.user)
    pages = 0
    for rule, case in get_routes(app):
        if case.anon == "public" and rule.arguments:
            continue  # token links: checked logged out below
        url = url_for_side(rule.rule, case, side.ids)
        headers = {"Authorization": f"Bearer {side.ids['api_token']}"}
        response = client.get(url, headers=headers if url.startswith("/api/") else {})
        assert response.status_code < 500, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        if rule.endpoint == "profiles.picture":
            # A picture may sit in the browser's own cache (never a shared one): its URL
            # names its version, and it is revalidated without one.
            assert response.headers.get("Cache-Control") == "private, no-cache", url
        elif rule.endpoint.startswith("assets."):
            # The favicon and the manifest are the same for everyone.
            assert response.headers.get("Cache-Control") == "public, max-age=86400", url
        elif url != "/api/v1/openapi.json":
            assert response.headers.get("Cache-Control") == "no-store", url
        if response.mimetype == "text/html":
            assert_page_headers(response, url)
            pages += 1
    assert pages >= 40


def test_public_pages_have_the_headers_and_only_the_api_is_not_cached(app, make):
    side = build_world(make, app)["A"]
    client = app.test_client()
    for url in [*PUBLIC_PAGES, f"/invitations/{side.ids['invitation_token']}"]:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.mimetype == "text/html":
            assert_page_headers(response, url)
            assert "no-store" not in response.headers.get("Cache-Control", ""), url
    for url in ("/api/v1/me", "/api/v1/circles", "/api/v1/professions"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    assert "no-store" not in document.headers.get("Cache-Control", "")


def test_error_pages_carry_the_headers_too(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert_page_headers(response, "/nothing-here")


def test_hsts_in_production_not_in_development_or_test(client, tmp_path):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    for env, expected in (("production", True), ("development", False)):
        app = create_app(
            {
                "CIRCLE_ENV": env,
                "SECRET_KEY": "x" * 32,
                "BASE_URL": "https://circle.example.org",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/{env}.sqlite3",
            }
        )
        response = app.test_client().get("/healthz")
        hsts = response.headers.get("Strict-Transport-Security", "")
        assert bool(hsts) is expected, env
        if expected:
            assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts)
            assert int(hsts.split("=")[1].split(";")[0]) >= 15552000
