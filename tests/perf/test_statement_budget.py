"""At most six SQL statements per page, the same at 4 members or 40, at a week of history or
ten years (issue 15).

Every GET route of the app, HTML and API, is opened in circle A of the isolation world
(tests/security/isolation_world.py: one of each object, this week) by its admin and, where
members may open it (tests/security/route_cases.py), by a plain member; then the circle
grows to 40 members and ten years of weekly slips, meetings, dues and the rest
(tests/perf/history.py) and every page is opened again. Each page must cost at most
``BUDGET`` statements, and exactly as many in the big circle as in the small one: a page
whose statements grow with members or history is an N+1 waiting to happen.

The login's own statements count too: the first two of every page are the session with its
user and the membership (an API request: the token with its user, and the membership).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from circle.auth.services import create_api_token
from circle.extensions import db
from circle.models import Membership, Referral
from tests.perf.history import grow
from tests.security.isolation_world import build_world
from tests.security.route_cases import CASES, IGNORED, PARAM, login, url_for_side

#: Statements a page may send to the database.
BUDGET = 6

#: Pages over budget today, with their exact count: ``{(who, url rule): statements}``.
#: The test fails when such a page costs more, and also when it costs less, so that the
#: allowance is lowered (and the entry removed once the page is within budget).
ALLOWANCE: dict[tuple[str, str], int] = {}

#: Routes that are not pages: files served as they are, and the account's data export
#: (GDPR art. 15 and 20), which reads each of the ~20 tables of a person's data once: a
#: download asked for now and then, whose count follows the tables, not the rows.
NOT_PAGES = {"static", "assets.favicon", "assets.manifest", "api.export"}

#: Query strings that choose a bigger share of the history: each is a page of its own
#: (``{nine_years_ago}`` is filled in from this week's day).
VARIANTS = {
    "/circles/<int:circle_id>/balance": ("?period=all",),
    "/circles/<int:circle_id>/balance/matrix": ("?period=all", "?period=all&by=revenue"),
    "/circles/<int:circle_id>/balance/pairs": ("?period=all",),
    "/circles/<int:circle_id>/balance.csv": ("?period=all",),
    "/circles/<int:circle_id>/ledger": ("?from={nine_years_ago}&by=week",),
    "/circles/<int:circle_id>/export.csv": ("?from=2000-01-01",),
    "/circles/<int:circle_id>/trends": ("?weeks=52",),
    "/api/v1/circles/<int:circle_id>/balance": ("?period=all",),
}


@dataclass(frozen=True)
class Page:
    """One GET request to measure: who opens it, the rule and the filled-in url."""

    who: str  # "admin", "member" or "visitor" (nobody logged in: a token is the credential)
    rule: str
    url: str

    @property
    def key(self) -> tuple[str, str]:
        """The page's key in ``ALLOWANCE`` and in the failure messages."""
        return (self.who, self.url_rule)

    @property
    def url_rule(self) -> str:
        """The rule with the query string of its variant."""
        query = self.url.partition("?")[2]
        return f"{self.rule}?{query}" if query else self.rule


def get_rules(app) -> list:
    """Every GET rule of the app except static files, sorted by rule."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods - IGNORED and rule.endpoint not in NOT_PAGES
        ),
        key=lambda rule: rule.rule,
    )


def pages(app, ids: dict) -> list[Page]:
    """Every page to measure: each GET rule filled with circle A's ids, for the admin and,
    where any member may open it, for a plain member; token pages for nobody logged in."""
    out = []
    for rule in get_rules(app):
        case = CASES.get(f"GET {rule.rule}")
        if case is None and PARAM.search(rule.rule):
            continue  # the isolation matrix fails for a rule without a case
        url = url_for_side(rule.rule, case, ids) if case else rule.rule
        today = date.fromisoformat(ids["day"])
        dates = {"nine_years_ago": today.replace(year=today.year - 9).isoformat()}
        urls = [url, *(url + query.format(**dates) for query in VARIANTS.get(rule.rule, ()))]
        if case is not None and case.anon == "public":
            who = ["visitor"]
        elif case is not None and case.cross == "token":
            who = ["admin"]  # the admin's own mailed link
        elif case is None or case.member == "ok":
            who = ["admin", "member"]
        else:
            who = ["admin"]
        out.extend(Page(person, rule.rule, each) for person in who for each in urls)
    return out


TOKEN_TOUCH = "UPDATE api_tokens SET last_used_at"


def measure(clients: dict, count_queries, page: Page) -> tuple[int, int, list[str]]:
    """Open ``page`` as its person: (status, statements, the statements' SQL)."""
    client, headers = clients[page.who]
    if page.url.startswith("/api/"):
        client = clients["api"][0]
    else:
        headers = {}
    with count_queries() as queries:
        response = client.get(page.url, headers=headers)
    # A token's last_used_at is written by whichever request comes first in a minute
    # (``TOKEN_TOUCH_EVERY``): the token's, not the page's statement.
    statements = [s for s in queries.statements if not s.startswith(TOKEN_TOUCH)]
    return response.status_code, len(statements), statements


def short(sql: str) -> str:
    """A statement in one short line: its verb and what follows FROM (the column lists
    of a joined load run to kilobytes)."""
    flat = " ".join(sql.split())
    verb, _, rest = flat.partition(" ")
    _, found, tail = rest.partition(" FROM ")
    return f"{verb} … FROM {tail}"[:300] if found else flat[:300]


def over_budget(counts: dict, small: dict) -> list[str]:
    """What breaks the rules: a page over budget (outside the allowance), an allowance that
    does not match the count exactly, a page whose count grew with the circle."""
    problems = []
    for key, (status, count, sql) in counts.items():
        before = small[key][1]
        allowed = ALLOWANCE.get(key)
        if allowed is not None and count != allowed:
            problems.append(f"{key}: {count} statements, the allowance says {allowed}")
        elif allowed is None and count > BUDGET:
            listing = "".join(f"\n    {short(statement)}" for statement in sql)
            problems.append(f"{key}: {count} statements > {BUDGET}:{listing}")
        if count != before:
            problems.append(f"{key}: {before} statements in the small circle, {count} in the big")
        if status != small[key][0]:
            problems.append(f"{key}: answered {small[key][0]}, then {status}")
    stale = set(ALLOWANCE) - set(counts)
    problems.extend(f"{key}: in the allowance but not a page" for key in sorted(stale))
    return problems


def sizes(app, circle_id: int) -> tuple[int, int]:
    """The circle's active members and the years its slips span."""
    with app.app_context():
        members = db.session.execute(
            select(func.count(Membership.id)).where(
                Membership.circle_id == circle_id, Membership.status == "active"
            )
        ).scalar_one()
        first, last = db.session.execute(
            select(func.min(Referral.given_on), func.max(Referral.given_on)).where(
                Referral.circle_id == circle_id
            )
        ).one()
        db.session.remove()
    return members, round((last - first).days / 365)


@pytest.fixture
def clients(app, make):
    """Circle A of the isolation world, and a client each for its admin, a plain member
    (both logged in, with an API token) and nobody; returns (clients, ids)."""
    side = build_world(make, app)["A"]
    with app.test_request_context():
        _t, member_token = create_api_token(db.session.merge(side.member.user), "perf")
        db.session.commit()
    admin, _csrf = login(app, side.admin.user)
    member, _csrf = login(app, side.member.user)
    bearer = {"admin": side.ids["api_token"], "member": member_token}
    out = {
        who: (client, {"Authorization": f"Bearer {bearer[who]}", "Accept": "application/json"})
        for who, client in (("admin", admin), ("member", member))
    }
    out["visitor"] = (app.test_client(), {})
    out["api"] = (app.test_client(), {})  # an API client sends its token, no session cookie
    return out, side.ids


def test_every_page_takes_at_most_six_statements_at_any_size(app, clients, count_queries):
    clients, ids = clients
    measured = pages(app, ids)
    assert len(measured) >= 100, len(measured)  # every route, not a handful
    small = {page.key: measure(clients, count_queries, page) for page in measured}
    grow(app, ids["circle_id"], date.fromisoformat(ids["day"]))
    assert sizes(app, ids["circle_id"]) == (40, 10)  # members, years of slips
    large = {page.key: measure(clients, count_queries, page) for page in measured}
    problems = over_budget(large, small)
    assert not problems, "\n".join(problems)
