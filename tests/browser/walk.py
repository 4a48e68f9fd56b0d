"""Walk every page a logged-in user reaches from a circle's home page, on a phone.

Used by the phone-walk browser test and by ``scripts/phone_walk.py``. From the start page
it follows every same-site link (GET only: no log-out, no downloads) breadth-first, one
page of each kind (ids and dates as placeholders), and records per page: the status, the
page's width (``scrollWidth``; wider than the viewport means sideways scrolling), the tap
targets (links, buttons, fields) smaller than 44 x 44 px and axe-core's serious and
critical violations, and its height. It changes nothing.

A link inside running text is not counted as a tap target (WCAG 2.5.8's inline
exception: its size is the line's), a checkbox is measured by its label (the label is
what a thumb taps), and the skip link only while it is shown.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError

from tests.browser.support import serious_violations

#: Not walked: leaving, downloads, pictures, machine endpoints.
SKIP = re.compile(
    r"(/logout|\.csv|\.vcf|\.ics|\.svg|/vcard|/pictures/|/export|/static/|/api/|"
    r"/language|\.webmanifest|favicon)"
)
#: The small tap targets of the page, described (tag#id and the first words).
SMALL_TARGETS = """() => {
  const inText = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    let rest = el.parentElement.textContent;
    for (const link of el.parentElement.querySelectorAll('a')) {
      rest = rest.replace(link.textContent, '');
    }
    return /[A-Za-zÄÖÜäöüß]{2}/.test(rest);
  };
  return [...document.querySelectorAll('a, button, input, select, textarea')].filter((el) => {
    const box = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label')
      ? el.closest('label') : el;
    const r = box.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= 0) return false;
    return (r.width < 44 || r.height < 44) && !inText(el);
  }).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' '
    + (el.textContent || el.name || '').trim().slice(0, 30));
}"""


@dataclass
class Visit:
    """One page walked and what stuck out on it."""

    path: str
    status: int
    width: int
    height: int
    small: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)


def shape(path: str) -> str:
    """A page's kind: ids and dates as placeholders, only the names of query parameters
    ("/circles/N/week/D", "/circles/N/balance?period"): one page of each kind is walked."""
    target = urlsplit(path)
    kind = re.sub(r"\d{4}-\d{2}-\d{2}", "D", target.path)
    kind = re.sub(r"/\d+", "/N", kind)
    names = sorted({part.split("=", 1)[0] for part in target.query.split("&") if part})
    return kind + ("?" + "&".join(names) if names else "")


def log_in(page, base: str, email: str, password: str) -> None:
    """Log in through the login form."""
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def walk(page, base: str, start: str) -> list[Visit]:
    """Visit every page reachable from ``start`` (plus the account and the circles list)
    once per kind, as the logged-in user of ``page``; one ``Visit`` per HTML page."""
    queue, seen, visits = deque([start, "/account", "/circles"]), set(), []
    audited: set[str] = set()  # paths axe-core has checked (see the module's docstring)
    while queue:
        path = queue.popleft()
        if shape(path) in seen:
            continue
        seen.add(shape(path))
        try:
            response = page.goto(base + path)
        except PlaywrightError:  # a download, not a page
            continue
        content_type = response.headers.get("content-type", "") if response else ""
        if not page.url.startswith(base) or "text/html" not in content_type:
            continue
        template = shape(path).partition("?")[0]
        visits.append(
            Visit(
                path=path,
                status=response.status,
                width=page.evaluate("document.documentElement.scrollWidth"),
                height=page.evaluate("document.documentElement.scrollHeight"),
                small=page.evaluate(SMALL_TARGETS),
                axe=[] if template in audited else serious_violations(page),
            )
        )
        audited.add(template)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            target = urlsplit(urljoin(base + path, href))
            local = target.path + (f"?{target.query}" if target.query else "")
            if (
                f"{target.scheme}://{target.netloc}" == base
                and not SKIP.search(local)
                and shape(local) not in seen
            ):
                queue.append(local)
    return visits
