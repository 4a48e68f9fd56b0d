"""Tenant isolation over every route that takes an object id, HTML and API.

For each rule with a path parameter (``<int:...>``, ``<token>``, ``<day>``, ``<role>``) and
each of its methods, the table ``CASES`` says what a plain member may do; the test then asks:

(a) the admin of circle A, for circle B's objects (and for A's circle with B's object ids):
    404 (the API: problem ``not_found``), and B's names and amounts appear in no answer;
(b) a plain member of B, where officer or admin rights are needed: 403 or 404;
(c) nobody logged in: the login page with a local ``next`` (the API: 401).

Nothing in the database changes on any of these refusals. A route without a case fails
the test, so a new route cannot slip through. CSRF stays on: every POST carries the
session's real token.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from circle.core.security import is_safe_next
from circle.db import Base
from circle.extensions import db
from tests.api.support import VALID_BODIES
from tests.pages import any_csrf_token
from tests.security.isolation_world import SECRETS, build_world
from tests.security.route_cases import CASES, id_rules, login, url_for_side

#: Fields whose values move on every request (bookkeeping, not data a member entered);
#: ``data_stamp`` changes with every write to a circle, the schedule's new meetings too.
VOLATILE = {"last_used_at", "last_seen_at", "last_login_at", "data_stamp"}


def snapshot(app) -> dict[str, set]:
    """Every row of every table, minus bookkeeping columns."""
    out = {}
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if c.name not in VOLATILE]
            out[table.name] = {repr(tuple(r)) for r in db.session.execute(select(*cols)).all()}
        db.session.remove()
    return out


def assert_unchanged(app, before: dict[str, set]) -> None:
    """Nothing changed; only upcoming meetings (the schedule fills itself) and the probing
    users' own login sessions may appear."""
    after = snapshot(app)
    for table, rows in before.items():
        if table in ("meetings", "user_sessions"):
            assert rows <= after[table], table
        else:
            assert after[table] == rows, table


def request(client, method: str, url: str, rule: str, token: str | None, api_token: str | None):
    """One request the way the route expects it: a form with CSRF token, or JSON with a token."""
    if rule.startswith("/api/"):
        headers = {"Accept": "application/json"}
        if api_token:
            headers["Authorization"] = f"Bearer {api_token}"
        body = VALID_BODIES.get((method.lower(), rule.removeprefix("/api/v1")))
        if method in ("POST", "PUT", "PATCH") and body is None:
            body = {}
        return client.open(url, method=method, json=body, headers=headers)
    data = {"csrf_token": token} if method == "POST" else None
    return client.open(url, method=method, data=data)


def assert_no_secrets(response, where: str) -> None:
    """None of circle B's names, prospects or amounts is in the body or the Location."""
    body = response.get_data(as_text=True) + response.headers.get("Location", "")
    for secret in SECRETS["B"]:
        assert secret not in body, f"{where} shows {secret!r}"


def assert_refused(response, where: str, allowed=(404,)) -> None:
    """An HTML error page or an API problem with one of the ``allowed`` statuses."""
    assert response.status_code in allowed, f"{where}: {response.status_code}"
    if where.split()[1].startswith("/api/"):
        assert response.mimetype == "application/problem+json", where
        codes = {404: "not_found", 403: "forbidden"}
        assert response.get_json()["code"] == codes[response.status_code], where


@pytest.fixture
def world(app, make):
    """Circles A and B with their objects."""
    return build_world(make, app)


def test_every_route_with_an_id_has_a_case(app):
    missing = [key for key, _rule, _m in id_rules(app) if key not in CASES]
    assert not missing, "add a case for " + ", ".join(missing)
    stale = set(CASES) - {key for key, _r, _m in id_rules(app)}
    assert not stale, f"cases for routes that no longer exist: {sorted(stale)}"


def test_other_circles_objects_are_404_and_never_shown(app, world):
    a, b = world["A"], world["B"]
    before = snapshot(app)
    client, token = login(app, a.admin.user)
    api_token = a.ids["api_token"]
    checked = 0
    for key, rule, method in id_rules(app):
        case = CASES.get(key)
        if case is None:
            continue
        if case.cross == "open":
            if method == "GET":
                response = request(
                    client,
                    method,
                    url_for_side(rule.rule, case, b.ids),
                    rule.rule,
                    token,
                    api_token,
                )
                assert response.status_code == 200, key
                assert_no_secrets(response, key)
            continue
        if case.cross == "token":
            # Someone else's secret link, tampered with: not found, nothing shown.
            forged = {n: b.ids[k][:-4] + "AAAA" for n, k in case.params.items()}
            forged = {case.params[n]: v for n, v in forged.items()}
            response = request(
                client,
                method,
                url_for_side(rule.rule, case, b.ids, forged),
                rule.rule,
                token,
                api_token,
            )
            assert response.status_code in (400, 404), f"{key}: {response.status_code}"
            assert_no_secrets(response, key)
            checked += 1
            continue
        urls = {url_for_side(rule.rule, case, b.ids)}
        if "circle_id" in rule.arguments and set(rule.arguments) - {"circle_id", "day", "role"}:
            # My own circle with the other circle's object id.
            urls.add(url_for_side(rule.rule, case, b.ids, {"circle_id": a.ids["circle_id"]}))
        for url in urls:
            response = request(client, method, url, rule.rule, token, api_token)
            assert_refused(response, f"{method} {url} ({key})")
            assert_no_secrets(response, f"{method} {url}")
            checked += 1
    assert checked >= len(CASES)
    assert_unchanged(app, before)


def test_plain_members_get_no_officer_routes(app, world):
    b = world["B"]
    before = snapshot(app)
    client, token = login(app, b.member.user)
    api_token = None
    with app.test_request_context():
        from circle.auth.services import create_api_token

        _t, api_token = create_api_token(db.session.merge(b.member.user), "probe")
        db.session.commit()
    before = snapshot(app)
    denied = 0
    for key, rule, method in id_rules(app):
        case = CASES.get(key)
        if case is None or case.member != "deny":
            continue
        url = url_for_side(rule.rule, case, b.ids)
        response = request(client, method, url, rule.rule, token, api_token)
        assert_refused(response, f"{method} {url} ({key})", allowed=(403, 404))
        for secret in ("Paul Prospekt", "Vera Besucherin", "98.765,43", "98,765.43"):
            assert secret not in response.get_data(as_text=True), key
        denied += 1
    assert denied >= 40
    assert_unchanged(app, before)


def test_logged_out_requests_go_to_the_login_page_or_get_401(app, world):
    b = world["B"]
    before = snapshot(app)
    client = app.test_client()
    token = any_csrf_token(client, "/login")
    for key, rule, method in id_rules(app):
        case = CASES.get(key)
        if case is None or case.anon == "one-click":  # changes something by design
            continue
        url = url_for_side(rule.rule, case, b.ids)
        response = request(client, method, url, rule.rule, token, None)
        if case.anon == "public" and method == "GET":
            assert response.status_code == 200, key
            continue
        if case.anon == "public" and key == "POST /password/reset/<token>":
            assert response.status_code in (200, 422), key  # the form asks for a password
            continue
        assert_no_secrets(response, key)
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, key
            assert response.get_json()["code"] == "unauthorized", key
            continue
        assert response.status_code == 302, f"{key}: {response.status_code}"
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login", key
        (target,) = parse_qs(location.query)["next"]
        assert is_safe_next(target), (key, target)
        assert target == urlsplit(url).path, (key, target)
    assert_unchanged(app, before)
