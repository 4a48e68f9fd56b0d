"""What the browser tests share: Debian's Chromium and its flags, the phone viewport, the
login through the form, the axe-core check every page of a journey passes, and the check
that a page fits the phone."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: A phone-sized viewport (``page.set_viewport_size(PHONE)``).
PHONE = {"width": 360, "height": 740}


def log_in(page, live_server, email: str) -> None:
    """Log in through the login form with the factories' password, and wait for it."""
    page.goto(live_server("/login"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page shown, as "id (impact)"."""
    return [
        f"{v['id']} ({v['impact']})"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical violation on the page."""
    serious = serious_violations(page)
    assert serious == [], serious


#: The elements that reach past the right edge of the viewport (tag#id.class and edge).
_TOO_WIDE = """(width) => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > width + 1)
  .slice(0, 12)
  .map((el) => {
    const right = Math.round(el.getBoundingClientRect().right);
    return `${el.tagName}#${el.id}.${el.className} ${right}`;
  })"""


def assert_fits_the_phone(page) -> None:
    """The page does not scroll sideways at the phone's width; else name what sticks out."""
    width = PHONE["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, page.evaluate(_TOO_WIDE, width)
