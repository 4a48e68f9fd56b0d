"""API: the balance of give and take — exact numbers, visibility per role, periods, refusals,
and a fixed number of SQL queries whatever the size of the circle."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from circle.api.balance import as_dumped, balance_document, ratio
from circle.api.schemas_balance import BalanceOut
from circle.balance.periods import period_for
from circle.balance.services import compute
from circle.balance.visibility import visible_balance
from circle.circles.access import active_membership
from circle.core.clock import utcnow
from circle.extensions import db
from circle.models import ApiToken, Circle
from circle.referrals import services as rs
from tests.api.support import assert_problem

JUNE = "from=2026-06-01&to=2026-06-30"


@dataclass
class Four:
    """The hand-computed circle: an admin without a seat and four members A, B, C, D."""

    circle_id: int
    admin: object
    users: dict  # name -> user
    ids: dict  # name -> membership id

    def url(self, query: str = "") -> str:
        """The balance URL of this circle with a query string."""
        return f"/api/v1/circles/{self.circle_id}/balance" + (f"?{query}" if query else "")


def record(app, circle_id: int, referrals=(), business=(), voided=()) -> None:
    """Give referrals ``(giver, receiver, day)`` and report ``(reporter, thanked, cents, day)``.

    ``voided`` holds ``(kind, index)``: the index-th referral or business entry is voided.
    Everything is committed into the test's transaction through the services.
    """
    from circle.models import Membership

    with app.test_request_context():
        circle = db.session.get(Circle, circle_id)

        def member(member_id):
            return db.session.get(Membership, member_id)

        given = [
            rs.give_referrals(
                circle, member(g), [rs.ReferralInput(receiver_id=r, given_on=d)], notify=False
            )[0]
            for g, r, d in referrals
        ]
        reported = [
            rs.report_closed_business(
                circle, member(rep), rs.BusinessInput(thanked, cents, d), notify=False
            )
            for rep, thanked, cents, d in business
        ]
        for kind, index in voided:
            if kind == "referral":
                entry = given[index]
                rs.void_referral(circle, member(entry.giver_id), entry.id, "Doppelt")
            else:
                entry = reported[index]
                rs.void_business(circle, member(entry.reporter_id), entry.id, "Falscher Betrag")
        db.session.commit()
        db.session.remove()


@pytest.fixture
def four(app, make) -> Four:
    """A, B, C, D with a dozen referrals and revenue both ways, one voided of each kind.

    June 2026: A→B twice, B→A, A→C, C→D, D→C (A→D voided); B earned 1,000.00 thanks to
    A, A 10.00 thanks to B, C 450.00 thanks to D, D 500.00 thanks to C (a 99.00 entry of
    B's voided). Around June: A→B on 1 July, B→A on 31 May, 800.00 for B thanks to A on
    20 May.
    """
    admin = make.user(name="Admin")
    circle = make.circle(admin=admin, admin_profession=None)
    users, ids = {}, {}
    for name, profession in (
        ("A", "Fotograf"),
        ("B", "Apotheker"),
        ("C", "Maler"),
        ("D", "Bäcker"),
    ):
        users[name] = make.user(name=name)
        ids[name] = make.member(circle, users[name], profession=profession).id
    a, b, c, d = (ids[n] for n in "ABCD")
    june = date(2026, 6, 10)
    record(
        app,
        circle.id,
        referrals=[
            (a, b, june),
            (a, b, june),
            (b, a, june),
            (a, c, june),
            (c, d, june),
            (d, c, june),
            (a, d, june),  # voided below
            (a, b, date(2026, 7, 1)),
            (b, a, date(2026, 5, 31)),
        ],
        business=[
            (b, a, 100_000, june),
            (a, b, 1_000, june),
            (d, c, 50_000, june),
            (c, d, 45_000, june),
            (b, a, 9_900, june),  # voided below
            (b, a, 80_000, date(2026, 5, 20)),
        ],
        voided=[("referral", 6), ("business", 4)],
    )
    return Four(circle.id, admin, users, ids)


def admin_membership_id(app, four: Four) -> int:
    """The membership id of the circle's admin."""
    from sqlalchemy import select

    from circle.models import Membership

    with app.app_context():
        return db.session.execute(
            select(Membership.id).where(
                Membership.circle_id == four.circle_id, Membership.user_id == four.admin.id
            )
        ).scalar_one()


def member_row(member_id, given, received, generated, got):
    """One expected entry of ``members``."""
    return {
        "member_id": member_id,
        "given_count": given,
        "received_count": received,
        "revenue_generated": generated,
        "revenue_received": got,
    }


def pair_row(a, b, ab, ba, rab, rba, ratio, lopsided):
    """One expected entry of ``pairs``."""
    return {
        "a": a,
        "b": b,
        "count_a_to_b": ab,
        "count_b_to_a": ba,
        "revenue_a_to_b": rab,
        "revenue_b_to_a": rba,
        "lopsidedness": ratio,
        "lopsided": lopsided,
    }


def test_admin_sees_the_exact_balance_of_june(app, api, four):
    a, b, c, d = (four.ids[n] for n in "ABCD")
    api.as_user(four.admin)
    response = api.get(four.url(JUNE))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "period": {"from": "2026-06-01", "to": "2026-06-30"},
        "members": [
            member_row(admin_membership_id(app, four), 0, 0, "0.00", "0.00"),
            member_row(a, 3, 1, "1000.00", "10.00"),
            member_row(b, 1, 2, "10.00", "1000.00"),
            member_row(c, 1, 2, "500.00", "450.00"),
            member_row(d, 1, 1, "450.00", "500.00"),
        ],
        "pairs": [
            # B earned 1,000.00 thanks to A, A 10.00 thanks to B: |990| / 1010 = 0.98019…
            pair_row(a, b, 2, 1, "1000.00", "10.00", 0.9802, True),
            pair_row(a, c, 1, 0, "0.00", "0.00", None, False),  # no revenue: not defined
            pair_row(c, d, 1, 1, "500.00", "450.00", 0.0526, False),  # 50 / 950
        ],
    }


def test_lopsidedness_is_a_json_number_with_four_decimals(api, four):
    api.as_user(four.admin)
    raw = api.get(four.url(JUNE)).get_data(as_text=True)
    assert '"lopsidedness":0.9802' in raw.replace(" ", "")
    assert '"revenue_a_to_b":"1000.00"' in raw.replace(" ", "")


def test_a_member_sees_every_count_but_only_their_own_revenue(api, four):
    a, b, c, d = (four.ids[n] for n in "ABCD")
    api.as_user(four.users["C"])
    body = api.get(four.url(JUNE)).get_json()
    members = {m["member_id"]: m for m in body["members"]}
    assert members[c] == member_row(c, 1, 2, "500.00", "450.00")
    assert members[a] == member_row(a, 3, 1, None, None)
    assert members[b] == member_row(b, 1, 2, None, None)
    assert body["pairs"] == [
        pair_row(a, b, 2, 1, None, None, None, None),  # not C's business
        pair_row(a, c, 1, 0, "0.00", "0.00", None, False),
        pair_row(c, d, 1, 1, "500.00", "450.00", 0.0526, False),
    ]


def test_the_members_of_a_lopsided_pair_see_it(api, four):
    a, b = four.ids["A"], four.ids["B"]
    api.as_user(four.users["B"])
    pairs = {(p["a"], p["b"]): p for p in api.get(four.url(JUNE)).get_json()["pairs"]}
    assert pairs[(a, b)] == pair_row(a, b, 2, 1, "1000.00", "10.00", 0.9802, True)
    assert pairs[(four.ids["C"], four.ids["D"])]["revenue_a_to_b"] is None


def test_a_circle_may_open_all_revenue_to_its_members(app, api, four):
    a, b = four.ids["A"], four.ids["B"]
    with app.app_context():
        db.session.execute(
            update(Circle).where(Circle.id == four.circle_id).values(revenue_open_to_members=True)
        )
        db.session.commit()
    api.as_user(four.users["C"])
    body = api.get(four.url(JUNE)).get_json()
    members = {m["member_id"]: m for m in body["members"]}
    assert members[a] == member_row(a, 3, 1, "1000.00", "10.00")
    assert body["pairs"][0] == pair_row(a, b, 2, 1, "1000.00", "10.00", 0.9802, True)


def test_the_circles_threshold_decides_what_is_lopsided(app, api, four):
    a, b, c, d = (four.ids[n] for n in "ABCD")
    with app.app_context():
        db.session.execute(
            update(Circle).where(Circle.id == four.circle_id).values(lopsided_threshold_pct=5)
        )
        db.session.commit()
    api.as_user(four.admin)
    pairs = {(p["a"], p["b"]): p["lopsided"] for p in api.get(four.url(JUNE)).get_json()["pairs"]}
    assert pairs == {(a, b): True, (a, c): False, (c, d): True}  # 0.0526 ≥ 0.05


# --- periods -----------------------------------------------------------------------


def counts(body) -> dict:
    """``{(a, b): (count_a_to_b, count_b_to_a)}`` of a balance document."""
    return {(p["a"], p["b"]): (p["count_a_to_b"], p["count_b_to_a"]) for p in body["pairs"]}


def test_both_ends_of_a_period_are_included(api, four):
    a, b, c, d = (four.ids[n] for n in "ABCD")
    api.as_user(four.admin)
    day = api.get(four.url("from=2026-06-10&to=2026-06-10")).get_json()
    assert counts(day) == {(a, b): (2, 1), (a, c): (1, 0), (c, d): (1, 1)}
    wide = api.get(four.url("from=2026-05-31&to=2026-07-01")).get_json()
    assert wide["period"] == {"from": "2026-05-31", "to": "2026-07-01"}
    assert counts(wide) == {(a, b): (3, 2), (a, c): (1, 0), (c, d): (1, 1)}
    may = api.get(four.url("from=2026-05-01&to=2026-05-31")).get_json()
    assert counts(may) == {(a, b): (0, 1)}
    assert may["pairs"][0]["revenue_a_to_b"] == "800.00"  # closed on 20 May
    after = api.get(four.url("from=2026-06-11&to=2026-06-30")).get_json()
    assert after["pairs"] == []
    assert all(m["given_count"] == 0 for m in after["members"])


def completed_months(months: int) -> tuple[str, str]:
    """The last ``months`` completed calendar months before today in Berlin."""
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    first = today.replace(day=1)
    index = first.year * 12 + first.month - 1 - months
    return date(index // 12, index % 12 + 1, 1).isoformat(), (first - timedelta(days=1)).isoformat()


def test_the_default_is_the_last_six_completed_months(api, four):
    api.as_user(four.admin)
    body = api.get(four.url()).get_json()
    start, end = completed_months(6)
    assert body["period"] == {"from": start, "to": end}
    assert body == api.get(four.url(f"from={start}&to={end}")).get_json()
    assert api.get(four.url("period=six_months")).get_json() == body


def test_named_periods_twelve_months_and_all(api, four):
    a, b = four.ids["A"], four.ids["B"]
    api.as_user(four.admin)
    start, end = completed_months(12)
    assert api.get(four.url("period=twelve_months")).get_json()["period"] == {
        "from": start,
        "to": end,
    }
    everything = api.get(four.url("period=all")).get_json()
    today = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
    assert everything["period"] == {"from": "2000-01-01", "to": today}
    assert counts(everything)[(a, b)] == (3, 2)
    ab = everything["pairs"][0]
    assert (ab["revenue_a_to_b"], ab["revenue_b_to_a"]) == ("1800.00", "10.00")
    assert api.get(four.url("period=custom&" + JUNE)).get_json()["period"] == {
        "from": "2026-06-01",
        "to": "2026-06-30",
    }


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-06-30&to=2026-06-01", "from", "The start must not be after the end."),
        ("from=2026-13-01&to=2026-12-31", "from", "Enter a date as YYYY-MM-DD"),
        ("from=2026-02-30&to=2026-03-31", "from", "Enter a date as YYYY-MM-DD"),
        ("from=01.06.2026&to=2026-06-30", "from", "Enter a date as YYYY-MM-DD"),
        ("from=2026-06-01&to=", "to", "Enter a date as YYYY-MM-DD"),
        ("from=2026-06-01", "to", "Give both from and to."),
        ("to=2026-06-01", "from", "Give both from and to."),
        ("period=weekly", "period", "Must be one of: six_months, twelve_months, all, custom."),
        ("period=all&" + JUNE, "period", "Give either a period or from and to, not both."),
        ("period=custom", "from", "Please give a start and an end date."),
        ("from=1999-12-31&to=2000-01-31", "from", "The start cannot be before 2000."),
        ("since=2026-06-01", "since", "Unknown field."),
    ],
)
def test_bad_periods_are_refused_with_422(api, four, query, field, message):
    api.as_user(four.admin)
    body = assert_problem(
        api.get(four.url(query), headers={"Accept-Language": "en"}), 422, "validation_error"
    )
    assert list(body["errors"]) == [field]
    assert body["errors"][field][0].startswith(message)


def test_refusals_are_german_for_german_callers(api, four):
    api.as_user(four.admin)
    body = assert_problem(
        api.get(four.url("from=2026-06-30&to=2026-06-01"), headers={"Accept-Language": "de"}),
        422,
        "validation_error",
    )
    assert body["errors"]["from"] != ["The start must not be after the end."]


# --- who may ask -------------------------------------------------------------------


def test_other_circles_and_unknown_ids_are_not_found(api, make, four):
    stranger = make.user()
    theirs = make.circle(admin=stranger)
    api.as_user(four.users["A"])
    for circle_id in (theirs.id, 424242, 2**31, 10**30):
        assert_problem(api.get(f"/api/v1/circles/{circle_id}/balance"), 404, "not_found")
        assert_problem(
            api.get(f"/api/v1/circles/{circle_id}/balance?from=2026-06-30&to=2026-06-01"),
            404,
            "not_found",
        )
    api.as_user(stranger)
    assert_problem(api.get(four.url(JUNE)), 404, "not_found")


@pytest.mark.parametrize("status", ["applicant", "waitlisted", "invited", "left", "removed"])
def test_people_without_an_active_seat_get_404(api, make, four, status):
    user = make.user()
    make.member(make.circle(), user)  # active elsewhere
    make.member(Circle(id=four.circle_id), user, status=status)
    api.as_user(user)
    assert_problem(api.get(four.url(JUNE)), 404, "not_found")


def test_a_token_is_required_and_must_be_valid(app, api, four):
    response = api.client.get(four.url(JUNE))
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad = api.client.get(four.url(JUNE), headers={"Authorization": "Bearer nope"})
    assert_problem(bad, 401, "unauthorized")
    api.as_user(four.users["A"])
    with app.app_context():
        db.session.execute(update(ApiToken).values(revoked_at=utcnow()))
        db.session.commit()
    assert_problem(api.get(four.url(JUNE)), 401, "unauthorized")


def test_only_get_is_offered(api, four):
    api.as_user(four.admin)
    response = api.post(four.url(), json={})
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"].split(", ").count("GET") == 1


# --- fixed number of queries ---------------------------------------------------------


def test_at_most_six_queries_for_five_and_for_forty_members(app, api, make, four, count_queries):
    """Token lookup (its last_used_at moves once a minute), the seat check, and compute's
    statements."""
    api.as_user(four.admin)
    api.get(four.url(JUNE))  # a first call: the token's first use
    with count_queries() as small:
        response = api.get(four.url(JUNE))
    assert response.status_code == 200
    assert len(response.get_json()["members"]) == 5

    circle = Circle(id=four.circle_id)
    ids = [make.member(circle, profession=f"Beruf {n}").id for n in range(35)]
    record(
        app,
        four.circle_id,
        referrals=[
            (giver, ids[(i + k) % 35], date(2026, 6, 1 + k))
            for i, giver in enumerate(ids)
            for k in (1, 2)
        ],
        business=[
            (ids[(i + 1) % 35], giver, 1_000 + i, date(2026, 6, 5)) for i, giver in enumerate(ids)
        ],
    )
    with count_queries() as large:
        response = api.get(four.url(JUNE))
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["members"]) == 40 and len(body["pairs"]) == 3 + 70
    assert small.count == large.count, large.statements
    assert large.count <= 6, large.statements


def test_the_document_describes_the_balance(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/circles/{circle_id}/balance"]["get"]
    assert set(operation["responses"]) == {"200", "401", "404", "422"}
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/BalanceOut"}
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"circle_id", "period", "from", "to"}
    pair = doc["components"]["schemas"]["PairBalanceOut"]["properties"]
    assert set(pair) == {
        "a",
        "b",
        "count_a_to_b",
        "count_b_to_a",
        "revenue_a_to_b",
        "revenue_b_to_a",
        "lopsidedness",
        "lopsided",
    }
    assert pair["revenue_a_to_b"]["type"] == ["string", "null"]


def test_the_ratio_in_integers_equals_the_rounded_fraction():
    """The API's lopsidedness, rounded in integers, is exactly ``float(round(L, 4))``,
    ties (half to even) included."""
    rng = random.Random(15)
    values = [Fraction(1, 2), Fraction(1, 20000), Fraction(3, 20000), Fraction(5, 8), Fraction(0)]
    values += [Fraction(1, 1)]
    for _ in range(20_000):
        total = rng.randrange(1, 10**9)
        values.append(Fraction(rng.randrange(0, total + 1), total))
    for value in values:
        assert ratio(value) == float(round(value, 4)), value
    assert ratio(None) is None


@pytest.mark.parametrize("who", ["admin", "C"])
@pytest.mark.parametrize("kind", ["custom", "all"])
def test_the_answer_skips_the_schema_and_equals_its_dump(app, four, who, kind):
    """The balance is answered as built (``Dumped``): exactly what ``BalanceOut`` would
    write, hidden revenue (None), ratios and the period included."""
    user = four.admin if who == "admin" else four.users[who]
    with app.test_request_context():
        circle = db.session.get(Circle, four.circle_id)
        actor = active_membership(user, circle.id)
        start, end = (date(2026, 6, 1), date(2026, 6, 30)) if kind == "custom" else (None, None)
        balance = visible_balance(compute(circle, period_for(circle, kind, start, end)), actor)
        document = balance_document(balance)
        dumped = as_dumped(document).document
        assert dumped == BalanceOut().dump(document)
        assert any(p["revenue_a_to_b"] is None for p in dumped["pairs"]) == (who != "admin")


def test_each_viewer_gets_their_own_document_and_a_new_one_after_a_slip(app, api, four):
    """The documents kept in memory (``circle.api.balance``) are per viewer: an admin, and
    members who each see only their own pairs' revenue, asked in turn and again, each get
    exactly what their own visibility gives; a slip written in between is in the next."""

    def expected(user) -> dict:
        with app.test_request_context():
            circle = db.session.get(Circle, four.circle_id)
            actor = active_membership(user, circle.id)
            balance = compute(
                circle, period_for(circle, "custom", date(2026, 6, 1), date(2026, 6, 30))
            )
            return BalanceOut().dump(balance_document(visible_balance(balance, actor)))

    viewers = [four.admin, four.users["A"], four.users["C"], four.admin, four.users["A"]]
    seen = []
    for user in viewers:
        api.as_user(user)
        response = api.get(four.url(JUNE))
        assert response.status_code == 200
        assert response.get_json() == expected(user)
        seen.append(response.get_json())
    assert seen[0] != seen[1] != seen[2]
    assert seen[0] == seen[3] and seen[1] == seen[4]

    record(app, four.circle_id, referrals=[(four.ids["C"], four.ids["D"], date(2026, 6, 20))])
    api.as_user(four.users["C"])
    response = api.get(four.url(JUNE))
    assert response.get_json() == expected(four.users["C"]) != seen[2]


def test_a_repeat_request_for_the_same_document_is_answered_304(app, api, four):
    """The balance carries an entity tag (and stays no-store); asked again with it, the
    answer is 304 without a body until a slip changes the document; another viewer's tag
    is not theirs."""
    api.as_user(four.admin)
    first = api.get(four.url(JUNE))
    tag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    again = api.get(four.url(JUNE), headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""
    api.as_user(four.users["A"])
    member = api.get(four.url(JUNE), headers={"If-None-Match": tag})
    assert member.status_code == 200 and member.headers["ETag"] != tag
    api.as_user(four.admin)
    record(app, four.circle_id, referrals=[(four.ids["C"], four.ids["D"], date(2026, 6, 20))])
    changed = api.get(four.url(JUNE), headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
