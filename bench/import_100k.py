"""Benchmark: import a 100,000-row BNI Connect slips report into PostgreSQL.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/circle_bench \
        .venv/bin/python bench/import_100k.py [--rows 100000]

The database (default ``circle_bench`` on the local server) is created when missing and
its schema rebuilt from the migrations on every run: do not point this at real data.
The script writes a SpreadsheetML file with metadata rows above the header (40 members,
mixed slip types, some names from other chapters), then times

1. reading the file (``parsers.parse``),
2. the dry-run preview (read, match names, look up existing keys),
3. the commit (all of that again plus the bulk inserts, in one transaction),
4. the same file once more (adds nothing),

steps 2 and 3 as an admin's upload runs them: an import job, checked and then imported
by the worker's code in a thread while the job's status is polled as its page does
(every 0.25 s; each new figure of the progress bar is printed),

and prints the times and rows per second. The issue's goal: the commit of 100,000 rows
in under 10 seconds.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from datetime import time as clock
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The job's figures travel through the task queue's store: this process's memory unless
# QUEUE_URL names a Redis (as in production), read when circle is imported.
os.environ.setdefault("QUEUE_URL", "memory://")

import itertools

from sqlalchemy import func, select

from bench.support import ensure_database, fresh_schema
from circle import create_app
from circle.config import _normalise_database_url
from circle.core.checks import EARLIEST
from circle.core.clock import utcnow
from circle.core.weeks import today_for
from circle.db import unit_of_work
from circle.extensions import db
from circle.imports import jobs, parsers, running, services
from circle.imports.planning import Summary
from circle.membership.professions import get_or_create_profession
from circle.models import (
    Circle,
    ClosedBusiness,
    ImportJob,
    Membership,
    OtherSlip,
    Referral,
    User,
)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/circle_bench"
SLIP_DATE = date(2025, 3, 5)
FIRST = ["Anna", "Bernd", "Clara", "Dieter", "Eva", "Frank", "Gerda", "Hans", "Ilse", "Jens"]
LAST = ["Schmidt", "Meyer", "Wolf", "Koch"]
TYPES = ["Referral"] * 45 + ["TYFCB"] * 25 + ["One-to-One"] * 15 + ["CEU"] * 5 + ["Visitor"] * 10


def member_names() -> list[str]:
    """40 distinct member names."""
    return [f"{first} {last}" for last in LAST for first in FIRST]


def cell(value: str, kind: str = "String") -> str:
    """One SpreadsheetML cell."""
    return f'<Cell><Data ss:Type="{kind}">{escape(value)}</Data></Cell>'


def bni_file(rows: int, seed: int = 1) -> bytes:
    """A slips audit report with ``rows`` slips, metadata rows and the variant headers."""
    rng = random.Random(seed)
    names = member_names()
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">\n'
        '<Worksheet ss:Name="Slips Audit Report"><Table>\n'
    ]
    for label, value in (
        ("Running User", "Anna Schmidt"),
        ("Run At", "03/05/2025 10:15 AM"),
        ("Country", "Germany"),
        ("Region", "Köln"),
        ("Chapter", "Kreis Bench"),
    ):
        out.append(f"<Row>{cell(label)}{cell(value)}</Row>\n")
    out.append("<Row/>\n<Row>")
    for header in ("From", "To", "Slip Type", "Inside/Outside", "$ if TYFCB", "Qty if CEU"):
        out.append(cell(header))
    out.append(cell("Detail") + "</Row>\n")
    for _ in range(rows):
        slip = rng.choice(TYPES)
        giver, receiver = rng.sample(names, 2)
        if rng.random() < 0.02:
            receiver = f"Gast {rng.randint(1, 200)}"  # another chapter's member
        if rng.random() < 0.1:
            giver = giver.replace(" ", "  ")  # BNI's double spaces
        tier = rng.choice(("Tier 1 (inside)", "Tier 2 (outside)"))
        if slip == "Referral":
            row = cell(giver) + cell(receiver) + cell(slip) + cell(tier)
        elif slip == "TYFCB":
            amount = f"${rng.randint(1, 2_000_000) / 100:,.2f}"
            row = "<Cell/>" + cell(receiver) + cell(slip) + cell(tier) + cell(amount)
        elif slip == "CEU":
            row = cell(giver) + "<Cell/>" + cell(slip) + '<Cell ss:Index="6">'
            row += f'<Data ss:Type="Number">{rng.randint(1, 3)}</Data></Cell>' + cell("Podcast")
        else:
            row = cell(giver) + cell(receiver) + cell(slip)
        out.append(f"<Row>{row}</Row>\n")
    out.append("</Table></Worksheet></Workbook>\n")
    return "".join(out).encode("utf-8")


def make_circle() -> Circle:
    """A circle with 40 active members named like the file's people."""
    circle = Circle(
        name="Kreis Bench",
        city="Köln",
        seat_limit=40,
        timezone="Europe/Berlin",
        currency="EUR",
        meeting_weekday=2,
        meeting_time=clock(7, 0),
    )
    db.session.add(circle)
    db.session.flush()
    for index, name in enumerate(member_names()):
        user = User(email=f"bench{index}@example.org", name=name, password_hash="x", locale="de")
        db.session.add(user)
        db.session.flush()
        profession = get_or_create_profession(f"Bench-Beruf {index}")
        db.session.add(
            Membership(
                circle_id=circle.id,
                user_id=user.id,
                profession_id=profession.id,
                role="admin" if index == 0 else "member",
                status="active",
                joined_at=utcnow(),
            )
        )
    db.session.flush()
    return circle


def main() -> None:
    """Generate, parse, preview and commit; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    url = _normalise_database_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    if not url.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must be a PostgreSQL URL.")
    ensure_database(url)
    app = create_app({"CIRCLE_ENV": "test", "SQLALCHEMY_DATABASE_URI": url})
    fresh_schema(app)

    started = time.perf_counter()
    data = bni_file(args.rows)
    elapsed = time.perf_counter() - started
    print(f"generated {args.rows} rows, {len(data) / 1e6:.1f} MB in {elapsed:.2f}s")

    with app.test_request_context():
        with unit_of_work(db.session):
            circle_id = make_circle().id
        circle = db.session.get(Circle, circle_id)

        started = time.perf_counter()
        parsed = parsers.parse(
            data, currency="EUR", slip_date=SLIP_DATE, today=today_for(circle), earliest=EARLIEST
        )
        parse_s = time.perf_counter() - started
        print(f"parse:   {parse_s:6.2f}s  {parsed.count / parse_s:>9,.0f} rows/s")

        db.session.rollback()
        admin = make_admin(circle_id)
        db.session.commit()

        # As an admin does it: the upload becomes a job; the worker (a thread here, with
        # the worker's own code) checks it while the page's status is polled.
        with unit_of_work(db.session):
            job = jobs.start(
                db.session.get(Circle, circle_id),
                admin,
                data,
                filename="bench.xls",
                slip_date=SLIP_DATE,
            )
        ids = (job.circle_id, job.id)
        preview_s, states = watch(app, ids, "check")
        summary = Summary.from_record(db.session.get(ImportJob, ids).summary)
        print(f"preview: {preview_s:6.2f}s  {summary.rows / preview_s:>9,.0f} rows/s ({states})")

        with unit_of_work(db.session):
            jobs.confirm(db.session.get(ImportJob, ids))
        commit_s, states = watch(app, ids, "import")
        db.session.expire_all()
        record = db.session.get(ImportJob, ids)
        summary = Summary.from_record(record.summary)
        print(
            f"commit:  {commit_s:6.2f}s  {summary.rows / commit_s:>9,.0f} rows/s "
            f"(incl. parse; {states}, import {record.import_id})"
        )
        print(
            f"  added: {summary.referrals} referrals, {summary.closed_business} closed business, "
            f"{summary.other_slips}, {summary.new_external_parties} external parties"
        )

        started = time.perf_counter()
        with unit_of_work(db.session):
            circle = db.session.get(Circle, circle_id)
            again = services.commit(circle, None, data, slip_date=SLIP_DATE)
        print(
            f"again:   {time.perf_counter() - started:6.2f}s  added {again.added}, "
            f"already imported {again.already_imported}"
        )
        stored = [
            db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Referral, ClosedBusiness, OtherSlip)
        ]
        print(f"stored:  {sum(stored)} rows ({stored[0]} / {stored[1]} / {stored[2]})")
        verdict = "OK" if commit_s < 10 else "TOO SLOW"
        print(f"goal: commit of {summary.rows} rows < 10 s on PostgreSQL: {verdict}")


def make_admin(circle_id: int) -> User:
    """The circle's admin (the bench circle's first member), who uploads the file."""
    return db.session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.circle_id == circle_id)
        .order_by(Membership.id)
        .limit(1)
    ).scalar_one()


def watch(app, ids: tuple[int, str], phase: str) -> tuple[float, str]:
    """Run the job in a worker thread and poll its status as the job's page does (every
    0.25 s), printing each new figure of the bar; the seconds until the job ended and its
    state."""
    started = time.perf_counter()
    seen: list[tuple[float, int | None, int]] = []

    def worker() -> str | None:
        with app.test_request_context():
            return running.run(*ids)

    with ThreadPoolExecutor(1) as pool:
        outcome = pool.submit(worker)
        while not outcome.done():
            with app.test_request_context():
                status = jobs.status(db.session.get(ImportJob, ids))
                db.session.remove()
            figure = (status["percent"], status["done"])
            if status["stage"] and (not seen or seen[-1][1:] != figure):
                seen.append((time.perf_counter() - started, *figure))
                percent = "  ?" if figure[0] is None else f"{figure[0]:3d}"
                print(
                    f"   {phase} bar {percent} %  {status['stage']:5s} {status['done']:>7,} rows"
                    f"  at {seen[-1][0]:5.2f}s"
                )
            time.sleep(0.25)
        state = outcome.result()
    elapsed = time.perf_counter() - started
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(seen)]
    longest = max(gaps, default=0.0)
    return elapsed, f"{state}, {len(seen)} bar updates, longest gap {longest:.2f}s"


if __name__ == "__main__":
    main()
