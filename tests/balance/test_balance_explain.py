"""EXPLAIN on PostgreSQL: the balance's aggregate queries read the (circle_id, date) indexes.

The statements are the ones ``circle.balance.services.compute`` really sends (captured with
an event listener while it runs), planned with their real parameters on a database big
enough that reading whole tables would be the wrong plan: 20,000 referrals and about
6,000 closed-business entries across ten circles over five years, then ANALYZE.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, text

from circle.balance import totals
from circle.balance.periods import period_for
from circle.balance.services import compute
from circle.core.clock import utcnow
from circle.core.weeks import today_for
from circle.models import Circle, ClosedBusiness, Referral

pytestmark = pytest.mark.postgres_only

CIRCLES = 10
REFERRALS_PER_CIRCLE = 2_000
INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}


def fill(db, circles: list[tuple[Circle, list[int]]], seed: int = 4) -> None:
    """Bulk-insert five years of referrals (30 % with closed business, 2 % voided)."""
    rng = random.Random(seed)
    today = today_for(circles[0][0])
    referrals, business = [], []
    for circle, members in circles:
        for _ in range(REFERRALS_PER_CIRCLE):
            giver, receiver = rng.sample(members, 2)
            day = today - timedelta(days=rng.randrange(5 * 365))
            voided = rng.random() < 0.02
            referrals.append(
                {
                    "circle_id": circle.id,
                    "giver_id": giver,
                    "receiver_id": receiver,
                    "given_on": day,
                    "kind": "inside",
                    "hotness": 3,
                    "status": "new",
                    "voided_at": utcnow() if voided else None,
                    "void_reason": "Doppelt" if voided else None,
                }
            )
            if rng.random() < 0.3:
                business.append(
                    {
                        "circle_id": circle.id,
                        "thanked_id": giver,
                        "reporter_id": receiver,
                        "amount_minor": rng.randrange(1_000, 2_000_000),
                        "currency": "EUR",
                        "closed_on": min(today, day + timedelta(days=rng.randrange(60))),
                        "kind": "new",
                    }
                )
    db.session.execute(insert(Referral), referrals)
    db.session.execute(insert(ClosedBusiness), business)
    db.session.flush()
    db.session.execute(text("ANALYZE referrals"))
    db.session.execute(text("ANALYZE closed_business"))


def plan_nodes(plan: dict):
    """Every node of a JSON plan, depth first."""
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


@pytest.fixture
def big(make, db, ctx):
    """Ten circles of five members each and their five years of history."""
    circles = []
    for n in range(CIRCLES):
        circle = make.circle(name=f"Kreis {n}")
        members = [make.member(circle, profession=f"Beruf {n}-{k}").id for k in range(4)]
        circles.append((db.session.get(Circle, circle.id), members))
    fill(db, circles)
    return circles[3][0]


def captured_aggregates(db, circle: Circle) -> dict[str, tuple[str, object]]:
    """The statements ``compute`` sends for referrals and closed business, with parameters."""
    seen: list[tuple[str, object]] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        compute(circle, period_for(circle))
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    found = {}
    for statement, parameters in seen:
        for table in ("referrals", "closed_business"):
            if f"FROM {table}" in statement and "GROUP BY" in statement:
                found[table] = (statement, parameters)
    return found


@pytest.mark.parametrize(
    ("table", "index"),
    [
        ("referrals", "ix_referrals_circle_id_given_on"),
        ("closed_business", "ix_closed_business_circle_id_closed_on"),
    ],
)
def test_the_aggregates_read_the_circle_and_date_index(db, big, table, index):
    statements = captured_aggregates(db, big)
    assert set(statements) == {"referrals", "closed_business"}
    statement, parameters = statements[table]
    connection = db.session.connection()
    explained = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
    plan = explained.scalar_one()[0]["Plan"]
    nodes = list(plan_nodes(plan))
    scans = [(n["Node Type"], n.get("Index Name"), n.get("Relation Name")) for n in nodes]
    assert any(kind in INDEX_SCANS and name == index for kind, name, _rel in scans), scans
    assert not any(
        kind == "Seq Scan" and rel in ("referrals", "closed_business") for kind, _n, rel in scans
    ), scans


def test_the_whole_history_reads_the_pair_totals_and_no_slip_table_whole(db, big):
    """Over the whole history the slips are read only outside the period (two empty index
    ranges); the figures come from the pair totals."""
    totals.rebuild()
    db.session.execute(text("ANALYZE pair_totals"))
    seen: list[tuple[str, object]] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        compute(big, period_for(big, "all"))
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    statement, parameters = next((s, p) for s, p in seen if "pair_totals" in s)
    connection = db.session.connection()
    explained = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
    nodes = list(plan_nodes(explained.scalar_one()[0]["Plan"]))
    scans = [(n["Node Type"], n.get("Index Name"), n.get("Relation Name")) for n in nodes]
    assert any(rel == "pair_totals" for _kind, _name, rel in scans), scans
    slips = [(kind, rel) for kind, _name, rel in scans if rel in ("referrals", "closed_business")]
    assert slips and all(kind in INDEX_SCANS for kind, _rel in slips), scans
