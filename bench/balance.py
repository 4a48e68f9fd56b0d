"""Benchmark: the balance page and API do not slow down as a circle's history grows.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/circle_bench_balance \
        .venv/bin/python bench/balance.py [--repeat 40] [--load-seconds 10]

The database (default ``circle_bench_balance`` on the local server) is created when
missing and its schema rebuilt from the migrations on every run: do not point this at
real data. The script

1. generates a 40-member circle with five years of weekly meetings (about 15 referrals a
   week, about 30 % of them with closed business, a few voided; bulk inserts), then ANALYZE;
2. times the balance page (HTML, Flask test client, logged in as the admin) and the API
   (``GET /api/v1/circles/{id}/balance``, bearer token) for the default period, the last
   six completed months, and counts the SQL queries of one request;
3. adds nine times as many referrals and closed business before the first five years
   (2000 up to then: the app accepts no slip before 2000), so the circle holds ten times
   the history while the default period holds the same rows, and times both again;
4. prints the ratio 10x / 1x of the best and of the median times (the issue's goal: at
   most 1.3; the verdict uses the best times, which other processes on the machine can
   only make worse, never better);
5. starts gunicorn (2 workers) on a free loopback port, logs in over HTTP and puts the
   same load on the balance page and on ``/healthz`` (``wrk`` when installed, otherwise
   a Python load generator of threads and ``http.client``, bounded by a request count
   and a time limit), prints requests per second for both, and stops gunicorn.

The script stops by itself; gunicorn is always terminated on the way out.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, insert, select, text  # noqa: E402

from bench.support import ensure_database, fresh_schema  # noqa: E402
from circle import create_app  # noqa: E402
from circle.auth.services import create_api_token  # noqa: E402
from circle.config import _normalise_database_url  # noqa: E402
from circle.core.checks import EARLIEST  # noqa: E402
from circle.core.security import hash_password  # noqa: E402
from circle.core.weeks import today_for  # noqa: E402
from circle.db import unit_of_work, utcnow  # noqa: E402
from circle.extensions import db  # noqa: E402
from circle.membership.services import get_or_create_profession  # noqa: E402
from circle.models import Circle, ClosedBusiness, Membership, Referral, User  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/circle_bench_balance"
PASSWORD = "bench password 2026"
ADMIN_EMAIL = "bench-admin@example.org"
MEMBERS = 40
YEARS = 5
PER_WEEK = 15
CLOSED_SHARE = 0.3
VOID_SHARE = 0.01
GOAL_RATIO = 1.3
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FIRST = ["Anna", "Bernd", "Clara", "Dieter", "Eva", "Frank", "Gerda", "Hans", "Ilse", "Jens"]
LAST = ["Schmidt", "Meyer", "Wolf", "Koch"]


# --- database ------------------------------------------------------------------------


def make_circle() -> tuple[int, list[int]]:
    """A circle with 40 active members; the first is the admin and can log in."""
    circle = Circle(
        name="Kreis Bilanz",
        city="Köln",
        seat_limit=MEMBERS,
        timezone="Europe/Berlin",
        currency="EUR",
        meeting_weekday=2,
        meeting_time=clock(7, 0),
    )
    db.session.add(circle)
    db.session.flush()
    ids = []
    for index in range(MEMBERS):
        name = f"{FIRST[index % 10]} {LAST[index // 10]}"
        user = User(
            email=ADMIN_EMAIL if index == 0 else f"bench{index}@example.org",
            name=name,
            password_hash=hash_password(PASSWORD) if index == 0 else "x",
            locale="de",
        )
        db.session.add(user)
        db.session.flush()
        membership = Membership(
            circle_id=circle.id,
            user_id=user.id,
            profession_id=get_or_create_profession(f"Bilanz-Beruf {index}").id,
            role="admin" if index == 0 else "member",
            status="active",
            joined_at=utcnow(),
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
    return len(rows), len(business)


def analyze() -> None:
    """Refresh the planner's statistics after the bulk inserts."""
    db.session.execute(text("ANALYZE referrals"))
    db.session.execute(text("ANALYZE closed_business"))


# --- timing through the test client ----------------------------------------------------


def login(client) -> None:
    """Log the admin in through the login form (with its CSRF token)."""
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": ADMIN_EMAIL, "password": PASSWORD}
    )
    if response.status_code != 302:
        sys.exit(f"login failed: {response.status_code}")


def count_queries(app, call) -> int:
    """How many SQL statements one call sends."""
    seen = []

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


def timed_ms(call, repeat: int) -> tuple[float, float]:
    """The best and the median wall time of ``call`` in ms, after three warm-up calls."""
    for _ in range(3):
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times)


def measure(app, client, token: str, circle_id: int, repeat: int) -> dict[str, tuple]:
    """(best ms, median ms, queries) of the page and of the API, default period."""
    page_url = f"/circles/{circle_id}/balance"
    api_url = f"/api/v1/circles/{circle_id}/balance"
    headers = {"Authorization": f"Bearer {token}"}

    def page():
        response = client.get(page_url)
        if response.status_code != 200:
            sys.exit(f"{page_url}: {response.status_code}")
        return response

    def api():
        response = client.get(api_url, headers=headers)
        if response.status_code != 200:
            sys.exit(f"{api_url}: {response.status_code} {response.get_data(as_text=True)}")
        return response

    return {
        "page": (*timed_ms(page, repeat), count_queries(app, page)),
        "api": (*timed_ms(api, repeat), count_queries(app, api)),
    }


# --- the server under load -------------------------------------------------------------


def free_port() -> int:
    """A TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, port: int, log: Path) -> subprocess.Popen:
    """Start ``gunicorn wsgi:app`` with two workers in production mode; wait until it answers."""
    env = {
        **os.environ,
        "CIRCLE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "BASE_URL": f"http://127.0.0.1:{port}",  # required in production; the host it answers
        "DATABASE_URL": url,
        "MAIL_OUTBOX": str(log.parent / "outbox"),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
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


def http_get(port: int, path: str, cookie: str = "", conn=None):
    """One GET on the loopback server: (status, headers, body)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
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


def login_over_http(port: int) -> str:
    """Log the admin in against the running server; return the session cookie to send."""
    _status, headers, body = http_get(port, "/login")
    cookie = session_cookie(headers)
    token = CSRF_RE.search(body.decode()).group(1)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            "/login",
            body=urlencode({"csrf_token": token, "email": ADMIN_EMAIL, "password": PASSWORD}),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        response = conn.getresponse()
        response.read()
        if response.status != 302:
            sys.exit(f"login over HTTP failed: {response.status}")
        return session_cookie(response.getheaders()) or cookie
    finally:
        conn.close()


def load_wrk(port: int, path: str, cookie: str, seconds: int, connections: int) -> tuple:
    """Requests per second by ``wrk`` (time-bounded); (rps, requests, errors)."""
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
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
    return rps, requests, errors


def load_python(
    port: int, path: str, cookie: str, seconds: int, connections: int, count: int
) -> tuple:
    """Requests per second by threads with ``http.client``: at most ``count`` requests and
    ``seconds`` seconds; (rps, requests, errors)."""
    lock = threading.Lock()
    state = {"left": count, "done": 0, "errors": 0}
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            with lock:
                if state["left"] == 0:
                    return
                state["left"] -= 1
            try:
                status, _headers, _body = http_get(port, path, cookie)
                ok = status == 200
            except OSError:
                ok = False
            with lock:
                state["done"] += 1
                state["errors"] += not ok

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - started
    return state["done"] / elapsed, state["done"], state["errors"]


def under_load(url: str, circle_id: int, args) -> None:
    """Throughput of the balance page and of /healthz through gunicorn with 2 workers."""
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-balance-gunicorn-{port}.log"
    process = start_gunicorn(url, port, log)
    try:
        cookie = login_over_http(port)
        page = f"/circles/{circle_id}/balance"
        status, _headers, _body = http_get(port, page, cookie)
        if status != 200:
            sys.exit(f"balance page over HTTP answered {status}")
        print(
            f"\nload: gunicorn, 2 workers, 127.0.0.1:{port}; {tool}, {args.connections} "
            f"connections, {args.load_seconds} s"
            + (f" or {args.load_requests} requests" if tool == "python" else "")
            + " per target"
        )
        results = {}
        for name, path, send in (("balance page", page, cookie), ("/healthz", "/healthz", "")):
            if tool == "wrk":
                rps, done, errors = load_wrk(port, path, send, args.load_seconds, args.connections)
            else:
                rps, done, errors = load_python(
                    port, path, send, args.load_seconds, args.connections, args.load_requests
                )
            results[name] = rps
            print(f"  {name:<13} {rps:8.1f} req/s  ({done} requests, {errors} not 200)")
        print(f"  balance page / healthz: {results['balance page'] / results['/healthz']:.2f}")
    finally:
        stop(process)


# --- main ------------------------------------------------------------------------------


def main() -> None:
    """Generate, time at 1x and 10x, print the ratio; then the throughput under load."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=60, help="timed requests per figure")
    parser.add_argument("--factor", type=int, default=10, help="history multiplier")
    parser.add_argument("--load-seconds", type=int, default=10)
    parser.add_argument("--load-requests", type=int, default=5000, help="python tool only")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn part")
    args = parser.parse_args()
    url = _normalise_database_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    if not url.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must be a PostgreSQL URL.")
    ensure_database(url)
    app = create_app(
        {"CIRCLE_ENV": "development", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False}
    )
    fresh_schema(app)

    with app.test_request_context():
        with unit_of_work(db.session):
            circle_id, members = make_circle()
            circle = db.session.get(Circle, circle_id)
            today = today_for(circle)
            first = today - timedelta(days=YEARS * 365)
            started = time.perf_counter()
            referrals, business = add_history(circle_id, members, first, today, PER_WEEK, 1)
            print(
                f"1x: {referrals} referrals, {business} closed business over {YEARS} years "
                f"({first} to {today}) in {time.perf_counter() - started:.1f}s"
            )
            admin = db.session.execute(select(User).where(User.email == ADMIN_EMAIL)).scalar_one()
            _record, token = create_api_token(admin, "bench")
        with unit_of_work(db.session):
            analyze()

    client = app.test_client()
    login(client)
    one = measure(app, client, token, circle_id, args.repeat)

    extra = args.factor - 1
    with app.test_request_context():
        with unit_of_work(db.session):
            older_end = first - timedelta(days=7)
            started = time.perf_counter()
            weeks = (older_end - EARLIEST).days // 7 + 1
            # ``extra`` times the first five years' referrals, spread over 2000 up to them.
            more = add_history(
                circle_id, members, EARLIEST, older_end, extra * referrals / weeks, 2
            )
            print(
                f"{args.factor}x: +{more[0]} referrals, +{more[1]} closed business "
                f"({EARLIEST} to {older_end}) in {time.perf_counter() - started:.1f}s"
            )
        with unit_of_work(db.session):
            analyze()
        totals = [
            db.session.execute(
                select(func.count()).select_from(model).where(model.circle_id == circle_id)
            ).scalar_one()
            for model in (Referral, ClosedBusiness)
        ]
        print(f"    now {totals[0]} referrals and {totals[1]} closed business in the circle")
    ten = measure(app, client, token, circle_id, args.repeat)

    print(f"\n{args.repeat} requests each, default period (last six completed months):")
    print(
        f"  {'':<14}{'best 1x':>9}{f'{args.factor}x':>9}{'ratio':>7}"
        f"{'median 1x':>11}{f'{args.factor}x':>9}{'ratio':>7}  queries"
    )
    worst = 0.0
    for name, label in (("page", "balance page"), ("api", "balance API")):
        best, median = (ten[name][i] / one[name][i] for i in (0, 1))
        worst = max(worst, best)
        print(
            f"  {label:<14}{one[name][0]:7.1f}ms{ten[name][0]:7.1f}ms{best:7.2f}"
            f"{one[name][1]:9.1f}ms{ten[name][1]:7.1f}ms{median:7.2f}"
            f"  {one[name][2]} / {ten[name][2]}"
        )
    verdict = "OK" if worst <= GOAL_RATIO else "TOO SLOW"
    print(f"goal: {args.factor}x history costs at most {GOAL_RATIO}x the time (best): {verdict}")

    if not args.no_load:
        under_load(url, circle_id, args)


if __name__ == "__main__":
    main()
