"""Benchmark: what a page costs when its body is kept in memory, and when it is not (the
first view after any write in the circle), in-process.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/circle_bench_pages \
        .venv/bin/python bench/kept_pages.py [--pages REGEX] [--calls 40] [--json FILE]

The pages keep their bodies under the circle's ``data_stamp`` (``circle.web.kept``), so
``bench/pages.py``, which loads each page without writing, measures the kept path. This
script builds the same circle (``bench/pages_circle.py``, five years), logs the member and
the admin in through the Flask test client and times every page of ``bench/pages.py``
``--calls`` times each way: as it is served again (kept), and with everything kept in
memory forgotten before each call (``Memo.forget_everything()``: the balance's numbers, the
pair rows and the pictures too, which a write that is not a slip would leave). It prints
the least of each, in milliseconds (the least is what the code costs; the rest is this
machine's noise), and the ratio.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import DEFAULT_URL, PER_WEEK, YEARS, _bearer, pages_of  # noqa: E402
from bench.pages_circle import build, logins  # noqa: E402
from bench.support import (  # noqa: E402
    bench_app,
    bench_database_url,
    ensure_database,
    fresh_schema,
    login,
)
from circle.core.memo import Memo  # noqa: E402


def least_ms(call, calls: int, forget: bool) -> float:
    """The least time of ``calls`` calls, in ms; ``forget``: nothing kept before each."""
    times = []
    for _ in range(calls):
        if forget:
            Memo.forget_everything()
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> None:
    """Build, time every page both ways, print the table; save JSON when asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", default="", help="only pages whose label or path matches")
    parser.add_argument("--calls", type=int, default=40, help="calls per page and way")
    parser.add_argument("--json", type=Path, help="save the figures to this file")
    args = parser.parse_args()
    url = bench_database_url(DEFAULT_URL)
    ensure_database(url)
    app = bench_app(url)
    fresh_schema(app)
    built = build(app, YEARS, PER_WEEK)
    clients = {}
    for role, email in logins().items():
        clients[role] = app.test_client()
        login(clients[role], email)
    rows = []
    print("| page | as | kept ms | after a change ms | ratio |\n|---|---|---|---|---|")
    for page in pages_of(built):
        if not (re.search(args.pages, page.name) or re.search(args.pages, page.path)):
            continue
        for role in page.roles:
            client, headers = clients[role], _bearer(built, page, role)

            def call(client=client, headers=headers, path=page.path):
                response = client.get(path, headers=headers)
                if response.status_code != 200:
                    sys.exit(f"{path}: {response.status_code}")

            call()
            kept = least_ms(call, args.calls, forget=False)
            fresh = least_ms(call, args.calls, forget=True)
            rows.append({"page": page.name, "role": role, "kept_ms": kept, "fresh_ms": fresh})
            print(f"| {page.name} | {role} | {kept:.2f} | {fresh:.2f} | {fresh / kept:.1f} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"calls": args.calls, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
