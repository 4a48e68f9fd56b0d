"""Following the "newer" / "older" links of a keyset-paged list in tests (see the
``keyset_nav`` macro in templates/_keyset.html)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

from tests.pages import text


def nav_link(html: str, nav_id: str, rel: str) -> str | None:
    """The address of the ``rel`` ("next": older, "prev": newer) link in the nav
    ``nav_id``, or None when there is none."""
    found = re.search(rf'<nav [^>]*id="{nav_id}">(.*?)</nav>', html, re.S)
    if found is None:
        return None
    link = re.search(rf'rel="{rel}" href="([^"]+)"', found.group(1))
    return unescape(link.group(1)) if link else None


def walk(
    client, url: str, ids: Callable[[str], list[str]], nav_id: str, rel: str = "next"
) -> list[list[str]]:
    """Open ``url`` and follow its ``rel`` links to the end: the ids on each page."""
    pages = []
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, url
        html = text(response)
        pages.append(ids(html))
        url = nav_link(html, nav_id, rel)
        assert len(pages) < 100, "the links go round in circles"
    return pages
