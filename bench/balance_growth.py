"""Benchmark: the balance over the whole history costs the same with ten times the slips
or five times the years (issue 15: at most x1.3).

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/circle_bench_balance_growth \
        .venv/bin/python bench/balance_growth.py [--repeat 30]

The databases (default ``circle_bench_balance_growth`` on the local server, with ``_1``,
``_2``, ``_3`` appended: one per circle) are created when missing and their schema rebuilt
from the migrations on every run: do not point this at real data. The script builds
three 40-member circles with ``add_history`` (bulk inserts, then the pair totals rebuilt,
then ANALYZE):

- ``base``: five years, 38 referrals a week (about 10,000, as bench/pages.py);
- ``10x slips``: the same five years, 380 a week (about 100,000);
- ``25 years``: 38 a week since 25 years ago (about 50,000);

then times, through the Flask test client as each circle's admin, the balance page, the
matrix by revenue and the API, each for the whole history (``?period=all``) and for the
default six months, and prints the best and median times and each circle's ratio to
``base`` (the verdict uses the best times, which other work on the machine can only make
worse).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.support import (  # noqa: E402
    add_history,
    analyze,
    bench_app,
    bench_database_url,
    ensure_database,
    fresh_schema,
    login,
    make_circle,
)
from circle.auth.services import create_api_token  # noqa: E402
from circle.core.weeks import today_for  # noqa: E402
from circle.db import unit_of_work  # noqa: E402
from circle.extensions import db  # noqa: E402
from circle.models import Circle, User  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/circle_bench_balance_growth"
ADMIN_EMAIL = "bench-growth@example.org"
GOAL_RATIO = 1.3
#: name, years, referrals a week
SCENARIOS = (("base", 5, 38), ("10x slips", 5, 380), ("25 years", 25, 38))


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


def build(url: str, name: str, years: int, per_week: int, seed: int):
    """One database with one circle and its history: (app, circle id, API token)."""
    ensure_database(url)
    app = bench_app(url)
    fresh_schema(app)
    with app.test_request_context():
        with unit_of_work(db.session):
            circle_id, members = make_circle(ADMIN_EMAIL, name=f"Kreis {name}")
            circle = db.session.get(Circle, circle_id)
            today = today_for(circle)
            started = time.perf_counter()
            first = today - timedelta(days=years * 365)
            referrals, business = add_history(circle_id, members, first, today, per_week, seed)
            print(
                f"{name}: {referrals} referrals, {business} closed business over {years} "
                f"years in {time.perf_counter() - started:.1f}s"
            )
            admin = db.session.execute(select(User).where(User.email == ADMIN_EMAIL)).scalar_one()
            _record, token = create_api_token(admin, "bench")
        with unit_of_work(db.session):
            analyze()
    return app, circle_id, token


def pages(circle_id: int) -> list[tuple[str, str, bool]]:
    """(label, path, API?) of what is timed."""
    c = f"/circles/{circle_id}"
    api = f"/api/v1/circles/{circle_id}/balance"
    return [
        ("balance?period=all", f"{c}/balance?period=all", False),
        ("matrix?by=revenue&period=all", f"{c}/balance/matrix?by=revenue&period=all", False),
        ("pairs?period=all", f"{c}/balance/pairs?period=all", False),
        ("API ?period=all", f"{api}?period=all", True),
        ("balance (6 months)", f"{c}/balance", False),
        ("API (6 months)", api, True),
    ]


def main() -> None:
    """Build the three circles, time every page in each, print the ratios to the base."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per figure")
    args = parser.parse_args()
    url = bench_database_url(DEFAULT_URL)
    built = {
        name: build(f"{url}_{seed}", name, years, per_week, seed)
        for seed, (name, years, per_week) in enumerate(SCENARIOS, start=1)
    }

    figures: dict[str, dict[str, tuple[float, float]]] = {}
    for name, (app, circle_id, token) in built.items():
        client = app.test_client()
        login(client, ADMIN_EMAIL)
        figures[name] = {}
        for label, path, api in pages(circle_id):
            headers = {"Authorization": f"Bearer {token}"} if api else {}
            caller = app.test_client() if api else client

            def call(path=path, headers=headers, caller=caller):
                response = caller.get(path, headers=headers)
                if response.status_code != 200:
                    sys.exit(f"{path}: {response.status_code}")

            figures[name][label] = timed_ms(call, args.repeat)

    base = figures["base"]
    print(f"\n{args.repeat} requests each, best / median ms, ratio of the best to the base:")
    print(f"  {'':<30}" + "".join(f"{name:>24}" for name in built))
    worst = 0.0
    for label in base:
        cells = []
        for name in built:
            best, median = figures[name][label]
            ratio = best / base[label][0]
            if name != "base":
                worst = max(worst, ratio)
            cells.append(f"{best:7.1f} /{median:7.1f} x{ratio:4.2f}")
        print(f"  {label:<30}" + "".join(f"{cell:>24}" for cell in cells))
    verdict = "OK" if worst <= GOAL_RATIO else "TOO SLOW"
    print(f"goal: at most x{GOAL_RATIO} (best times): worst x{worst:.2f} {verdict}")


if __name__ == "__main__":
    main()
