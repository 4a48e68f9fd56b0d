"""Crash safety on PostgreSQL: SIGKILL the app server while writes are in flight.

The app runs under real gunicorn (2 sync workers, as in the README) on a database made
for this test by ``flask db upgrade``. Six members post referrals and closed business
through the JSON API while the test SIGKILLs a worker caught serving a request (the master
respawns it), again and again, and finally kills the master and its workers together.
With the server dead:

- every write the client saw acknowledged (201 with its id) is stored as sent;
- no half-written row: each referral and closed business has exactly one ``create``
  audit entry matching it, and each such entry its row; a referral marked won by a
  closed business has its ``status`` entry and its business, and only those;
- nothing stored that no client sent, nothing stored twice;
- the balance service's totals equal the sums of the stored rows.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import select

from circle import create_app
from circle.auth.services import create_api_token, create_invited_user
from circle.auth.verification import mark_confirmed
from circle.balance.periods import period_for
from circle.balance.services import compute
from circle.circles.services import CircleSettings, create_circle
from circle.core.weeks import today_for
from circle.db import unit_of_work
from circle.extensions import db
from circle.membership.services import seat_directly
from circle.models import AuditEntry, Circle, ClosedBusiness, Membership, Referral
from tests.apps import BACKEND_URL
from tests.security import crash_helpers as crash

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

CLIENTS = 6  # members posting at the same time, one thread each
KILLS = 4  # workers SIGKILLed (and respawned) before the final kill of everything
WRITES_BETWEEN_KILLS = 5  # acknowledged writes to wait for after each respawn


@dataclass
class Ledger:
    """What the clients sent and what the server acknowledged, shared by the threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent_notes: set[str] = field(default_factory=set)
    referrals: dict[int, dict] = field(default_factory=dict)  # acknowledged id -> body
    businesses: dict[int, dict] = field(default_factory=dict)
    open_received: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    unexpected: list[tuple[int, str]] = field(default_factory=list)  # answers other than 201
    lost: int = 0  # requests without an answer (connection cut by a kill)

    @property
    def acknowledged(self) -> int:
        """How many writes were acknowledged so far."""
        with self.lock:
            return len(self.referrals) + len(self.businesses)


def seed(app) -> tuple[int, list[tuple[int, str]], date]:
    """A circle with an admin and six members made by the services; one token each.

    Returns the circle id, ``(membership id, token)`` per member and the circle's today.
    """
    with app.test_request_context(), unit_of_work(db.session):
        admin = create_invited_user("admin@crash.example", "Ada Admin")
        mark_confirmed(admin)
        circle = create_circle(admin, CircleSettings(name="Kreis Absturz"), "Beratung")
        admin_seat = db.session.execute(
            select(Membership).where(Membership.circle_id == circle.id)
        ).scalar_one()
        members = []
        for i in range(CLIENTS):
            seat = seat_directly(
                circle, admin_seat, f"m{i}@crash.example", f"Mitglied {i}", f"Beruf {i}"
            )
            _, token = create_api_token(seat.user, "crash")
            members.append((seat.id, token))
        circle_id, today = circle.id, today_for(circle)
    return circle_id, members, today


def post(port: int, token: str, path: str, body: dict) -> tuple[int, dict]:
    """POST JSON with a bearer token; raises OSError/HTTPException when the server dies."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw or b"{}")
    finally:
        conn.close()


def client_loop(port, circle_id, me, token, others, today, ledger, stop, seed_value):
    """Post referrals and closed business until ``stop``; record every acknowledgement."""
    rng = random.Random(seed_value)
    base = f"/api/v1/circles/{circle_id}"
    n = 0
    while not stop.is_set():
        n += 1
        note = f"crash-{me}-{n}"
        with ledger.lock:
            waiting = ledger.open_received.get(me) or []
            link = waiting.pop() if waiting and rng.random() < 0.5 else None
        if link or rng.random() < 0.4:
            giver, referral_id = link or (rng.choice(others), None)
            kind, path = "business", f"{base}/closed-business"
            amount = rng.randint(1, 500_000)  # minor units
            body = {
                "giver_id": giver,
                "amount": f"{amount // 100}.{amount % 100:02d}",
                "closed_on": today.isoformat(),
                "kind": rng.choice(("new", "repeat")),
                "referral_id": referral_id,
                "note": note,
            }
            expected = {"thanked_id": giver, "reporter_id": me, "amount_minor": amount}
            expected["referral_id"] = referral_id
        else:
            receiver = rng.choice(others)
            kind, path = "referral", f"{base}/referrals"
            hotness = rng.randint(1, 5)
            body = {
                "receiver_id": receiver,
                "given_on": today.isoformat(),
                "kind": "inside",
                "hotness": hotness,
                "note": note,
            }
            expected = {"giver_id": me, "receiver_id": receiver, "hotness": hotness}
        with ledger.lock:
            ledger.sent_notes.add(note)
        try:
            status, answer = post(port, token, path, body)
        except (OSError, http.client.HTTPException):
            with ledger.lock:
                ledger.lost += 1
            time.sleep(0.02)  # the master respawns the worker; the next try queues for it
            continue
        with ledger.lock:
            if status != 201:
                ledger.unexpected.append((status, json.dumps(answer)[:300]))
            elif kind == "referral":
                ledger.referrals[answer["id"]] = expected | {"note": note}
                ledger.open_received.setdefault(expected["receiver_id"], []).append(
                    (me, answer["id"])
                )
            else:
                ledger.businesses[answer["id"]] = expected | {"note": note}


def wait_for_writes(ledger: Ledger, count: int, seconds: float = 30.0) -> None:
    """Wait until ``count`` writes are acknowledged in total (bounded)."""
    deadline = time.monotonic() + seconds
    while ledger.acknowledged < count:
        assert time.monotonic() < deadline, (
            f"only {ledger.acknowledged} writes acknowledged, {ledger.unexpected[:3]}"
        )
        time.sleep(0.02)


def test_sigkilled_workers_lose_no_acknowledged_write_and_leave_no_half_write(tmp_path):
    name = f"circle_crash_{os.getpid()}"
    with crash.throwaway_database(BACKEND_URL, name) as url:
        env = crash.server_env(url, tmp_path / "outbox")
        crash.flask_db_upgrade(env)
        app = create_app({"CIRCLE_ENV": "test", "SQLALCHEMY_DATABASE_URI": url})
        circle_id, members, today = seed(app)
        with app.app_context():
            db.engine.dispose()  # no pooled connection of ours lingers during the load

        ledger, stop = Ledger(), threading.Event()
        port, log = crash.free_port(), tmp_path / "gunicorn.log"
        server = crash.start_gunicorn(env, port, log)
        threads: list[threading.Thread] = []
        killed: list[int] = []
        try:
            crash.wait_until_healthy(server, port, log)
            seats = [seat for seat, _ in members]
            for i, (seat, token) in enumerate(members):
                others = [s for s in seats if s != seat]
                args = (port, circle_id, seat, token, others, today, ledger, stop, i)
                threads.append(threading.Thread(target=client_loop, args=args, daemon=True))
            for thread in threads:
                thread.start()
            wait_for_writes(ledger, WRITES_BETWEEN_KILLS)
            workers = crash.wait_for_workers(server.pid, 2, set())
            for _round in range(KILLS):
                victim = min(crash.wait_for_busy(workers, port))
                crash.kill(victim)
                killed.append(victim)
                workers = crash.wait_for_workers(server.pid, 2, set(killed))
                wait_for_writes(ledger, ledger.acknowledged + WRITES_BETWEEN_KILLS)
            # The end: master and workers die together, requests still in flight.
            crash.wait_for_busy(workers, port)
            crash.kill(server.pid)
            for pid in workers:
                crash.kill(pid)
            server.wait(timeout=10)
        finally:
            stop.set()
            crash.kill_group(server)
            for thread in threads:
                thread.join(timeout=15)
        assert not any(thread.is_alive() for thread in threads)
        deadline = time.monotonic() + 10
        while any(crash.alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(crash.alive(pid) for pid in workers), "a worker survived SIGKILL"

        assert ledger.unexpected == [], ledger.unexpected[:5]
        assert len(killed) == KILLS and ledger.lost >= 1  # the kills really cut requests
        with app.app_context():
            try:
                check_database(circle_id, ledger)
            finally:
                db.session.remove()
                db.engine.dispose()


def check_database(circle_id: int, ledger: Ledger) -> None:
    """Compare the stored rows with the acknowledgements, the audit trail and the balance."""
    referrals = {
        r.id: r
        for r in db.session.execute(select(Referral).where(Referral.circle_id == circle_id))
        .unique()
        .scalars()
    }
    businesses = {
        b.id: b
        for b in db.session.execute(
            select(ClosedBusiness).where(ClosedBusiness.circle_id == circle_id)
        )
        .unique()
        .scalars()
    }
    audits = list(
        db.session.execute(select(AuditEntry).where(AuditEntry.circle_id == circle_id)).scalars()
    )

    # Every acknowledged write is stored, exactly as sent.
    for ack_id, sent in ledger.referrals.items():
        row = referrals.get(ack_id)
        assert row is not None, f"acknowledged referral {ack_id} is missing"
        assert {k: getattr(row, k) for k in sent} == sent
    for ack_id, sent in ledger.businesses.items():
        row = businesses.get(ack_id)
        assert row is not None, f"acknowledged closed business {ack_id} is missing"
        assert {k: getattr(row, k) for k in sent} == sent

    # Nothing stored that no client sent, nothing stored twice.
    notes = Counter(r.note for r in [*referrals.values(), *businesses.values()])
    assert set(notes) <= ledger.sent_notes
    assert max(notes.values()) == 1
    assert all(r.import_id is None for r in [*referrals.values(), *businesses.values()])

    # One create entry per row and one row per create entry, both saying the same.
    for entity, rows, fields in (
        ("referral", referrals, ("giver_id", "receiver_id", "hotness", "note")),
        ("closed_business", businesses, ("thanked_id", "reporter_id", "amount_minor", "note")),
    ):
        creates = [a for a in audits if a.entity == entity and a.action == "create"]
        audited = Counter(a.entity_id for a in creates)
        assert set(rows) - set(audited) == set(), f"{entity} rows without a create entry"
        assert set(audited) - set(rows) == set(), f"create entries without a {entity} row"
        assert max(audited.values()) == 1, f"{entity} rows with several create entries"
        assert len(creates) == len(rows)
        for entry in creates:
            row = rows[entry.entity_id]
            assert {k: entry.after[k] for k in fields} == {k: getattr(row, k) for k in fields}
            if entity == "referral":
                assert entry.after["status"] == "new"

    # A referral is won exactly when a closed business names it and its status was audited.
    won = {r.id for r in referrals.values() if r.status == "won"}
    linked = [b.referral_id for b in businesses.values() if b.referral_id is not None]
    status_entries = [a for a in audits if a.entity == "referral" and a.action == "status"]
    assert Counter(linked) == Counter(won)
    assert Counter(a.entity_id for a in status_entries) == Counter(won)
    assert all(a.after == {"status": "won"} for a in status_entries)
    assert {r.status for r in referrals.values()} <= {"new", "won"}
    assert not {a.action for a in audits} - {"create", "status"}

    # The balance service adds up to the rows.
    circle = db.session.get(Circle, circle_id)
    balance = compute(circle, period_for(circle, "all"))
    assert balance.revenue_total == sum(b.amount_minor for b in businesses.values())
    for member in balance.members.values():
        me = member.member_id
        assert member.given_count == sum(r.giver_id == me for r in referrals.values())
        assert member.received_count == sum(r.receiver_id == me for r in referrals.values())
        assert member.revenue_generated == sum(
            b.amount_minor for b in businesses.values() if b.thanked_id == me
        )
        assert member.revenue_received == sum(
            b.amount_minor for b in businesses.values() if b.reporter_id == me
        )
    assert len(referrals) >= len(ledger.referrals) > 0
    assert len(businesses) >= len(ledger.businesses) > 0
