"""A page's main part kept in this server's memory as HTML, for pages whose content a key
names entirely: the page, the circle's ``data_stamp`` and the language always
(``page_with_body``), and what else the page names (who is looking, the day, the
request's arguments that change it).

A part that shows what expires at a set time (an open invitation) is kept until then.
A kept part may hold forms: their CSRF token (this session's, signed for this request) is
kept as a placeholder and put back as the current request's token on every use, so no
request ever sends another's token. Kept and used in reading requests only
(``Memo.get_reading``); a form sent back with errors is drawn afresh.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime

from flask import render_template
from markupsafe import Markup

from circle.core.clock import utcnow
from circle.core.memo import Memo
from circle.models import Circle
from circle.web.boundary import ui_locale
from circle.web.i18n import kept_csrf_token

#: Stands for the request's CSRF token in a kept part: random per process, so that it
#: cannot be part of anything a user wrote.
_TOKEN_MARK = f"csrf-{secrets.token_hex(16)}"


@dataclass(frozen=True)
class KeptHtml:
    """A kept part: its HTML (the CSRF token as the mark), the moment it no longer holds
    (None: while its key holds), for parts that show what expires at a set time, and the
    page's title when the part names it (a member's name)."""

    html: str
    until: datetime | None = None
    title: str = ""

    def expired(self) -> bool:
        """Whether the part's moment has come."""
        return self.until is not None and utcnow() >= self.until


def kept_html(memo: Memo[KeptHtml], key: Hashable, draw: Callable[[], KeptHtml]) -> KeptHtml:
    """The part ``draw()`` renders, kept in ``memo`` under ``key`` (which must name
    everything it shows) until its moment, with this request's CSRF token in its forms."""
    token = kept_csrf_token()

    def make() -> KeptHtml:
        """Draw the part, the request's token replaced by the mark."""
        drawn = draw()
        return replace(drawn, html=drawn.html.replace(token, _TOKEN_MARK))

    kept = memo.get_reading(key, make, stale=KeptHtml.expired)
    return replace(kept, html=kept.html.replace(_TOKEN_MARK, token))


#: The key in a body's context for the moment the body stops holding (``page_with_body``).
KEPT_UNTIL = "kept_until"
#: The key in a body's context for the page's title, kept with the body.
KEPT_TITLE = "kept_title"


def body_of(template: str) -> str:
    """The template of a page's body: ``activity/index.html`` -> ``activity/_index_body.html``
    (the page's template draws its title and ``{{ body }}``)."""
    folder, _slash, name = template.rpartition("/")
    return f"{folder}/_{name.removesuffix('.html')}_body.html"


#: The page bodies drawn last, of every page and circle, in this server's memory (a body
#: is 5-80 KiB).
BODIES_KEPT = 512
_bodies: Memo[KeptHtml] = Memo(BODIES_KEPT)


def page_with_body(
    template: str,
    circle: Circle,
    asked: tuple | None,
    body: Callable[[], dict],
    **outer,
) -> str:
    """The page ``template`` of ``circle`` around its body (``body_of(template)`` rendered
    with the context ``body()`` returns).

    The body is kept in memory under the template, the circle's ``data_stamp`` (every
    write to the circle's data changes it) and the language, with ``asked``: everything
    else the body shows (the reader where it is theirs, the day, the request's arguments).
    ``asked`` None draws it afresh and keeps nothing (a form sent back with errors). A body
    holds until the moment its context names as ``KEPT_UNTIL`` (an invitation's expiry),
    if any. ``outer`` is what the page's title needs besides the circle, and ``title`` the
    title the context names as ``KEPT_TITLE``, if any."""

    def draw() -> KeptHtml:
        """The body, read and rendered, its moment and its title."""
        context = body()
        until, title = context.pop(KEPT_UNTIL, None), context.pop(KEPT_TITLE, "")
        return KeptHtml(render_template(body_of(template), **context), until, title)

    if asked is None:
        drawn = draw()
    else:
        key = (template, circle.id, circle.data_stamp, ui_locale(), *asked)
        drawn = kept_html(_bodies, key, draw)
    if drawn.title:
        outer["title"] = drawn.title
    return render_template(template, body=fresh(drawn.html), circle=circle, **outer)


def fresh(html: str) -> Markup:
    """HTML rendered by Jinja, as a page's body."""
    return Markup(html)  # noqa: S704 - rendered by Jinja  # nosec B704
