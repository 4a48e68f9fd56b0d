"""Walk every page a member and an admin reach from the demo circle, on a 360 px phone.

    .venv/bin/python scripts/phone_walk.py [--width 360] [--height 740] [--locale de]
        [--verbose] [--screenshots docs/screenshots]

Loads the demo into a temporary SQLite database, serves the app on a free loopback port,
and drives Debian's Chromium (Playwright, never a download) logged in as a plain member
(Jens) and as an admin (Anna) and walks every page reachable from the circle's home
(``tests/browser/walk.py``: width, tap targets under 44 px, axe-core's serious and critical
violations, status). It prints one line per page (``--verbose``: every small target too)
and a summary; it changes nothing. ``tests/browser/test_phone_walk.py`` asserts the same.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from circle import create_app  # noqa: E402
from circle.demo import DEMO_CIRCLE, DEMO_DOMAIN, DEMO_PASSWORD, load_demo  # noqa: E402
from circle.extensions import db  # noqa: E402
from circle.models import Circle, Membership, User  # noqa: E402
from tests.browser.support import CHROMIUM  # noqa: E402
from tests.browser.walk import log_in, walk  # noqa: E402


def serve(app) -> str:
    """Serve the app in a thread; its base URL."""
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


#: The phone screenshots the README shows (``--screenshots DIR``): file name and page.
SCREENSHOTS = (
    ("home.png", "/circles/{circle}"),
    ("directory.png", "/circles/{circle}/members"),
    ("profile.png", "/circles/{circle}/members/{petra}/profile"),
    ("slip-form.png", "/circles/{circle}/slips/new?to={petra}"),
    ("thank-form.png", "/circles/{circle}/thanks/new"),
    ("trends.png", "/circles/{circle}/trends"),
)


def screenshots(page, base: str, folder: Path, ids: dict) -> None:
    """Save the first screen of each page of ``SCREENSHOTS`` as a PNG into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in SCREENSHOTS:
        page.goto(base + path.format(**ids))
        page.screenshot(path=str(folder / name))
        print(f"saved {folder / name}")


def main() -> None:
    """Load the demo, walk as a member and as an admin, print what sticks out."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--width", type=int, default=360)
    parser.add_argument("--height", type=int, default=740)
    parser.add_argument("--locale", default="de")
    parser.add_argument("--verbose", action="store_true", help="name every small target")
    parser.add_argument("--screenshots", type=Path, help="save the member's phone screenshots")
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
            petra = db.session.execute(
                select(Membership.id)
                .join(User, User.id == Membership.user_id)
                .where(Membership.circle_id == circle_id, User.email == f"petra@{DEMO_DOMAIN}")
            ).scalar_one()
        base = serve(app)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            totals = []
            for who, email in (
                ("member", "jens@koeln-sued.example"),
                ("admin", "anna@koeln-sued.example"),
            ):
                context = browser.new_context(locale=args.locale, viewport=size)
                page = context.new_page()
                log_in(page, base, email, DEMO_PASSWORD)
                rows = walk(page, base, f"/circles/{circle_id}")
                if who == "member" and args.screenshots:
                    screenshots(page, base, args.screenshots, {"circle": circle_id, "petra": petra})
                context.close()
                for row in rows:
                    flag = "WIDE" if row.width > args.width else "ok  "
                    print(
                        f"{who:6} {flag} {row.width:5d}px small:{len(row.small):3d} "
                        f"axe:{','.join(row.axe) or '-':20} {row.status} {row.path}"
                    )
                    for target in row.small if args.verbose else ():
                        print(f"{'':12} small: {target}")
                wide = sum(1 for row in rows if row.width > args.width)
                axe = sum(1 for row in rows if row.axe)
                errors = sum(1 for row in rows if row.status >= 500)
                small = sum(len(row.small) for row in rows)
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
