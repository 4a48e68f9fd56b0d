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
