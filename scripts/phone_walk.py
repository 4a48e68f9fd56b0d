"""Walk every page a member and an admin reach from the demo circle, on a 360 px phone.

    .venv/bin/python scripts/phone_walk.py [--width 360] [--height 740] [--locale de]

Loads the demo into a temporary SQLite database, serves the app on a free loopback port,
and drives Debian's Chromium (Playwright, never a download) logged in as a plain member
(Jens) and as an admin (Anna). From the circle's page it follows every same-site link
(GET only: no log-out, no downloads) breadth-first and, per page, records the page's
width (``scrollWidth``; wider than the viewport means sideways scrolling), the tap targets
(links, buttons, inputs) smaller than 44 x 44 px, and axe-core's serious and critical
violations. It prints one line per page and a summary; it changes nothing.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from circle import create_app  # noqa: E402
from circle.demo import DEMO_CIRCLE, DEMO_PASSWORD, load_demo  # noqa: E402
from circle.extensions import db  # noqa: E402
from circle.models import Circle  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SKIP = re.compile(
    r"(/logout|\.csv|\.vcf|\.ics|\.svg|/vcard|/pictures/|/export|/static/|/api/|"
    r"/language|\.webmanifest|favicon)"
)
SMALL_TARGETS = """() => [...document.querySelectorAll('a, button, input, select, textarea')]
  .filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && (r.width < 44 || r.height < 44);
  }).length"""


def serve(app) -> str:
    """Serve the app in a thread; its base URL."""
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def shape(path: str) -> str:
    """A page's kind: ids and dates as placeholders, only the names of query parameters
    ("/circles/N/week/D", "/circles/N/balance?period"): one page of each kind is walked."""
    target = urlsplit(path)
    kind = re.sub(r"\d{4}-\d{2}-\d{2}", "D", target.path)
    kind = re.sub(r"/\d+", "/N", kind)
    names = sorted({part.split("=", 1)[0] for part in target.query.split("&") if part})
    return kind + ("?" + "&".join(names) if names else "")


def walk(browser, base: str, email: str, start: str, size: dict, locale: str) -> list[dict]:
    """Log in and visit every reachable page once; a row per page."""
    context = browser.new_context(locale=locale, viewport=size)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    queue, seen, rows = deque([start, "/account", "/circles"]), set(), []
    while queue:
        path = queue.popleft()
        if shape(path) in seen:
            continue
        seen.add(shape(path))
        try:
            response = page.goto(base + path)
        except PlaywrightError:  # a download, not a page
            continue
        status = response.status if response else 0
        if not page.url.startswith(base) or "text/html" not in (
            response.headers.get("content-type", "") if response else ""
        ):
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        small = page.evaluate(SMALL_TARGETS)
        serious = [
            violation["id"]
            for violation in Axe().run(page).response["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        rows.append(
            {"path": path, "status": status, "width": width, "small": small, "axe": serious}
        )
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            target = urlsplit(urljoin(base + path, href))
            local = target.path + (f"?{target.query}" if target.query else "")
            href = local
            if (
                f"{target.scheme}://{target.netloc}" == base
                and not SKIP.search(href)
                and shape(local) not in seen
            ):
                queue.append(local)
    context.close()
    return rows


def main() -> None:
    """Load the demo, walk as a member and as an admin, print what sticks out."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--width", type=int, default=360)
    parser.add_argument("--height", type=int, default=740)
    parser.add_argument("--locale", default="de")
    args = parser.parse_args()
    size = {"width": args.width, "height": args.height}
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "CIRCLE_ENV": "development",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/walk.sqlite3",
                "MAIL_OUTBOX": f"{folder}/outbox",
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.test_request_context():
            upgrade()
            load_demo()
            db.session.commit()
            circle_id = db.session.execute(
                select(Circle.id).where(Circle.name == DEMO_CIRCLE)
            ).scalar_one()
        base = serve(app)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            totals = []
            for who, email in (
                ("member", "jens@koeln-sued.example"),
                ("admin", "anna@koeln-sued.example"),
            ):
                rows = walk(browser, base, email, f"/circles/{circle_id}", size, args.locale)
                for row in rows:
                    flag = "WIDE" if row["width"] > args.width else "ok  "
                    print(
                        f"{who:6} {flag} {row['width']:5d}px small:{row['small']:3d} "
                        f"axe:{','.join(row['axe']) or '-':20} {row['status']} {row['path']}"
                    )
                wide = sum(1 for row in rows if row["width"] > args.width)
                axe = sum(1 for row in rows if row["axe"])
                errors = sum(1 for row in rows if row["status"] >= 500)
                small = sum(row["small"] for row in rows)
                totals.append((who, len(rows), wide, axe, errors, small))
            browser.close()
        print()
        for who, pages, wide, axe, errors, small in totals:
            print(
                f"{who}: {pages} pages, {wide} wider than {args.width} px, {axe} with serious "
                f"axe violations, {errors} answering 5xx, {small} tap targets under 44 px"
            )


if __name__ == "__main__":
    main()
