"""What the browser tests share: Debian's Chromium and its flags, the phone viewport, and
the axe-core check every page of a journey passes."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

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
PHONE = {"width": 360, "height": 780}


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical violation on the page."""
    results = Axe().run(page)
    serious = [
        f"{v['id']} ({v['impact']})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious
