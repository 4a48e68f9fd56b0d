"""Benchmark: how fast and in how much memory the importer refuses hostile uploads.

    .venv/bin/python bench/hostile_uploads.py [--mib 8]

Each case is a file of about ``--mib`` MiB (default 8, the size that killed both gunicorn
workers in issue 12, item 2) shaped to make work that grows with an index rather than
with the bytes, or to exhaust memory. Each is handed to ``parsers.parse`` (the code the
upload page, the API and the CLI all call) and the script prints the seconds until the
refusal, the peak memory the parse allocated (tracemalloc) and the refusal. The goal:
every case refused in under 2 seconds with memory bounded by the file's size.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from circle import create_app
from circle.core.errors import DomainError
from circle.imports import parsers

HEAD = b'<?xml version="1.0"?><Workbook xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
HEADER = (
    b"<Row><Cell><Data>From</Data></Cell><Cell><Data>To</Data></Cell>"
    b"<Cell><Data>Slip Type</Data></Cell></Row>"
)


def sheet(row: bytes, size: int) -> bytes:
    """A workbook repeating ``row`` until the file is about ``size`` bytes."""
    count = max(1, size // len(row))
    return HEAD + b"<Worksheet><Table>" + HEADER + row * count + b"</Table></Worksheet></Workbook>"


def cases(size: int) -> dict[str, bytes]:
    """The hostile files, each about ``size`` bytes."""
    laughs = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "' + b"a" * 1000 + b'">'
    for level in range(1, 10):
        previous = b"&a;" if level == 1 else b"&e%d;" % (level - 1)
        laughs += b'<!ENTITY e%d "%s">' % (level, previous * 10)
    laughs += b"]><Workbook><Worksheet><Table><Row><Cell><Data>&e9;</Data></Cell></Row>"
    laughs += b"</Table></Worksheet></Workbook>"
    depth = size // 7
    return {
        "cell ss:Index jumps": sheet(
            b'<Row><Cell ss:Index="1000"><Data>x</Data></Cell></Row>', size
        ),
        "ss:MergeAcross": sheet(
            b'<Row><Cell ss:MergeAcross="60"/><Cell ss:MergeAcross="60"/></Row>', size
        ),
        "row ss:Index jump": sheet(b'<Row ss:Index="9999999"/>', 100),
        "huge row count": sheet(b"<Row/>", size),
        "wide rows (200 cells)": sheet(b"<Row>" + b"<Cell/>" * 200 + b"</Row>", size),
        "billion laughs": laughs,
        "deep nesting": HEAD + b"<Data>" * depth + b"</Data>" * depth + b"</Workbook>",
        "CSV giant field": b"From,To,Slip Type\nA,B," + b"x" * size + b"\n",
        "CSV wide": (",".join(f"c{n}" for n in range(size // 8)) + "\n").encode(),
        "zip (XLSX)": b"PK\x03\x04" + b"\x00" * size,
    }


def refusal(data: bytes) -> str:
    """Parse ``data`` as an upload dated 2025-03-05; the refusal's status, code and text."""
    try:
        parsers.parse(
            data,
            currency="EUR",
            slip_date=date(2025, 3, 5),
            today=date(2025, 3, 10),
            earliest=date(2000, 1, 1),
        )
    except DomainError as error:
        return f"{error.status} {error.code}: {error.message[:40]}"
    return "ACCEPTED"


def main() -> None:
    """Time each refusal and print a table."""
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--mib", type=float, default=8)
    size = int(arguments.parse_args().mib * 1024 * 1024)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "BASE_URL": "http://localhost",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    print(f"{'case':<24}{'MiB':>6}{'seconds':>9}{'peak MiB':>10}  refusal")
    with app.test_request_context():
        for name, data in cases(size).items():
            started = time.perf_counter()
            outcome = refusal(data)
            seconds = time.perf_counter() - started
            tracemalloc.start()  # a second run: tracemalloc slows the parse down
            refusal(data)
            peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
            tracemalloc.stop()
            print(f"{name:<24}{len(data) / 1048576:>6.1f}{seconds:>9.3f}{peak:>10.1f}  {outcome}")


if __name__ == "__main__":
    main()
