"""Benchmark: the circle directory's search at 40 profiles and at 4,000 across circles.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/circle_bench_search \
        .venv/bin/python bench/directory_search.py [--repeat 200]

For PostgreSQL (the database above, created when missing, its schema rebuilt from the
migrations: never point this at real data) and for SQLite (a temporary file), the script

1. builds one circle of 40 members, each with a profile (company, what they do, ideal
   referral, keywords, region, networks, skills) and 4 to 8 referral wishes drawn from a
   vocabulary of professions, industries and target groups; indexes them (``rebuild``);
2. times ``directory(circle, query)`` — the whole directory page's work: the index
   search, the card query and the ranking — for queries of one word, two words, a word
   being typed (prefix) and a word nobody has, ``--repeat`` times each, and counts the
   statements of one search;
3. adds 99 more circles of 40 (4,000 profiles in all), indexes again and repeats 2.

It prints median and 95th percentile per query and size, and the ratio 4,000 / 40 of the
medians. The hardest case a member can ask for is the two-word query at 4,000 profiles.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from bench.support import PROFESSIONS, ensure_database, fresh_schema  # noqa: E402
from circle import create_app  # noqa: E402
from circle.config import _normalise_database_url  # noqa: E402
from circle.core.clock import utcnow  # noqa: E402
from circle.core.security import hash_password  # noqa: E402
from circle.extensions import db  # noqa: E402
from circle.models import (  # noqa: E402
    Circle,
    Membership,
    Profession,
    Profile,
    ReferralWish,
    User,
)
from circle.profiles.directory import directory  # noqa: E402
from circle.profiles.search import rebuild  # noqa: E402

QUERIES = {
    "one word": "Hochzeit",
    "two words": "Steuerberatung Köln",
    "typing": "Versich",
    "nobody": "Zeppelinbau",
}
WORDS = [
    "Hochzeiten",
    "Arztpraxen",
    "Familien",
    "Senioren",
    "Handwerk",
    "Gründer",
    "Köln",
    "Bonn",
    "Rodenkirchen",
    "Brautpaare",
    "Hausbesitzer",
    "Vermieter",
    "Erben",
    "Schulen",
    "Vereine",
    "Kanzleien",
    "Startups",
    "Pflegedienste",
    "Hotels",
    "Restaurants",
]


def build(app, circles: int, first: int, rng: random.Random) -> None:
    """Add ``circles`` circles of 40 members with profiles and wishes (bulk inserts)."""
    password = hash_password("benchmark password")
    with app.app_context():
        professions = {}
        for name in PROFESSIONS:
            found = db.session.execute(select(Profession).where(Profession.name == name))
            row = found.scalar_one_or_none()
            if row is None:
                row = Profession(name=name, key=name.casefold())
                db.session.add(row)
                db.session.flush()
            professions[name] = row.id
        for c in range(first, first + circles):
            circle = Circle(name=f"Kreis {c}", city="Köln", seat_limit=40)
            db.session.add(circle)
            db.session.flush()
            users = [
                {
                    "email": f"m{c}-{i}@bench.example",
                    "stored_name": f"Mitglied {c}-{i} {rng.choice(WORDS)}",
                    "password_hash": password,
                    "locale": "de",
                }
                for i in range(40)
            ]
            user_ids = db.session.execute(insert(User).returning(User.id), users).scalars().all()
            db.session.execute(
                insert(Membership),
                [
                    {
                        "circle_id": circle.id,
                        "user_id": user_id,
                        "profession_id": professions[PROFESSIONS[i]],
                        "role": "admin" if i == 0 else "member",
                        "status": "active",
                        "joined_at": utcnow(),
                    }
                    for i, user_id in enumerate(user_ids)
                ],
            )
            db.session.execute(
                insert(Profile),
                [
                    {
                        "user_id": user_id,
                        "company": f"{PROFESSIONS[i]} {rng.choice(WORDS)} GmbH",
                        "description": (
                            f"{PROFESSIONS[i]} für {rng.choice(WORDS)} und {rng.choice(WORDS)}"
                            f" in {rng.choice(['Köln', 'Bonn', 'Rodenkirchen'])}."
                        ),
                        "ideal_referral": f"Jemand aus {rng.choice(WORDS)}.",
                        "keywords": ", ".join(rng.sample(WORDS, 3)),
                        "region": rng.choice(["Köln", "Bonn", "Rhein-Sieg"]),
                        "networks": "IHK, Sportverein",
                        "skills": PROFESSIONS[(i + 1) % 40],
                        "updated_at": utcnow(),
                    }
                    for i, user_id in enumerate(user_ids)
                ],
            )
            kinds = ["region", "industry", "company", "network", "target_group", "press"]
            db.session.execute(
                insert(ReferralWish),
                [
                    {"user_id": user_id, "kind": kind, "text": text, "position": n}
                    for user_id in user_ids
                    for n, (kind, text) in enumerate(
                        zip(
                            rng.sample(kinds, 4),
                            rng.sample(WORDS + PROFESSIONS, 4),
                            strict=True,
                        )
                    )
                ],
            )
        rebuild(db.session.connection())
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")


def time_queries(app, repeat: int) -> dict[str, tuple[float, float, int]]:
    """Per query: median and 95th percentile (ms) of ``directory()``, and its statements."""
    out = {}
    with app.test_request_context():
        circle = db.session.execute(select(Circle).order_by(Circle.id).limit(1)).scalar_one()
        for label, query in QUERIES.items():
            directory(circle, query)  # warm up
            statements = []

            def count(*_args, _seen=statements, **_kwargs):
                _seen.append(1)

            event.listen(db.engine, "before_cursor_execute", count)
            found = directory(circle, query)
            event.remove(db.engine, "before_cursor_execute", count)
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                directory(circle, query)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            out[label] = (
                statistics.median(times),
                times[int(len(times) * 0.95) - 1],
                len(statements),
                len(found),
            )
    return out


def run(url: str, repeat: int) -> None:
    """Build, time at 40 and at 4,000 profiles, print."""
    app = create_app({"CIRCLE_ENV": "development", "SQLALCHEMY_DATABASE_URI": url})
    if url.startswith("postgresql"):
        ensure_database(url)
        fresh_schema(app)
    else:
        with app.app_context():
            upgrade()
    rng = random.Random(14)
    build(app, 1, 1, rng)
    small = time_queries(app, repeat)
    build(app, 99, 2, rng)
    large = time_queries(app, repeat)
    name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"\n{name}: directory search, {repeat} runs per query")
    print("| query | found | 40: p50 ms | p95 | 4,000: p50 ms | p95 | ratio | statements |")
    print("|---|---|---|---|---|---|---|---|")
    for label, query in QUERIES.items():
        s50, s95, s_count, found = small[label]
        l50, l95, l_count, _ = large[label]
        print(
            f"| {label} ({query}) | {found} | {s50:.2f} | {s95:.2f} | {l50:.2f} | {l95:.2f}"
            f" | {l50 / s50:.2f} | {s_count} / {l_count} |"
        )
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    """Run on PostgreSQL and on SQLite."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    postgres = _normalise_database_url(
        os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/circle_bench_search"
        )
    )
    run(postgres, args.repeat)
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.sqlite3", args.repeat)


if __name__ == "__main__":
    main()
