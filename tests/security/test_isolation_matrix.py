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

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from circle.core.security import is_safe_next
from circle.db import Base
from circle.extensions import db
from tests.conftest import AuthActions
from tests.isolation_world import SECRETS, build_world
from tests.membership.test_api_members import VALID_BODIES
from tests.pages import any_csrf_token

PARAM = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>")
IGNORED = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Case:
    """What the table knows about one method of one rule."""

    member: str  # "ok": any active member may; "deny": officers or admins only
    params: dict[str, str] = field(default_factory=dict)  # path parameter -> key in Side.ids
    cross: str = "404"  # "open": any user may (own seat); "token": the token is the credential
    anon: str = "login"  # "public": no login needed (a token or a public page)
    why: str = ""


def M(**params) -> Case:
    """Any member of the circle may."""
    return Case("ok", params)


def O(**params) -> Case:  # noqa: E743 - short on purpose: the table reads as a grid
    """Officers (by permission) or admins only."""
    return Case("deny", params)


OPEN = Case("ok", cross="open", why="a user's own application: any circle of the directory")
INVITATION = Case(
    "ok", {"token": "invitation_token"}, cross="token", anon="public", why="invitee's link"
)
RESET = Case("ok", {"token": "reset_token"}, cross="token", anon="public", why="mailed link")
FEED = Case("ok", {"token": "calendar_token"}, cross="token", anon="public", why="feed secret")
CONFIRM = Case("ok", {"token": "confirm_token"}, cross="token", why="mailed link, logged in")
DECLINE = Case("ok", {"token": "invitation_token"}, cross="token", why="invitee, logged in")

CASES: dict[str, Case] = {
    # --- account ---------------------------------------------------------------
    "POST /account/tokens/<int:token_id>/revoke": O(),
    "POST /account/sessions/<int:session_id>/end": O(),
    "GET /password/reset/<token>": RESET,
    "POST /password/reset/<token>": RESET,
    "GET /invitations/<token>": INVITATION,
    "POST /invitations/<token>": INVITATION,
    "POST /invitations/<token>/decline": DECLINE,
    "GET /account/confirm/<token>": CONFIRM,
    "POST /account/confirm/<token>": CONFIRM,
    "GET /calendar/<token>.ics": FEED,
    # --- directory: anyone logged in may see a circle's public page and apply ----------
    "GET /directory/<int:circle_id>": OPEN,
    "POST /directory/<int:circle_id>/apply": OPEN,
    "POST /directory/<int:circle_id>/withdraw": OPEN,
    "POST /directory/<int:circle_id>/accept-offer": OPEN,
    # --- circle ------------------------------------------------------------------
    "GET /circles/<int:circle_id>": M(),
    "GET /circles/<int:circle_id>/settings": O(),
    "POST /circles/<int:circle_id>/settings": O(),
    "GET /circles/<int:circle_id>/audit": O(),
    "POST /circles/<int:circle_id>/leave": M(),
    # --- members, applications, invitations, roles ------------------------------------
    "GET /circles/<int:circle_id>/members/manage": O(),
    "POST /circles/<int:circle_id>/members": O(),
    "POST /circles/<int:circle_id>/members/<int:member_id>/profession": O(),
    "POST /circles/<int:circle_id>/members/<int:member_id>/remove": O(),
    "POST /circles/<int:circle_id>/members/<int:member_id>/role": O(),
    "GET /circles/<int:circle_id>/applications": O(),
    "POST /circles/<int:circle_id>/applications/<int:member_id>/approve": O(
        member_id="applicant_id"
    ),
    "POST /circles/<int:circle_id>/applications/<int:member_id>/decline": O(
        member_id="applicant_id"
    ),
    "POST /circles/<int:circle_id>/invitations": O(),
    "POST /circles/<int:circle_id>/invitations/<int:invitation_id>/revoke": O(),
    "GET /circles/<int:circle_id>/roles": M(),
    "POST /circles/<int:circle_id>/roles": O(),
    "POST /circles/<int:circle_id>/members/<int:member_id>/roles/<role>/revoke": O(
        member_id="officer_id"
    ),
    # --- referrals and closed business ----------------------------------------------
    "GET /circles/<int:circle_id>/week": M(),
    "GET /circles/<int:circle_id>/week/<day>": M(),
    "GET /circles/<int:circle_id>/ledger": M(),
    "POST /circles/<int:circle_id>/referrals": M(),
    "GET /circles/<int:circle_id>/referrals/<int:referral_id>": M(),
    "POST /circles/<int:circle_id>/referrals/<int:referral_id>/edit": M(),
    "POST /circles/<int:circle_id>/referrals/<int:referral_id>/status": M(),
    "POST /circles/<int:circle_id>/referrals/<int:referral_id>/void": M(),
    "POST /circles/<int:circle_id>/closed-business": M(),
    "GET /circles/<int:circle_id>/closed-business/<int:business_id>": M(),
    "POST /circles/<int:circle_id>/closed-business/<int:business_id>/edit": M(),
    "POST /circles/<int:circle_id>/closed-business/<int:business_id>/void": M(),
    # --- balance, export, import -------------------------------------------------------
    "GET /circles/<int:circle_id>/balance": M(),
    "GET /circles/<int:circle_id>/balance.csv": M(),
    "GET /circles/<int:circle_id>/balance/matrix": M(),
    "GET /circles/<int:circle_id>/balance/pairs": M(),
    "GET /circles/<int:circle_id>/export": M(),
    "GET /circles/<int:circle_id>/export.csv": M(),
    "GET /circles/<int:circle_id>/import": O(),
    "POST /circles/<int:circle_id>/import": O(),
    "POST /circles/<int:circle_id>/import/confirm": O(),
    "GET /circles/<int:circle_id>/imports/<int:import_id>": O(),
    # --- dues ------------------------------------------------------------------------
    "GET /circles/<int:circle_id>/dues": M(),
    "GET /circles/<int:circle_id>/dues/payoff": M(),
    "GET /circles/<int:circle_id>/dues/return": M(),
    "POST /circles/<int:circle_id>/dues/checkout": M(),
    "POST /circles/<int:circle_id>/dues/portal": M(),
    "GET /circles/<int:circle_id>/dues.csv": O(),
    "GET /circles/<int:circle_id>/dues/admin": O(),
    "POST /circles/<int:circle_id>/dues/payments": O(),
    "POST /circles/<int:circle_id>/dues/plan": O(),
    # --- one-to-ones and education --------------------------------------------------
    "GET /circles/<int:circle_id>/activity": M(),
    "POST /circles/<int:circle_id>/one-to-ones": M(),
    "POST /circles/<int:circle_id>/one-to-ones/<int:entry_id>/void": M(),
    "POST /circles/<int:circle_id>/education": M(),
    "POST /circles/<int:circle_id>/education/<int:entry_id>/void": M(entry_id="credit_id"),
    # --- meetings, attendance, reports --------------------------------------------------
    "GET /circles/<int:circle_id>/meetings": M(),
    "GET /circles/<int:circle_id>/meetings/<int:meeting_id>": M(),
    "GET /circles/<int:circle_id>/attendance": M(),
    "GET /circles/<int:circle_id>/calendar": M(),
    "POST /circles/<int:circle_id>/calendar": M(),
    "GET /circles/<int:circle_id>/meetings/<int:meeting_id>/attendance": O(),
    "POST /circles/<int:circle_id>/meetings/<int:meeting_id>/attendance": O(),
    "POST /circles/<int:circle_id>/meetings/<int:meeting_id>/cancel": O(),
    "POST /circles/<int:circle_id>/meetings/<int:meeting_id>/restore": O(),
    "GET /circles/<int:circle_id>/absences": O(),
    "GET /circles/<int:circle_id>/report": O(),
    "GET /circles/<int:circle_id>/weeks/<day>/report": O(),
    "POST /circles/<int:circle_id>/weeks/<day>/lock": O(),
    # --- visitors ------------------------------------------------------------------
    "GET /circles/<int:circle_id>/visitors": O(),
    "POST /circles/<int:circle_id>/visitors": O(),
    "POST /circles/<int:circle_id>/visitors/<int:visitor_id>/applicant": O(),
    "POST /circles/<int:circle_id>/visitors/<int:visitor_id>/visits": O(),
    # --- scores --------------------------------------------------------------------
    "GET /circles/<int:circle_id>/score": M(),
    "GET /circles/<int:circle_id>/scores": O(),
    "GET /circles/<int:circle_id>/scores/<int:member_id>": O(member_id="officer_id"),
    "GET /circles/<int:circle_id>/scores/table": O(),
    "POST /circles/<int:circle_id>/scores/table": O(),
    # --- API ------------------------------------------------------------------------
    "DELETE /api/v1/tokens/<int:token_id>": O(),
    "GET /api/v1/circles/<int:circle_id>": M(),
    "PATCH /api/v1/circles/<int:circle_id>": O(),
    "GET /api/v1/circles/<int:circle_id>/members": M(),
    "POST /api/v1/circles/<int:circle_id>/members": O(),
    "PATCH /api/v1/circles/<int:circle_id>/members/<int:member_id>": O(),
    "DELETE /api/v1/circles/<int:circle_id>/members/<int:member_id>": O(),
    "GET /api/v1/circles/<int:circle_id>/members/<int:member_id>/roles": M(),
    "PUT /api/v1/circles/<int:circle_id>/members/<int:member_id>/roles": O(),
    "GET /api/v1/circles/<int:circle_id>/members/<int:member_id>/score": O(member_id="officer_id"),
    "GET /api/v1/circles/<int:circle_id>/applications": O(),
    "POST /api/v1/circles/<int:circle_id>/applications/<int:member_id>/decision": O(
        member_id="applicant_id"
    ),
    "GET /api/v1/circles/<int:circle_id>/balance": M(),
    "GET /api/v1/circles/<int:circle_id>/export.csv": M(),
    "POST /api/v1/circles/<int:circle_id>/imports": O(),
    "GET /api/v1/circles/<int:circle_id>/referrals": M(),
    "POST /api/v1/circles/<int:circle_id>/referrals": M(),
    "PATCH /api/v1/circles/<int:circle_id>/referrals/<int:referral_id>": M(),
    "GET /api/v1/circles/<int:circle_id>/closed-business": M(),
    "POST /api/v1/circles/<int:circle_id>/closed-business": M(),
    "PATCH /api/v1/circles/<int:circle_id>/closed-business/<int:business_id>": M(),
    "GET /api/v1/circles/<int:circle_id>/one-to-ones": M(),
    "POST /api/v1/circles/<int:circle_id>/one-to-ones": M(),
    "GET /api/v1/circles/<int:circle_id>/education-credits": M(),
    "POST /api/v1/circles/<int:circle_id>/education-credits": M(),
    "GET /api/v1/circles/<int:circle_id>/meetings": M(),
    "GET /api/v1/circles/<int:circle_id>/meetings/<int:meeting_id>/attendance": M(),  # own rows
    "PUT /api/v1/circles/<int:circle_id>/meetings/<int:meeting_id>/attendance": O(),
    "POST /api/v1/circles/<int:circle_id>/meetings/<int:meeting_id>/cancel": O(),
    "GET /api/v1/circles/<int:circle_id>/weeks/<day>/report": O(),
    "POST /api/v1/circles/<int:circle_id>/weeks/<day>/lock": O(),
    "GET /api/v1/circles/<int:circle_id>/scores": M(),  # a member gets only their own
    "GET /api/v1/circles/<int:circle_id>/visitors": O(),
    "POST /api/v1/circles/<int:circle_id>/visitors": O(),
    "POST /api/v1/circles/<int:circle_id>/visitors/<int:visitor_id>/applicant": O(),
    "POST /api/v1/circles/<int:circle_id>/visitors/<int:visitor_id>/visits": O(),
}

#: Fields whose values move on every request (bookkeeping, not data a member entered).
VOLATILE = {"last_used_at", "last_seen_at", "last_login_at"}


def id_rules(app):
    """(key, rule, method) for every method of every rule that takes a path parameter."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or not rule.arguments:
            continue
        for method in sorted(rule.methods - IGNORED):
            yield f"{method} {rule.rule}", rule, method


def url_for_side(rule: str, case: Case, ids: dict, override: dict | None = None) -> str:
    """Fill the rule's parameters with one side's ids (``override`` wins)."""
    values = {**ids, **(override or {})}

    def fill(match: re.Match) -> str:
        name = match.group(1)
        return str(values[case.params.get(name, name)])

    return PARAM.sub(fill, rule)


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


def login(app, user):
    """A new client logged in as ``user`` through the login form, and its CSRF token."""
    client = app.test_client()
    AuthActions(client).login(user)
    return client, any_csrf_token(client, "/circles")


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
        if case is None:
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
