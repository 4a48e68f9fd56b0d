"""A page's main part kept in this server's memory as HTML, for pages whose content a key
names entirely (the circle's ``data_stamp``, who is looking, the day, the language, the
request's arguments that change it).

A kept part may hold forms: their CSRF token (this session's, signed for this request) is
kept as a placeholder and put back as the current request's token on every use, so no
request ever sends another's token. Kept and used in reading requests only
(``Memo.get_reading``); a form sent back with errors is drawn afresh.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable

from flask import render_template
from markupsafe import Markup

from circle.core.memo import Memo
from circle.web.i18n import kept_csrf_token

#: Stands for the request's CSRF token in a kept part: random per process, so that it
#: cannot be part of anything a user wrote.
_TOKEN_MARK = f"csrf-{secrets.token_hex(16)}"


def kept_part(memo: Memo[str], key: Hashable, template: str, **context) -> Markup:
    """``template`` rendered with ``context``, kept in ``memo`` under ``key`` (which must
    name everything the part shows), with this request's CSRF token in its forms."""
    return kept_call(memo, key, lambda: render_template(template, **context))


def kept_call(memo: Memo[str], key: Hashable, draw: Callable[[], str]) -> Markup:
    """``draw()``'s HTML (a rendered template), kept in ``memo`` under ``key`` (which must
    name everything it shows), with this request's CSRF token in its forms."""
    token = kept_csrf_token()
    html = memo.get_reading(key, lambda: draw().replace(token, _TOKEN_MARK))
    return Markup(html.replace(_TOKEN_MARK, token))  # noqa: S704 - rendered by Jinja  # nosec B704


def body_of(template: str) -> str:
    """The template of a page's body: ``activity/index.html`` -> ``activity/_index_body.html``
    (the page's template draws its title and ``{{ body }}``)."""
    folder, _slash, name = template.rpartition("/")
    return f"{folder}/_{name.removesuffix('.html')}_body.html"


def page_with_body(
    template: str,
    memo: Memo[str],
    key: Hashable | None,
    body: Callable[[], dict],
    **outer,
) -> str:
    """The page ``template`` around its body (``body_of(template)`` rendered with the
    context ``body()`` returns), the body kept in ``memo`` under ``key`` (None: drawn
    afresh and not kept, as for a form sent back with errors); ``outer`` is what the
    page's title needs."""

    def draw() -> str:
        """The body, read and rendered."""
        return render_template(body_of(template), **body())

    drawn = kept_call(memo, key, draw) if key is not None else fresh(draw())
    return render_template(template, body=drawn, **outer)


def fresh(html: str) -> Markup:
    """HTML rendered by Jinja for this request only, as a page's body."""
    return Markup(html)  # noqa: S704 - rendered by Jinja  # nosec B704
