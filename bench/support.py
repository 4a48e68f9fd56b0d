"""What the benchmark scripts share.

- a PostgreSQL database of their own, fresh each run (``ensure_database``, ``fresh_schema``,
  ``bench_database_url``, ``bench_app``);
- a 40-member circle with weekly history, written by bulk inserts (``make_circle``,
  ``add_history``, ``analyze``) and the professions a directory needs (``PROFESSIONS``);
- requests through the Flask test client (``login``, ``count_queries``);
- an HTTP load harness: gunicorn on a free loopback port (``start_gunicorn``, ``stop``),
  a login over HTTP (``login_over_http``), and ``wrk`` when installed, else a Python load
  generator of threads and ``http.client`` (``load``), each giving a ``LoadResult``.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode

from flask_migrate import upgrade
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url

from circle import create_app
from circle.balance.totals import rebuild as rebuild_pair_totals
from circle.config import _normalise_database_url
from circle.core.clock import utcnow
from circle.core.memo import Memo
from circle.core.security import hash_password
from circle.extensions import db
from circle.membership.services import get_or_create_profession
from circle.models import Circle, ClosedBusiness, Membership, Referral, User

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password 2026"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FIRST = ["Anna", "Bernd", "Clara", "Dieter", "Eva", "Frank", "Gerda", "Hans", "Ilse", "Jens"]
LAST = ["Schmidt", "Meyer", "Wolf", "Koch"]
CLOSED_SHARE = 0.3
VOID_SHARE = 0.01
#: Forty professions of a real chapter (the directory search and the pages benchmark).
_PROFESSION_WORDS = (
    "Fotograf Apotheke Steuerberatung Immobilien Versicherung Elektriker Grafikdesign "
    "IT-Dienstleister Physiotherapie Schreinerei Floristik Finanzberatung Zahnarztpraxis "
    "Dachdecker Eventplanung Autohaus Übersetzungsbüro Malerbetrieb Hörakustik "
    "Gebäudereinigung Rechtsanwalt Unternehmensberatung Bäckerei Catering Hausverwaltung "
    "Optiker Reisebüro Coaching Webdesign Druckerei Tischlerei Gartenbau Sanitär "
    "Heizungsbau Fahrschule Hundeschule Friseur Kosmetik Personalberatung Bestattungen"
)
PROFESSIONS = _PROFESSION_WORDS.split()


# --- the database ----------------------------------------------------------------------


def bench_database_url(default: str) -> str:
    """``BENCH_DATABASE_URL`` (or ``default``), normalised; stop unless it is PostgreSQL."""
    url = _normalise_database_url(os.environ.get("BENCH_DATABASE_URL", default))
    if not url.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must be a PostgreSQL URL.")
    return url


def bench_app(url: str):
    """The app in development mode on ``url``, without rate limits (for the test client)."""
    return create_app(
        {"CIRCLE_ENV": "development", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False}
    )


def ensure_database(url: str) -> None:
    """Create the benchmark database when it does not exist."""
    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()


def fresh_schema(app) -> None:
    """Drop everything and build the schema from the migrations."""
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()


# --- the circle and its history ----------------------------------------------------------


def make_circle(
    admin_email: str,
    *,
    name: str = "Kreis Bilanz",
    members: int = 40,
    professions: list[str] | None = None,
    logins: int = 1,
    joined_at: datetime | None = None,
    member_email: str = "bench{index}@example.org",
) -> tuple[int, list[int]]:
    """A circle with ``members`` active members; the first is the admin.

    The first ``logins`` members can log in with ``PASSWORD`` (the admin as
    ``admin_email``, the others as ``member_email`` with their index; give each circle its
    own pattern when there are several). Professions default to
    ``Bilanz-Beruf {index}``. Returns the circle's id and the membership ids in order.
    """
    circle = Circle(
        name=name,
        city="Köln",
        seat_limit=members,
        timezone="Europe/Berlin",
        currency="EUR",
        meeting_weekday=2,
        meeting_time=clock(7, 0),
    )
    db.session.add(circle)
    db.session.flush()
    password = hash_password(PASSWORD)
    ids = []
    for index in range(members):
        user = User(
            email=admin_email if index == 0 else member_email.format(index=index),
            name=f"{FIRST[index % 10]} {LAST[index // 10]}",
            password_hash=password if index < logins else "x",
            locale="de",
        )
        db.session.add(user)
        db.session.flush()
        profession = professions[index] if professions else f"Bilanz-Beruf {index}"
        membership = Membership(
            circle_id=circle.id,
            user_id=user.id,
            profession_id=get_or_create_profession(profession).id,
            role="admin" if index == 0 else "member",
            status="active",
            joined_at=joined_at or utcnow(),
        )
        db.session.add(membership)
        db.session.flush()
        ids.append(membership.id)
    return circle.id, ids


def add_history(
    circle_id: int, members: list[int], start: date, end: date, per_week: float, seed: int
) -> tuple[int, int]:
    """Bulk-insert weekly referrals from ``start`` to ``end`` and their closed business.

    Members differ in how much they give and receive (a few busy connectors, some quiet
    ones); about 30 % of the referrals end in closed business a few weeks later, about
    1 % of slips are voided. Returns the numbers of referrals and closed business added.
    """
    rng = random.Random(seed)
    give_weight = [rng.lognormvariate(0, 0.8) for _ in members]
    take_weight = [rng.lognormvariate(0, 0.8) for _ in members]
    rows, meetings = [], []
    day = start
    while day <= end:
        meetings.append(day)
        day += timedelta(days=7)
    statuses = ("new", "contacted", "won", "lost")
    for meeting in meetings:
        for _ in range(max(0, round(rng.gauss(per_week, per_week / 5)))):
            giver = rng.choices(members, give_weight)[0]
            receiver = giver
            while receiver == giver:
                receiver = rng.choices(members, take_weight)[0]
            voided = rng.random() < VOID_SHARE
            rows.append(
                {
                    "circle_id": circle_id,
                    "giver_id": giver,
                    "receiver_id": receiver,
                    "given_on": meeting,
                    "kind": rng.choice(("inside", "inside", "outside")),
                    "hotness": rng.randint(1, 5),
                    "status": rng.choice(statuses),
                    "voided_at": utcnow() if voided else None,
                    "void_reason": "Doppelt erfasst" if voided else None,
                }
            )
    ids = db.session.execute(
        insert(Referral).returning(Referral.id, sort_by_parameter_order=True), rows
    ).scalars()
    business = []
    for referral_id, row in zip(ids, rows, strict=True):
        if row["voided_at"] is not None or rng.random() >= CLOSED_SHARE:
            continue
        closed_on = min(end, row["given_on"] + timedelta(days=rng.randrange(7, 60)))
        business.append(
            {
                "circle_id": circle_id,
                "thanked_id": row["giver_id"],
                "reporter_id": row["receiver_id"],
                "referral_id": referral_id,
                "amount_minor": int(rng.lognormvariate(10.5, 1.2)) + 100,  # median ~360 €
                "currency": "EUR",
                "closed_on": closed_on,
                "kind": rng.choice(("new", "new", "repeat")),
            }
        )
    if business:
        db.session.execute(insert(ClosedBusiness), business)
    rebuild_pair_totals(circle_id)  # the rows bypassed the services that keep the totals
    return len(rows), len(business)


def analyze(*tables: str) -> None:
    """Refresh the planner's statistics after the bulk inserts (default: the slips)."""
    for table in tables or ("referrals", "closed_business", "pair_totals"):
        db.session.execute(text(f"ANALYZE {table}"))


# --- through the test client -----------------------------------------------------------


def login(client, email: str, password: str = PASSWORD) -> None:
    """Log in through the login form (with its CSRF token); stop when it fails."""
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": email, "password": password}
    )
    if response.status_code != 302:
        sys.exit(f"login as {email} failed: {response.status_code}")


def count_queries(app, call) -> int:
    """How many SQL statements one call sends, with nothing kept in memory from an earlier
    call (``circle.core.memo``): the count after a change."""
    seen = []
    Memo.forget_everything()

    def listen(*args):
        seen.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return len(seen)


# --- the server under load -------------------------------------------------------------


@dataclass
class LoadResult:
    """What one load run measured: throughput, requests, failures and latency (ms)."""

    rps: float
    requests: int
    errors: int
    p50_ms: float | None = None
    p99_ms: float | None = None


def free_port() -> int:
    """A TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    url: str, port: int, log: Path, workers: int = 2, env: dict | None = None
) -> subprocess.Popen:
    """Start ``gunicorn wsgi:app`` in production mode; wait until it answers.

    ``env`` adds to (or overrides) the environment of the app, e.g. its rate limits.
    """
    env = {
        **os.environ,
        "CIRCLE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "BASE_URL": f"http://127.0.0.1:{port}",  # required in production; the host it answers
        "DATABASE_URL": url,
        "MAIL_OUTBOX": str(log.parent / "outbox"),
        **(env or {}),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            status, _headers, _body = http_get(port, "/healthz")
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    sys.exit(f"gunicorn did not answer within 30 s; see {log}")


def stop(process: subprocess.Popen) -> None:
    """Terminate gunicorn (the master and its workers) and wait for it."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def http_get(port: int, path: str, cookie: str = "", conn=None, headers: dict | None = None):
    """One GET on the loopback server: (status, headers, body)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = dict(headers or {})
    if cookie:
        sent["Cookie"] = cookie
    try:
        conn.request("GET", path, headers=sent)
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        if own:
            conn.close()


def session_cookie(headers) -> str:
    """The ``session=...`` pair of a response's Set-Cookie headers."""
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return ""


def login_over_http(port: int, email: str, password: str = PASSWORD) -> str:
    """Log in against the running server; return the session cookie to send."""
    _status, headers, body = http_get(port, "/login")
    cookie = session_cookie(headers)
    token = CSRF_RE.search(body.decode()).group(1)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            "/login",
            body=urlencode({"csrf_token": token, "email": email, "password": password}),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        response = conn.getresponse()
        response.read()
        if response.status != 302:
            sys.exit(f"login over HTTP as {email} failed: {response.status}")
        return session_cookie(response.getheaders()) or cookie
    finally:
        conn.close()


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _wrk_ms(out: str, percent: str) -> float | None:
    """A latency percentile of ``wrk --latency`` output in ms (None when absent)."""
    found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    return float(found.group(1)) * _UNITS_MS[found.group(2)] if found else None


def load_wrk(
    port: int, path: str, cookie: str, seconds: int, connections: int, headers: dict | None = None
) -> LoadResult:
    """Load by ``wrk`` (2 threads, time-bounded), with its latency distribution."""
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s"]
    command.append("--latency")
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        print(f"    wrk socket errors: {socket_errors.group(1)}")
    return LoadResult(rps, requests, errors, _wrk_ms(out, "50"), _wrk_ms(out, "99"))


def _percentile(values: list[float], share: float) -> float | None:
    """The value below which ``share`` of the sorted ``values`` lie (nearest rank)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def load_python(
    port: int,
    path: str,
    cookie: str,
    seconds: int,
    connections: int,
    count: int,
    headers: dict | None = None,
) -> LoadResult:
    """Load by threads with ``http.client``: at most ``count`` requests and ``seconds``
    seconds, each request on a new connection."""
    lock = threading.Lock()
    state = {"left": count, "done": 0, "errors": 0}
    times: list[float] = []
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            with lock:
                if state["left"] == 0:
                    return
                state["left"] -= 1
            started = time.perf_counter()
            try:
                status, _headers, _body = http_get(port, path, cookie, headers=headers)
                ok = status == 200
            except OSError:
                ok = False
            took = (time.perf_counter() - started) * 1000
            with lock:
                state["done"] += 1
                state["errors"] += not ok
                times.append(took)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - started
    return LoadResult(
        state["done"] / elapsed,
        state["done"],
        state["errors"],
        _percentile(times, 0.5),
        _percentile(times, 0.99),
    )


def load(
    tool: str, port: int, path: str, cookie: str, seconds: int, connections: int, **extra
) -> LoadResult:
    """Load ``path`` with ``wrk`` or the Python generator (``count``: its request bound)."""
    headers = extra.get("headers")
    if tool == "wrk":
        return load_wrk(port, path, cookie, seconds, connections, headers)
    count = extra.get("count", 5000)
    return load_python(port, path, cookie, seconds, connections, count, headers)
