"""Benchmark: every page a member or an officer uses, under load, against ``/healthz``.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/circle_bench_pages \
        .venv/bin/python bench/pages.py [--seconds 6] [--pages REGEX] [--growth] [--json FILE]

The database (default ``circle_bench_pages`` on the local server) is created when missing
and its schema rebuilt from the migrations on every run: do not point this at real data.
The script (issue 15's measuring harness)

1. builds a 40-member circle with five years of weekly history (``bench/pages_circle.py``:
   about 10,000 referrals, 30 % with closed business, meetings with attendance, visitors,
   one-to-ones, education credits, dues, profiles with wishes, the audit trail), VACUUM ANALYZE
   (what autovacuum does to a database in use);
2. counts the SQL statements of one request of every page, in-process (Flask test client
   logged in through the login form, ``before_cursor_execute`` on the app's engine;
   the lower of two warm requests, so a session's occasional ``last_seen_at`` write
   does not count);
3. starts gunicorn (``--workers``, default 2) on a free loopback port, logs the member and
   the admin in over HTTP, requires every page to answer 200 (a wrong URL stops the run
   before anything is loaded), then loads every page in turn (``wrk -t2`` with
   ``--connections``, default 8; without ``wrk`` a Python load generator) and ``/healthz``
   before them, after every tenth and at the end, and stops gunicorn;
4. prints one row per page and role: req/s, p50 and p99 latency, the share of ``/healthz``
   (the mean of its runs just before and just after the page's group of ten, so that other
   work on the machine shifts both alike), statements, HTML size; figures that miss issue
   15's goals are in bold and named in the last column (share < 0.25, p99 >= 100 ms,
   > 6 statements, > 100 KiB).

``--growth`` builds the circle twice more, with ten times the referrals over the same five
years and with the weekly history stretched to 25 years, measures again and prints per page
the cost against the base: (share in the base run) / (share in the grown run), so that each
figure is measured against ``/healthz`` at its own time (goal: at most 1.3).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.pages_circle import Built, build, logins  # noqa: E402
from bench.support import (  # noqa: E402
    bench_app,
    bench_database_url,
    count_queries,
    ensure_database,
    free_port,
    fresh_schema,
    http_get,
    load,
    login,
    login_over_http,
    start_gunicorn,
    stop,
)
from circle.extensions import db  # noqa: E402
from circle.referrals.views.common import MAX_LEDGER_DAYS  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/circle_bench_pages"
YEARS = 5
PER_WEEK = 38  # about 10,000 referrals in five years
GOAL_SHARE = 0.25
GOAL_P99_MS = 100.0
GOAL_STATEMENTS = 6
GOAL_KIB = 100.0
GOAL_GROWTH = 1.3
BOTH = ("member", "admin")
ADMIN = ("admin",)
SEARCH_WORD = "Familien"
#: ``/healthz`` is loaded before the pages, after every this many and at the end.
HEALTHZ_EVERY = 10


@dataclass(frozen=True)
class Page:
    """A page to measure: its label, its path, who opens it, and whether it is the API."""

    name: str
    path: str
    roles: tuple[str, ...] = BOTH
    api: bool = False


@dataclass
class Row:
    """The figures of one page opened by one role."""

    page: str
    role: str
    path: str
    rps: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    share: float = 0.0
    healthz: float = 0.0  # the /healthz req/s the share is taken of
    statements: int = 0
    kib: float = 0.0
    requests: int = 0
    errors: int = 0


def pages_of(built: Built) -> list[Page]:
    """Every page of issue 15's list, with this circle's ids and days in the paths."""
    c = f"/circles/{built.circle_id}"
    api = f"/api/v1/circles/{built.circle_id}/balance"
    ledger_from = max(built.first, built.today - timedelta(days=MAX_LEDGER_DAYS))
    whole = f"from={ledger_from.isoformat()}&to={built.today.isoformat()}"
    return [
        Page("home", c),
        Page("directory", f"{c}/members"),
        Page(f"directory?q={SEARCH_WORD}", f"{c}/members?q={SEARCH_WORD}"),
        Page("profile", f"{c}/members/{built.other_id}/profile"),
        Page("week (this week)", f"{c}/week"),
        Page("slips/new", f"{c}/slips/new"),
        Page("thanks/new", f"{c}/thanks/new"),
        Page("ledger", f"{c}/ledger"),
        Page("ledger by month, all", f"{c}/ledger?by=month&{whole}"),
        Page("balance", f"{c}/balance"),
        Page("balance?period=all", f"{c}/balance?period=all"),
        Page("API balance", api, api=True),
        Page("API balance?period=all", f"{api}?period=all", api=True),
        Page("balance/matrix", f"{c}/balance/matrix"),
        Page("balance/matrix?by=revenue", f"{c}/balance/matrix?by=revenue"),
        Page("matrix?by=revenue&period=all", f"{c}/balance/matrix?by=revenue&period=all"),
        Page("balance/pairs", f"{c}/balance/pairs"),
        Page("balance/pairs?period=all", f"{c}/balance/pairs?period=all"),
        Page("scores", f"{c}/scores", ADMIN),
        Page("score", f"{c}/score"),
        Page("scores/{member}", f"{c}/scores/{built.other_id}", ADMIN),
        Page("attendance", f"{c}/attendance"),
        Page("meetings", f"{c}/meetings"),
        Page("visitors", f"{c}/visitors", ADMIN),
        Page("absences", f"{c}/absences", ADMIN),
        Page("weeks/{day}/report", f"{c}/weeks/{built.week.isoformat()}/report", ADMIN),
        Page("activity", f"{c}/activity"),
        Page("dues", f"{c}/dues"),
        Page("dues/admin", f"{c}/dues/admin", ADMIN),
        Page("members/manage", f"{c}/members/manage", ADMIN),
        Page("audit", f"{c}/audit", ADMIN),
        Page("settings", f"{c}/settings", ADMIN),
        Page("trends?weeks=52", f"{c}/trends?weeks=52"),
        Page("roles", f"{c}/roles"),
    ]


def _bearer(built: Built, page: Page, role: str) -> dict:
    """The API's Authorization header for ``role`` (nothing for HTML pages)."""
    if not page.api:
        return {}
    token = built.admin_token if role == "admin" else built.member_token
    return {"Authorization": f"Bearer {token}"}


def count_statements(app, built: Built, pages: list[Page]) -> dict[tuple[str, str], int]:
    """SQL statements of one request per page and role, through the test client."""
    clients = {}
    for role, email in logins().items():
        clients[role] = app.test_client()
        login(clients[role], email)
    counts = {}
    for page in pages:
        for role in page.roles:

            def call(page=page, role=role):
                response = clients[role].get(page.path, headers=_bearer(built, page, role))
                if response.status_code != 200:
                    sys.exit(f"{page.path} as {role} (test client): {response.status_code}")

            call()
            counts[page.name, role] = min(count_queries(app, call) for _ in range(2))
    return counts


def under_load(url: str, built: Built, pages: list[Page], args) -> tuple[list[Row], list]:
    """Every page and role under load through gunicorn, ``/healthz`` in between."""
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-pages-gunicorn-{port}.log"
    process = start_gunicorn(url, port, log, args.workers)
    try:
        cookies = {role: login_over_http(port, email) for role, email in logins().items()}
        rows, wrong = [], []
        for page in pages:
            for role in page.roles:
                cookie = "" if page.api else cookies[role]
                status, _headers, body = http_get(
                    port, page.path, cookie, headers=_bearer(built, page, role)
                )
                if status != 200:
                    wrong.append(f"  {page.path} as {role}: {status}")
                rows.append(Row(page.name, role, page.path, kib=len(body) / 1024))
        if wrong:
            sys.exit("pages that do not answer 200 over HTTP:\n" + "\n".join(wrong))
        print(
            f"load: gunicorn -w {args.workers} on 127.0.0.1:{port}; {tool}, "
            f"{args.connections} connections, {args.seconds} s a page",
            file=sys.stderr,
        )

        def run(path: str, cookie: str = "", headers: dict | None = None):
            result = load(
                tool,
                port,
                path,
                cookie,
                args.seconds,
                args.connections,
                headers=headers,
                count=10**6,
            )
            http_get(port, "/healthz")  # returns once the workers have answered the backlog
            if not result.requests:
                result.p50_ms = result.p99_ms = None
            return result

        healthz = [run("/healthz")]
        by_name = {page.name: page for page in pages}
        for n, row in enumerate(rows, 1):
            page = by_name[row.page]
            cookie = "" if page.api else cookies[row.role]
            result = run(row.path, cookie, _bearer(built, page, row.role))
            row.rps, row.requests, row.errors = result.rps, result.requests, result.errors
            row.p50_ms, row.p99_ms = result.p50_ms, result.p99_ms
            if n % HEALTHZ_EVERY == 0:
                healthz.append(run("/healthz"))
            print(
                f"  [{n}/{len(rows)}] {row.page} as {row.role}: {row.rps:.1f} req/s"
                + (f", {row.errors} not 200" if row.errors else ""),
                file=sys.stderr,
            )
        healthz.append(run("/healthz"))
    finally:
        stop(process)
    for n, row in enumerate(rows):
        # The /healthz runs just before and just after this page's group of pages: the
        # machine's speed at the time (other work on it changes it within a run).
        group = n // HEALTHZ_EVERY
        row.healthz = (healthz[group].rps + healthz[group + 1].rps) / 2
        row.share = row.rps / row.healthz
    return rows, healthz


def misses(row: Row) -> list[str]:
    """The goals a row misses."""
    out = []
    if row.share < GOAL_SHARE:
        out.append("share")
    if row.p99_ms is None or row.p99_ms >= GOAL_P99_MS:
        out.append("p99")
    if row.statements > GOAL_STATEMENTS:
        out.append("SQL")
    if row.kib > GOAL_KIB:
        out.append("size")
    if row.errors:
        out.append("errors")
    return out


def _ms(value: float | None) -> str:
    """A latency for the table."""
    return "?" if value is None else f"{value:,.1f}"


def _bold(text: str, missed: bool) -> str:
    """Markdown bold when a goal is missed."""
    return f"**{text}**" if missed else text


def table(rows: list[Row]) -> str:
    """The Markdown table of one run."""
    lines = [
        "| page | as | req/s | p50 ms | p99 ms | share | SQL | KiB | misses |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        missed = misses(row)
        lines.append(
            f"| {row.page} | {row.role} | {row.rps:,.1f} | {_ms(row.p50_ms)} "
            f"| {_bold(_ms(row.p99_ms), 'p99' in missed)} "
            f"| {_bold(f'{row.share:.3f}', 'share' in missed)} "
            f"| {_bold(str(row.statements), 'SQL' in missed)} "
            f"| {_bold(f'{row.kib:,.0f}', 'size' in missed)} | {', '.join(missed)} |"
        )
    return "\n".join(lines)


def growth_table(runs: dict[str, dict]) -> str:
    """Per page and role, the cost of each grown history against the base run."""
    base = {(r.page, r.role): r for r in runs["base"]["rows"]}
    others = [label for label in runs if label != "base"]
    head = "| page | as | base req/s | " + " | ".join(f"{o} req/s | cost" for o in others)
    lines = [head + " | SQL |", "|---|---|---|" + "---|---|" * len(others) + "---|"]
    for key, row in base.items():
        cells, statements = [], [str(row.statements)]
        for label in others:
            grown = next((r for r in runs[label]["rows"] if (r.page, r.role) == key), None)
            if grown is None or not grown.share:
                cells.append("- | -")
                continue
            ratio = row.share / grown.share
            cells.append(f"{grown.rps:,.1f} | {_bold(f'{ratio:.2f}', ratio > GOAL_GROWTH)}")
            statements.append(str(grown.statements))
        lines.append(
            f"| {row.page} | {row.role} | {row.rps:,.1f} | "
            + " | ".join(cells)
            + f" | {' / '.join(statements)} |"
        )
    return "\n".join(lines)


def measure(app, url: str, label: str, years: int, per_week: float, args) -> dict:
    """Build one circle, count statements, load every page; the run's figures."""
    started = time.perf_counter()
    fresh_schema(app)
    built = build(app, years, per_week)
    counts = ", ".join(f"{n:,} {what}" for what, n in built.counts.items())
    print(
        f"{label}: {years} years from {built.first} to {built.today}: {counts} "
        f"(built in {time.perf_counter() - started:.0f} s)",
        file=sys.stderr,
    )
    pages = [
        p for p in pages_of(built) if re.search(args.pages, p.name) or re.search(args.pages, p.path)
    ]
    if not pages:
        sys.exit(f"no page matches {args.pages!r}")
    statements = count_statements(app, built, pages)
    rows, healthz = under_load(url, built, pages, args)
    for row in rows:
        row.statements = statements[row.page, row.role]
    return {
        "years": years,
        "per_week": per_week,
        "first": built.first.isoformat(),
        "today": built.today.isoformat(),
        "counts": built.counts,
        "healthz": [asdict(h) for h in healthz],
        "rows": rows,
    }


def machine(app) -> dict:
    """What the figures were measured on."""
    with app.app_context():
        server = db.session.execute(text("SHOW server_version")).scalar_one()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": server,
        "system": platform.platform(),
    }


def main() -> None:
    """Build, measure, print the table (and the growth table); save JSON when asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=6, help="load per page and role")
    parser.add_argument("--pages", default="", help="only pages whose label or path matches")
    parser.add_argument("--growth", action="store_true", help="also 10x slips and 25 years")
    parser.add_argument("--json", type=Path, help="save the figures to this file")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # gunicorn is stopped on the way out
    url = bench_database_url(DEFAULT_URL)
    ensure_database(url)
    app = bench_app(url)
    variants = [("base", YEARS, PER_WEEK)]
    if args.growth:
        variants += [("10x slips", YEARS, PER_WEEK * 10), ("25 years", 25, PER_WEEK)]
    runs = {}
    for label, years, per_week in variants:
        runs[label] = measure(app, url, label, years, per_week, args)
        bare = [h["rps"] for h in runs[label]["healthz"]]
        print(
            f"\n{label}: /healthz {sum(bare) / len(bare):,.0f} req/s (mean of {len(bare)} runs "
            f"between the pages, {min(bare):,.0f} to {max(bare):,.0f})\n"
        )
        print(table(runs[label]["rows"]))
        missed = sum(1 for row in runs[label]["rows"] if misses(row))
        print(f"\n{missed} of {len(runs[label]['rows'])} rows miss a goal.")
    if args.growth:
        print(f"\ncost against the base (base share / grown share; goal <= {GOAL_GROWTH}):\n")
        print(growth_table(runs))
    if args.json:
        document = {
            "measured": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(app),
            "settings": {k: str(v) for k, v in vars(args).items()},
            "goals": {
                "share": GOAL_SHARE,
                "p99_ms": GOAL_P99_MS,
                "statements": GOAL_STATEMENTS,
                "kib": GOAL_KIB,
                "growth": GOAL_GROWTH,
            },
            "runs": {
                label: {**run, "rows": [asdict(row) for row in run["rows"]]}
                for label, run in runs.items()
            },
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        print(f"\nsaved {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
