"""A GET never writes (issue 13, item 1): every GET route, HTML and API, is requested by
the admin of a circle with data while writes are forbidden, and any flush fails the test.

Writes are forbidden only while the view function runs: the session bookkeeping that
happens before any view (``last_seen_at`` of a server-side session, written at most every
few minutes) is the request edge's, not the page's. The one write a view may make on a GET
is the API token's ``last_used_at`` stamp (the token's owner sees when it was last used).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from functools import wraps

from flask import g, request
from sqlalchemy import event, inspect

from circle.extensions import db
from circle.models import ApiToken, Profession
from tests.factories import PASSWORD
from tests.pages import csrf_token
from tests.security.fuzzing import fuzz_app, world  # noqa: F401 - shared fixtures

PARAM = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>")
#: Routes that are not pages of the app (files served as they are).
NOT_PAGES = {"static"}


def _allowed(obj) -> bool:
    """The API token's last-use stamp is the only write a GET view may make."""
    if not isinstance(obj, ApiToken):
        return False
    changed = {a.key for a in inspect(obj).attrs if a.history.has_changes()}
    return changed <= {"last_used_at"}


@contextmanager
def writes_forbidden(app, writes: list[str]):
    """Record every flush made inside a GET view function into ``writes``."""

    def guard(view):
        @wraps(view)
        def run(*args, **kwargs):
            g.get_view = request.method in ("GET", "HEAD")
            try:
                return view(*args, **kwargs)
            finally:
                g.get_view = False

        return run

    def check(session, _context, _instances):
        if not g.get("get_view"):
            return
        for obj in (*session.new, *session.dirty, *session.deleted):
            if not _allowed(obj):
                found = f"{request.method} {request.path}: {type(obj).__name__}"
                if found not in writes:
                    writes.append(found)

    originals = dict(app.view_functions)
    app.view_functions.update({name: guard(view) for name, view in originals.items()})
    with app.app_context():
        target = db.session
    event.listen(target, "before_flush", check)
    try:
        yield
    finally:
        event.remove(target, "before_flush", check)
        app.view_functions.clear()
        app.view_functions.update(originals)


def _get_routes(app, values: dict) -> list[str]:
    """Every GET rule with its parameters filled in from ``values`` (skipped if unknown)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        params = PARAM.findall(rule.rule)
        if any(p not in values for p in params):
            continue
        urls.append(PARAM.sub(lambda m: str(values[m.group(1)]), rule.rule))
    return sorted(set(urls))


def test_the_guard_sees_a_write(own_app):
    """The guard itself works: a flush made in a view answering a GET is caught."""
    writes: list[str] = []
    app = own_app  # not the session's: a route is added below

    @app.get("/__write_on_get")  # registered before the app's first request, test-only
    def _write_on_get():
        db.session.add(Profession(name="Schreibprobe", key="schreibprobe"))
        db.session.flush()
        db.session.rollback()
        return "ok"

    with writes_forbidden(app, writes):
        assert app.test_client().get("/__write_on_get").status_code == 200
    assert writes == ["GET /__write_on_get: Profession"]


def test_no_get_route_writes(fuzz_app, world):  # noqa: F811 - fixtures from tests.security.fuzzing
    values = dict(world["path"])
    values["filename"] = "app.css"
    urls = _get_routes(fuzz_app, values)
    assert len(urls) >= 60, urls  # the walk covers the app, not a handful of pages
    html = fuzz_app.test_client()
    login = html.post(
        "/login",
        data={
            "csrf_token": csrf_token(html.get("/login").get_data(as_text=True)),
            "email": world["admin_email"],
            "password": PASSWORD,
        },
    )
    assert login.status_code == 302
    bearer = {"Authorization": f"Bearer {world['token']}"}
    writes: list[str] = []
    answered = set()
    with writes_forbidden(fuzz_app, writes):
        for url in urls:
            headers = bearer if url.startswith("/api/") else {}
            response = html.get(url, headers=headers)
            assert response.status_code < 500, (url, response.status_code)
            answered.add(response.status_code)
    assert 200 in answered
    assert writes == [], "\n".join(writes)
