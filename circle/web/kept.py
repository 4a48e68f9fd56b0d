"""A page's main part kept in this server's memory as HTML, for pages whose content a key
names entirely (the circle's ``data_stamp``, who is looking, the day, the language, the
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
from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from markupsafe import Markup

from circle.core.clock import utcnow
from circle.core.memo import Memo
from circle.web.i18n import kept_csrf_token

#: Stands for the request's CSRF token in a kept part: random per process, so that it
#: cannot be part of anything a user wrote.
_TOKEN_MARK = f"csrf-{secrets.token_hex(16)}"


@dataclass(frozen=True)
class KeptHtml:
    """A kept part: its HTML (the CSRF token as the mark) and the moment it no longer
    holds (None: while its key holds), for parts that show what expires at a set time."""

    html: str
    until: datetime | None = None

    def expired(self) -> bool:
        """Whether the part's moment has come."""
        return self.until is not None and utcnow() >= self.until


def kept_call(
    memo: Memo[KeptHtml], key: Hashable, draw: Callable[[], tuple[str, datetime | None]]
) -> Markup:
    """The HTML ``draw()`` renders (with the moment it stops holding, or None), kept in
    ``memo`` under ``key`` (which must name everything it shows) until that moment, with
    this request's CSRF token in its forms."""
    token = kept_csrf_token()

    def make() -> KeptHtml:
        """Draw the part, the request's token replaced by the mark."""
        html, until = draw()
        return KeptHtml(html.replace(token, _TOKEN_MARK), until)

    kept = memo.get_reading(key, make, stale=KeptHtml.expired)
    return Markup(kept.html.replace(_TOKEN_MARK, token))  # noqa: S704 - rendered by Jinja  # nosec B704


#: The key in a body's context for the moment the body stops holding (``page_with_body``).
KEPT_UNTIL = "kept_until"


def body_of(template: str) -> str:
    """The template of a page's body: ``activity/index.html`` -> ``activity/_index_body.html``
    (the page's template draws its title and ``{{ body }}``)."""
    folder, _slash, name = template.rpartition("/")
    return f"{folder}/_{name.removesuffix('.html')}_body.html"


def page_with_body(
    template: str,
    memo: Memo[KeptHtml],
    key: Hashable | None,
    body: Callable[[], dict],
    **outer,
) -> str:
    """The page ``template`` around its body (``body_of(template)`` rendered with the
    context ``body()`` returns), the body kept in ``memo`` under ``key`` (None: drawn
    afresh and not kept, as for a form sent back with errors) until the moment the context
    names as ``KEPT_UNTIL`` (an invitation's expiry), if any; ``outer`` is what the page's
    title needs."""

    def draw() -> tuple[str, datetime | None]:
        """The body, read and rendered, and its moment."""
        context = body()
        until = context.pop(KEPT_UNTIL, None)
        return render_template(body_of(template), **context), until

    drawn = kept_call(memo, key, draw) if key is not None else fresh(draw()[0])
    return render_template(template, body=drawn, **outer)


def fresh(html: str) -> Markup:
    """HTML rendered by Jinja for this request only, as a page's body."""
    return Markup(html)  # noqa: S704 - rendered by Jinja  # nosec B704
