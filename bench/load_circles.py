"""Load test: 50 circles of 40 members entering referral slips at once (issue 16, item 8).

    .venv/bin/python bench/load_circles.py [--seconds 30] [--connections 50] [--workers 2]
        [--logins-per-circle 40] [--no-follow] [--json bench/results/load-circles.json]

What it measures: how many slips a server of Circle takes per second, and how long a
member waits for the save, when every circle of a region enters its week's slips at the
same time. It is the hardest case for the write path: every slip is one transaction that
inserts the referral, upserts its pair's running total (``pair_totals``, one row per
giver and receiver, locked by the upsert), writes the audit entry and the receiver's
mail into the outbox, and wakes the mail worker on the queue; with all 50 circles
writing, half the requests are such transactions (the other half the slip page a member
sees again after saving) and no idle circle leaves the server time to catch up.

The script

1. creates the database ``circle_load`` on the local server when it is missing
   (``BENCH_DATABASE_URL`` to point it elsewhere) and rebuilds its schema from the
   migrations on every run: do not point this at real data;
2. builds 50 circles of 40 active members each (``bench.support.make_circle``: real
   professions, one admin, 39 members; every member can log in), 2,000 accounts, and
   plans each circle's coming meetings (what the first login would do);
3. starts Redis for the task queue (``QUEUE_URL``, as in production; without
   ``redis-server`` the commit does not wake a worker) and gunicorn (``--workers`` sync
   workers, default 2 as in ``bench/pages.py``: 4 took about half as many slips a second
   on 2 cores in short trials; production mode, on a free loopback port) with the login
   rate limits off
   (``RATELIMIT_ENABLED=false`` in its environment: 2,000 logins come from one address);
4. logs members in through the login form over HTTP (``--logins-per-circle``, default
   all 40, so 2,000 members spread over all 50 circles), each in a session of its own,
   and opens each one's quick slip page (``/circles/<id>/slips/new``) for its CSRF token,
   requiring the form's field names to be there;
5. runs ``--connections`` client threads (default 50) for ``--seconds`` (default 30): the
   members are dealt out so that thread *k* serves circle *k* mod 50, its members taking
   turns; each turn a member sends the real quick slip form (session cookie, CSRF token)
   with one referral to a fellow member (receivers in turn, a unique note) and, as a
   browser does, follows the redirect back to the slip page (``--no-follow``: only the
   POSTs). No think time: every thread sends its next request as soon as the last one was
   answered. No new turn starts after ``--seconds``; the requests in flight are waited
   for, so every request sent has an answer;
6. checks the database: the notes of the slips written are exactly the notes of the
   POSTs answered with the redirect (nothing lost, nothing written twice, nothing written
   for a refused request), every circle got slips, each slip has its audit entry and its
   outbox mail, and every pair's running total equals its slips;
7. measures ``/healthz`` (``SELECT 1``) just before and just after the slips with the same
   number of connections (``wrk`` when installed, as ``bench/pages.py`` does), a gauge of
   how fast the machine was at the time: on a shared machine, compare slips/s with it;
8. prints and (``--json``) saves: requests/s, slips/s, latency p50/p95/p99 of the slip
   POSTs, of the page GETs and of all requests, errors (a slip POST answered otherwise
   than by the redirect back to the form, a page GET answered otherwise than 200, so
   every 4xx and 5xx; a socket error or time-out), the load generator's own CPU.

The load generator is Python (threads, ``http.client``) rather than ``wrk``: wrk stops with
requests in flight, whose slips may be written without an answer counted, and cannot tell
which answer belongs to which slip; here each answer is matched to its slip by its note.
Its CPU is reported (a few per cent of one core at these rates).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.pages import machine  # noqa: E402
from bench.support import (  # noqa: E402
    PROFESSIONS,
    _percentile,
    bench_app,
    bench_database_url,
    ensure_database,
    free_port,
    fresh_schema,
    http_get,
    load,
    login_over_http,
    make_circle,
    session_cookie,
    start_gunicorn,
    stop,
)
from circle.core.weeks import today_for  # noqa: E402
from circle.db import unit_of_work  # noqa: E402
from circle.extensions import db  # noqa: E402
from circle.meetings.schedule import ensure_meetings  # noqa: E402
from circle.models import Circle  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/circle_load"
CIRCLES = 50
MEMBERS = 40
#: The quick slip form's fields this script sends (the page must carry every one).
FORM = "give-"
ROW = FORM + "rows-0-"
FORM_CSRF = re.compile(rf'name="{FORM}csrf_token" type="hidden" value="([^"]+)"')
FIELDS = (
    "receiver_id",
    "given_on",
    "kind",
    "hotness",
    "sphere",
    "prospect_name",
    "prospect_phone",
    "prospect_email",
    "note",
)
NOTE = "load {thread}-{turn}"
NOTE_PATTERN = "load %"
TIMEOUT = 30.0  # seconds a client waits for an answer (gunicorn's own worker time-out)


@dataclass
class Member:
    """A member who enters slips: where, as whom, to whom."""

    circle_id: int
    membership_id: int
    email: str
    receivers: list[int]
    cookie: str = ""
    csrf: str = ""

    @property
    def path(self) -> str:
        return f"/circles/{self.circle_id}/slips/new"


@dataclass
class Sample:
    """One request: what it was, how it ended, how long it took."""

    kind: str  # "slip" (the POST) or "page" (the GET after the redirect)
    status: int  # 0: no answer (socket error or time-out)
    ms: float
    ok: bool
    note: str = ""


@dataclass
class Run:
    """What the threads measured."""

    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: float = 0.0  # the load generator's own CPU seconds
    problems: Counter = field(default_factory=Counter)


# --- the circles -----------------------------------------------------------------------


def build(app, logins_per_circle: int) -> tuple[list[Member], date]:
    """50 circles of 40 active members; the members who log in, in turn by circle."""
    by_circle = []
    with app.test_request_context():
        with unit_of_work(db.session):
            for n in range(1, CIRCLES + 1):
                circle_id, seats = make_circle(
                    f"load-admin{n}@example.org",
                    name=f"Kreis Last {n}",
                    members=MEMBERS,
                    professions=PROFESSIONS,
                    logins=MEMBERS,
                    member_email=f"load{n}-{{index}}@example.org",
                )
                circle = db.session.get(Circle, circle_id)
                ensure_meetings(circle)
                emails = [f"load-admin{n}@example.org"] + [
                    f"load{n}-{index}@example.org" for index in range(1, MEMBERS)
                ]
                by_circle.append(
                    [
                        Member(circle_id, seat, email, [other for other in seats if other != seat])
                        for seat, email in zip(seats, emails, strict=True)
                    ][:logins_per_circle]
                )
            today = today_for(circle)
        with unit_of_work(db.session):
            db.session.execute(text("ANALYZE"))
    # Member j of every circle before member j + 1 of any: thread k of the driver then
    # serves circle k mod 50 (see ``deal``).
    return [members[j] for j in range(logins_per_circle) for members in by_circle], today


# --- the servers -----------------------------------------------------------------------


def start_redis(folder: Path) -> tuple[subprocess.Popen | None, str]:
    """Debian's redis-server on a free loopback port for the task queue (None without it)."""
    server = shutil.which("redis-server")
    if server is None:
        return None, ""
    port = free_port()
    process = subprocess.Popen(
        [
            *(server, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder)),
            *("--save", "", "--appendonly", "no"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket_to(port):
                return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.1)
    process.terminate()
    sys.exit("redis-server did not answer within 15 s")


def socket_to(port: int) -> socket.socket:
    """A connected TCP socket to 127.0.0.1:``port`` (raises OSError while nobody listens)."""
    return socket.create_connection(("127.0.0.1", port), timeout=1)


def log_in(port: int, member: Member) -> None:
    """Log in through the form, open the quick slip page; keep cookie and CSRF token."""
    cookie = login_over_http(port, member.email)
    status, headers, body = http_get(port, member.path, cookie)
    page = body.decode()
    if status != 200:
        sys.exit(f"{member.path} as {member.email}: {status}")
    missing = [name for name in FIELDS if f'name="{ROW}{name}"' not in page]
    if missing:
        sys.exit(f"the quick slip form has no field {', '.join(ROW + m for m in missing)}")
    member.cookie = session_cookie(headers) or cookie  # the CSRF secret joined the session
    token = FORM_CSRF.search(page)
    if token is None:
        sys.exit(f"the quick slip form has no field {FORM}csrf_token")
    member.csrf = token.group(1)


def log_everyone_in(port: int, members: list[Member]) -> float:
    """Log every member in (eight at a time); the seconds it took."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for n, _ in enumerate(pool.map(lambda m: log_in(port, m), members), 1):
            if n % 250 == 0:
                print(f"  {n:,} of {len(members):,} logged in", file=sys.stderr)
    return time.perf_counter() - started


# --- the load --------------------------------------------------------------------------


def deal(members: list[Member], connections: int) -> list[list[Member]]:
    """Thread ``k`` gets every ``connections``-th member from ``k`` on."""
    return [members[k::connections] for k in range(connections) if members[k::connections]]


def slip_body(member: Member, receiver: int, today: date, note: str, turn: int) -> str:
    """The quick slip form as a browser sends it: one filled row."""
    return urlencode(
        {
            FORM + "csrf_token": member.csrf,
            ROW + "receiver_id": receiver,
            ROW + "given_on": today.isoformat(),
            ROW + "kind": "outside" if turn % 3 == 0 else "inside",
            ROW + "hotness": 1 + turn % 5,
            ROW + "sphere": "",
            ROW + "prospect_name": f"Interessent {turn}",
            ROW + "prospect_phone": "",
            ROW + "prospect_email": "",
            ROW + "note": note,
        }
    )


def send(port: int, method: str, path: str, cookie: str, body: str | None = None):
    """One request on a new connection: (status, Location, ms, the session cookie it set);
    status 0 on no answer."""
    headers = {"Cookie": cookie}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        status, location = response.status, response.getheader("Location", "")
        cookie = session_cookie(response.getheaders())
    except OSError:
        status, location, cookie = 0, "", ""
    finally:
        conn.close()
    return status, location, (time.perf_counter() - started) * 1000, cookie


def drive(port: int, crowds: list[list[Member]], today: date, seconds: float, follow: bool):
    """Every thread enters slips for its members in turn until ``seconds`` are up."""
    run = Run()
    lock = threading.Lock()
    start = threading.Barrier(len(crowds) + 1)

    def thread(number: int, members: list[Member]) -> None:
        mine: list[Sample] = []
        problems: Counter = Counter()
        turn = 0
        start.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            member = members[turn % len(members)]
            # Each member gives to its fellow members in turn, starting at a different one.
            rounds = turn // len(members)
            receiver = member.receivers[(rounds + member.membership_id) % len(member.receivers)]
            turn += 1
            note = NOTE.format(thread=number, turn=turn)
            body = slip_body(member, receiver, today, note, turn)
            status, location, ms, cookie = send(port, "POST", member.path, member.cookie, body)
            saved = status == 302 and location.split("?")[0].endswith(member.path)
            mine.append(Sample("slip", status, ms, saved, note))
            if not saved:
                problems[f"slip POST: {status or 'no answer'} {location}".strip()] += 1
                continue
            if follow:
                # As a browser: the cookie of the answer (it carries the "saved" message)
                # goes with the GET, which shows the message and takes it out again.
                status, _location, ms, cookie = send(port, "GET", location, cookie or member.cookie)
                member.cookie = cookie or member.cookie
                mine.append(Sample("page", status, ms, status == 200))
                if status != 200:
                    problems[f"slip page GET: {status or 'no answer'}"] += 1
        with lock:
            run.samples.extend(mine)
            run.problems.update(problems)

    threads = [
        threading.Thread(target=thread, args=(n, members), daemon=True)
        for n, members in enumerate(crowds, 1)
    ]
    for one in threads:
        one.start()
    cpu = time.process_time()
    start.wait()
    started = time.perf_counter()
    for one in threads:
        one.join(seconds + 2 * TIMEOUT + 30)
    run.elapsed = time.perf_counter() - started
    run.cpu = time.process_time() - cpu
    return run


# --- what the database holds -----------------------------------------------------------


def marks(app) -> dict[str, int]:
    """The highest ids of the tables a slip writes to (what was there before the load)."""
    with app.app_context():
        return {
            table: db.session.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar()
            for table in ("referrals", "audit_entries", "outbox_mails")
        }


def check(app, run: Run, before: dict[str, int]) -> dict:
    """Compare what the database holds with what the server answered."""
    answered = Counter(s.note for s in run.samples if s.kind == "slip" and s.ok)
    refused = {s.note for s in run.samples if s.kind == "slip" and not s.ok}
    with app.app_context():
        rows = db.session.execute(
            text("SELECT circle_id, note FROM referrals WHERE id > :id AND note LIKE :pattern"),
            {"id": before["referrals"], "pattern": NOTE_PATTERN},
        ).all()
        audited = db.session.execute(
            text(
                "SELECT count(*) FROM audit_entries WHERE id > :id "
                "AND entity = 'referral' AND action = 'create'"
            ),
            {"id": before["audit_entries"]},
        ).scalar()
        mails = db.session.execute(
            text("SELECT count(*) FROM outbox_mails WHERE id > :id"),
            {"id": before["outbox_mails"]},
        ).scalar()
        # Every pair's running total equals its live slips (no upsert lost a count).
        totals_off = db.session.execute(
            text(
                "SELECT count(*) FROM (SELECT circle_id, giver_id, receiver_id, count(*) AS n "
                "FROM referrals WHERE voided_at IS NULL GROUP BY 1, 2, 3) s "
                "FULL JOIN (SELECT circle_id, source_id, target_id, entries FROM pair_totals "
                "WHERE kind = 'referral' AND entries <> 0) t "
                "ON t.circle_id = s.circle_id AND t.source_id = s.giver_id "
                "AND t.target_id = s.receiver_id "
                "WHERE s.n IS DISTINCT FROM t.entries"
            )
        ).scalar()
    written = Counter(note for _circle, note in rows)
    per_circle = Counter(circle for circle, _note in rows)
    result = {
        "slips answered (302 back to the form)": sum(answered.values()),
        "slips written": len(rows),
        "answered, not written": len(set(answered) - set(written)),
        "written, not answered": len(set(written) - set(answered)),
        "written for a refused request": len(set(written) & refused),
        "written twice": sum(n - 1 for n in written.values() if n > 1),
        "circles with slips": len(per_circle),
        "slips per circle (min / max)": (
            f"{min(per_circle.values(), default=0)} / {max(per_circle.values(), default=0)}"
        ),
        "audit entries": audited,
        "outbox mails": mails,
        "pairs whose total differs from its slips": totals_off,
    }
    result["ok"] = (
        result["slips written"] == result["slips answered (302 back to the form)"]
        and not result["answered, not written"]
        and not result["written, not answered"]
        and not result["written twice"]
        and result["circles with slips"] == CIRCLES
        and audited == len(rows)
        and mails == len(rows)
        and not totals_off
    )
    return result


# --- the figures -----------------------------------------------------------------------


def latency(samples: list[Sample]) -> dict[str, float | None]:
    """p50, p95, p99 and the worst of ``samples`` in ms."""
    times = [s.ms for s in samples]
    return {
        "p50_ms": _percentile(times, 0.50),
        "p95_ms": _percentile(times, 0.95),
        "p99_ms": _percentile(times, 0.99),
        "max_ms": max(times, default=None),
    }


def figures(run: Run) -> dict:
    """Throughput, latency and errors of one run."""
    slips = [s for s in run.samples if s.kind == "slip"]
    pages = [s for s in run.samples if s.kind == "page"]
    return {
        "seconds": round(run.elapsed, 2),
        "requests": len(run.samples),
        "requests_per_s": len(run.samples) / run.elapsed,
        "slips": sum(s.ok for s in slips),
        "slips_per_s": sum(s.ok for s in slips) / run.elapsed,
        "errors": sum(not s.ok for s in run.samples),
        "http_errors": sum(1 for s in run.samples if s.status and not s.ok),
        "socket_errors": sum(1 for s in run.samples if not s.status),
        "slip_post": latency(slips),
        "slip_page_get": latency(pages),
        "all": latency(run.samples),
        "generator_cpu_share": run.cpu / run.elapsed,
        "problems": dict(run.problems),
    }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def table(found: dict) -> str:
    """The Markdown table of the run."""
    lines = [
        "| requests | req/s | slips | slips/s | errors | latency | p50 ms | p95 ms | p99 ms "
        "| max ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    first = (
        f"| {found['requests']:,} | {found['requests_per_s']:,.1f} | {found['slips']:,} "
        f"| {found['slips_per_s']:,.1f} | {found['errors']} "
    )
    rows = [("slip POST", "slip_post"), ("slip page GET", "slip_page_get"), ("all", "all")]
    for n, (label, key) in enumerate(rows):
        spread = found[key]
        if spread["p50_ms"] is None:
            continue
        lead = first if n == 0 else "| | | | | "
        lines.append(
            f"{lead}| {label} | {_ms(spread['p50_ms'])} | {_ms(spread['p95_ms'])} "
            f"| {_ms(spread['p99_ms'])} | {_ms(spread['max_ms'])} |"
        )
    return "\n".join(lines)


def healthz(port: int, args) -> float:
    """Requests/s of ``/healthz`` with ``--connections`` for ``--healthz-seconds``."""
    tool = "wrk" if shutil.which("wrk") else "python"
    result = load(tool, port, "/healthz", "", args.healthz_seconds, args.connections, count=10**6)
    http_get(port, "/healthz")  # returns once the workers have answered the backlog
    if result.errors:
        sys.exit(f"/healthz: {result.errors} of {result.requests} requests failed")
    return result.rps


def main() -> None:
    """Build, log in, load, check, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="how long slips are entered")
    parser.add_argument("--connections", type=int, default=50, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--logins-per-circle",
        type=int,
        default=MEMBERS,
        help=f"members of each circle who log in and enter slips (1..{MEMBERS})",
    )
    parser.add_argument(
        "--no-follow",
        dest="follow",
        action="store_false",
        help="only the POSTs (do not follow the redirect back to the slip page)",
    )
    parser.add_argument(
        "--healthz-seconds", type=int, default=5, help="/healthz before and after the slips"
    )
    parser.add_argument("--json", type=Path, help="save the figures to this file")
    args = parser.parse_args()
    if not 1 <= args.logins_per_circle <= MEMBERS:
        sys.exit(f"--logins-per-circle must be 1..{MEMBERS}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the servers stop on the way out
    url = bench_database_url(DEFAULT_URL)
    ensure_database(url)
    app = bench_app(url)
    started = time.perf_counter()
    fresh_schema(app)
    members, today = build(app, args.logins_per_circle)
    print(
        f"built {CIRCLES} circles of {MEMBERS} members in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    folder = Path(tempfile.mkdtemp(prefix="bench-load-circles-"))
    redis, queue_url = start_redis(folder)
    env = {"RATELIMIT_ENABLED": "false", "INSTANCE_PATH": str(folder / "instance")}
    env |= {"QUEUE_URL": queue_url} if queue_url else {"QUEUE_DISPATCH": "false"}
    port = free_port()
    gunicorn = start_gunicorn(url, port, folder / "gunicorn.log", args.workers, env)
    try:
        took = log_everyone_in(port, members)
        print(
            f"logged in {len(members):,} members of {CIRCLES} circles in {took:.0f} s; "
            f"load: {args.connections} threads for {args.seconds:g} s against gunicorn "
            f"-w {args.workers} on 127.0.0.1:{port}",
            file=sys.stderr,
        )
        gauge = [healthz(port, args)]
        before = marks(app)
        load_before = os.getloadavg()
        run = drive(port, deal(members, args.connections), today, args.seconds, args.follow)
        load_after = os.getloadavg()
        gauge.append(healthz(port, args))
    finally:
        stop(gunicorn)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
    found = figures(run)
    verified = check(app, run, before)
    print(
        f"\n{len(members):,} members of {CIRCLES} circles logged in; "
        f"{len(deal(members, args.connections))} threads, {found['seconds']:g} s, "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
        f"load generator CPU {found['generator_cpu_share']:.1%} of one core; "
        f"/healthz {gauge[0]:,.0f} req/s before, {gauge[1]:,.0f} after; requests/s "
        f"{found['requests_per_s'] / (sum(gauge) / 2):.3f} of their mean\n"
    )
    print(table(found))
    for problem, n in sorted(found["problems"].items()):
        print(f"  {n} x {problem}")
    print()
    for what, value in verified.items():
        print(f"  {what}: {value}")
    if args.json:
        document = {
            "measured": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(app),
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
            or None,  # None: run from an export without git
            "settings": {k: str(v) for k, v in vars(args).items()},
            "circles": CIRCLES,
            "members_per_circle": MEMBERS,
            "members_logged_in": len(members),
            "queue": "redis" if queue_url else "none (QUEUE_DISPATCH=false)",
            "load_average": {"before": load_before[0], "after": load_after[0]},
            "healthz_rps": {"before": gauge[0], "after": gauge[1]},
            "figures": found,
            "verified": verified,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        print(f"\nsaved {args.json}", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)
    if not verified["ok"] or found["errors"]:
        sys.exit("the database does not match the answers, or requests failed (see above)")


if __name__ == "__main__":
    main()
