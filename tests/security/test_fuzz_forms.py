"""Hypothesis posts hostile values into every HTML form of the app: never a 500.

The forms are found, not listed: a logged-in admin of a circle with data (and a visitor
without a login) walk the app's GET pages from the start pages along the links, and every
``<form>`` is parsed with ``html.parser`` (action, method, enctype, inputs, selects,
textareas, named buttons). Each form is then submitted with a valid CSRF token and, per
field, a valid choice or a hostile value: very long strings, control characters with NUL,
the right-to-left override, emoji, lone surrogates (sent URL-encoded, as a browser or a
script would), huge and negative numbers, ``1e309``, days in year 1 and 9999,
``0000-00-00``, impossible days (2026-13-45, 2026-02-30), CR/LF and raw bytes that are
not UTF-8, empty and blank values, or the field left out.

The query parameters of every GET page crawled (``period``, ``from``, ``to``, ``member``,
``week`` ...) get the same treatment, with the edges of ``tests.security.fuzzing`` first.

Every case runs on a fresh client that carries the persona's session cookie, inside a
SAVEPOINT that is rolled back: destructive forms (log out, delete the account, leave the
circle) are fuzzed too without disturbing the next case. Derandomized and bounded: a few
cases per form, well within a minute per pass.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote_plus, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.factories import PASSWORD
from tests.pages import csrf_token
from tests.security.fuzzing import EDGES, as_bytes, fuzz_app, savepoint, world

pytestmark = pytest.mark.slow

#: Generated cases per form, after the explicit ones (every field the same hostile value).
#: A deeper run: CIRCLE_FUZZ_FORM_EXAMPLES=50 .venv/bin/pytest tests/security/test_fuzz_forms.py
EXAMPLES = int(os.environ.get("CIRCLE_FUZZ_FORM_EXAMPLES", "4"))
#: Explicit cases: each puts one hostile value into every field of the form at once.
EVERY_FIELD = [
    "a\x00b",
    "\u202eevil 😀\ud800",
    "1e309",
    "-99999999999999999999999",
    "0000-00-00",
    "9999-12-31",
    "2026-13-45",
    "99999999999999999999",
    "Kreis\r\nBcc: everyone@example.org",
]
#: Pages each persona may visit while looking for forms.
MAX_PAGES = 160
#: Pages per URL pattern (ids replaced): one referral page stands for all referrals.
PER_PATTERN = 2
#: Never fetched while crawling: side effects on GET, downloads, or not HTML.
SKIP_GET = re.compile(r"^/(static|api|healthz|calendar)/|\.(csv|ics|xls|json)$|/dues/return")

#: Values no form should choke on.
HOSTILE_VALUES = [
    "",
    " ",
    "\t \r\n ",
    "\x00",
    "a\x00b",
    "\x1b[31m\x07\x08",
    "\u202eredro\u202c",
    "\u200b\ufeff",
    "😀👨‍👩‍👧‍👦",
    "\ud800",
    "x\udfffy",
    "9" * 400,
    "-1",
    "0",
    "-99999999999999999999999",
    "99999999999999999999999",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "2024-02-30",
    "99:99",
    "1.234,50",
    "1.234.567,891",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00%ff",
    "a" * 20_000,
    *EDGES,
]

HOSTILE = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    # Any code point: controls, surrogates, private use, unassigned.
    st.text(st.characters(codec=None, exclude_categories=()), max_size=30),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(lambda day: day.isoformat()),
    st.text(min_size=1, max_size=3).map(lambda text: text * 30_000),
)


@dataclass
class Form:
    """One ``<form>`` as a browser would submit it."""

    page: str
    action: str
    method: str
    multipart: bool
    #: Field name -> values the page offers (options of a select, a checkbox's value ...).
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        """Forms with the same target and fields are the same form on another page."""
        return (self.method, _pattern(self.action), tuple(sorted(self.fields)))

    def __str__(self) -> str:
        return f"{self.method} {self.action} (on {self.page})"


class _PageParser(HTMLParser):
    """Collect the forms and the local links of one page."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form":
            self._form = Form(
                page=self.page,
                action=urljoin(self.page, a.get("action") or self.page),
                method=(a.get("method") or "get").upper(),
                multipart="multipart" in a.get("enctype", ""),
            )
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            if tag == "option" and self._form is not None and self._select:
                self._form.fields[self._select].append(a.get("value", ""))
        elif tag in ("input", "button"):
            kind = a.get("type", "text").lower()
            if kind == "file":
                self._form.files.append(a["name"])
            elif kind not in ("reset", "image"):
                self._form.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
            self._form.fields.setdefault(a["name"], [])
        elif tag == "textarea":
            self._form.fields.setdefault(a["name"], [])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _pattern(url: str) -> str:
    """A URL's path with ids and tokens blanked: the shape of the page."""
    path = re.sub(r"/\d{4}-\d{2}-\d{2}", "/DAY", urlsplit(url).path)
    return re.sub(r"/\d+", "/N", path)


def crawl(client, starts: list[str], pages: list[str] | None = None) -> list[Form]:
    """Walk the GET pages reachable from ``starts`` and return their distinct forms (the
    HTML pages seen are added to ``pages`` when given)."""
    queue, seen, per_pattern = list(starts), set(), {}
    forms: dict[tuple, Form] = {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0).partition("#")[0]
        parts = urlsplit(url)
        if parts.netloc not in ("", "circle.test") or url in seen:
            continue
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        shape = _pattern(local)
        if SKIP_GET.search(parts.path) or per_pattern.get(shape, 0) >= PER_PATTERN:
            continue
        seen.add(url)
        per_pattern[shape] = per_pattern.get(shape, 0) + 1
        response = client.get(local)
        assert response.status_code < 500, (local, response.status_code)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        if pages is not None:
            pages.append(local)
        parser = _PageParser("http://circle.test" + local)
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            forms.setdefault(form.key, form)
        queue.extend(parser.links)
    return list(forms.values())


def _is_csrf(name: str) -> bool:
    """The CSRF field, also of a prefixed form (``add-csrf_token``)."""
    return name == "csrf_token" or name.endswith("-csrf_token")


def _encode(value: str) -> str:
    """URL-encode like a client that sends whatever bytes it has (lone surrogates too)."""
    return quote_plus(as_bytes(value))


def _values(form: Form) -> st.SearchStrategy[dict[str, str | None]]:
    """Per field: one of the page's own values, a hostile value, or nothing (left out)."""
    strategies = {}
    for name, offered in form.fields.items():
        if _is_csrf(name):
            continue
        options = [st.just(None), HOSTILE]
        if offered:
            options.insert(0, st.sampled_from(offered))
        strategies[name] = st.one_of(options)
    return st.fixed_dictionaries(strategies)


def _submit(client, form: Form, values: dict[str, str | None]):
    """POST (or GET) the form with its CSRF token and ``values`` (None: field left out)."""
    pairs = [(name, value) for name, value in values.items() if value is not None]
    pairs += [(name, offered[0]) for name, offered in form.fields.items() if _is_csrf(name)]
    target = urlsplit(form.action)
    if form.method == "GET":
        query = "&".join(f"{_encode(n)}={_encode(v)}" for n, v in pairs)
        return client.get(f"{target.path}?{query}")
    if form.multipart:
        boundary = "fuzzboundary7MA4YWxkTrZu0gW"
        chunks = []
        for name, value in pairs:
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode("utf-8", "surrogatepass")
                + b"\r\n"
            )
        for name in form.files:
            text = values.get(name) or ""
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="slips.xls"\r\nContent-Type: application/vnd.ms-excel\r\n\r\n'.encode()
                + text.encode("utf-8", "surrogatepass")
                + b"\r\n"
            )
        body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
        return client.post(
            target.path, data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )
    body = "&".join(f"{_encode(n)}={_encode(v)}" for n, v in pairs)
    return client.post(target.path, data=body, content_type="application/x-www-form-urlencoded")


def fuzz_form(app, cookie: str | None, form: Form) -> None:
    """Submit ``form`` with a few hostile value sets; fail on a 5xx or an exception."""
    # A file input takes hostile file contents through the same strategies.
    form.fields.update({name: [] for name in form.files})

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(values=_values(form))
    def fuzz(values):
        client = app.test_client()
        if cookie:
            client.set_cookie("session", cookie, domain="circle.test")
        with savepoint(app):
            response = _submit(client, form, values)
        assert response.status_code < 500, (str(form), response.status_code, values)

    names = [name for name in form.fields if not _is_csrf(name)]
    for value in reversed(EVERY_FIELD):
        fuzz = example(values=dict.fromkeys(names, value))(fuzz)
    fuzz()


def fuzz_forms(app, cookie: str | None, forms: list[Form]) -> list[str]:
    """Fuzz each form; return what answered with a 5xx or raised."""
    failures: list[str] = []
    for form in forms:
        try:
            fuzz_form(app, cookie, form)
        except Exception as error:  # collect them all, then fail with the list
            failures.append(f"{form}: {type(error).__name__}: {str(error)[:800]}")
    return failures


def _session_cookie(client) -> str:
    """The value of the client's session cookie."""
    cookie = client.get_cookie("session", domain="circle.test")
    assert cookie is not None, "no session cookie after login"
    return cookie.value


@pytest.fixture(scope="module")
def admin_forms(fuzz_app, world):
    """The admin's session cookie and every form the admin's pages offer."""
    client = fuzz_app.test_client()
    login = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client.get("/login").get_data(as_text=True)),
            "email": world["admin_email"],
            "password": PASSWORD,
        },
    )
    assert login.status_code == 302, login.status_code
    circle = f"/circles/{world['path']['circle_id']}"
    starts = ["/", "/account", "/circles", circle, "/directory", f"{circle}/meetings"]
    pages: list[str] = []
    forms = crawl(client, starts, pages)
    return _session_cookie(client), forms, pages


# A failing example can be huge; Hypothesis warns while printing it.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_every_form_of_a_logged_in_admin_survives_hostile_input(fuzz_app, admin_forms):
    cookie, forms, _pages = admin_forms
    actions = {_pattern(form.action) for form in forms}
    # The walk reaches the whole app, not just the start pages.
    assert len(forms) >= 40, sorted(actions)
    must_have = [
        "/logout",
        "/account/delete",
        "/circles/N/referrals",
        "/circles/N/meetings/N/attendance",
    ]
    for action in must_have:
        assert action in actions, sorted(actions)
    failures = fuzz_forms(fuzz_app, cookie, forms)
    assert not failures, "\n\n".join(failures)


# A failing example can be huge; Hypothesis warns while printing it.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_every_form_without_a_login_survives_hostile_input(fuzz_app, world):
    from circle.auth.services import find_user_by_email, make_reset_token

    with fuzz_app.test_request_context():
        reset = "/password/reset/" + make_reset_token(find_user_by_email(world["admin_email"]))
    client = fuzz_app.test_client()
    forms = crawl(client, ["/", "/login", "/register", "/password/forgot", "/directory", reset])
    actions = {_pattern(form.action) for form in forms}
    assert {"/login", "/register", "/password/forgot", "/language", reset} <= actions, actions
    client.get("/login")  # the CSRF token of the forms is tied to this session
    failures = fuzz_forms(fuzz_app, _session_cookie(client), forms)
    assert not failures, "\n\n".join(failures)


#: Query parameters the pages read (and ones they do not: they must be ignored).
QUERY_NAMES = ["period", "from", "to", "member", "week", "by", "status", "page", "entity", "q"]


def _query(names: list[str]) -> st.SearchStrategy[dict[str, str | None]]:
    """Per parameter: an edge value first, any hostile value, or left out."""
    return st.fixed_dictionaries(
        {name: st.one_of(st.sampled_from(EDGES), st.just(None), HOSTILE) for name in names}
    )


def fuzz_page(app, cookie: str, page: str) -> None:
    """GET ``page`` with hostile query parameters; fail on a 5xx."""
    path, _, query = page.partition("?")
    names = sorted({*QUERY_NAMES, *(pair.partition("=")[0] for pair in query.split("&") if pair)})

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(values=_query(names))
    def fuzz(values):
        client = app.test_client()
        client.set_cookie("session", cookie, domain="circle.test")
        pairs = [(n, v) for n, v in values.items() if v is not None]
        url = f"{path}?" + "&".join(f"{_encode(n)}={_encode(v)}" for n, v in pairs)
        with savepoint(app):
            response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)

    for value in reversed(EDGES):  # each edge in every parameter at once
        fuzz = example(values=dict.fromkeys(names, value))(fuzz)
    fuzz()


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_every_page_of_a_logged_in_admin_survives_hostile_query_parameters(fuzz_app, admin_forms):
    """Issue 12, item 13: the 500s of ``?member=99999999999999999999`` and of periods
    ending 9999-12-31 came through query strings; every page crawled gets them all."""
    cookie, _forms, pages = admin_forms
    shapes = {_pattern(page) for page in pages}
    assert {"/circles/N/balance", "/circles/N/dues/admin", "/circles/N/ledger"} <= shapes, shapes
    failures = []
    for page in {_pattern(p): p for p in pages}.values():
        try:
            fuzz_page(fuzz_app, cookie, page)
        except Exception as error:  # collect them all, then fail with the list
            failures.append(f"{page}: {type(error).__name__}: {str(error)[:800]}")
    assert not failures, "\n\n".join(failures)
