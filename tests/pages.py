"""Reading HTML pages in tests: find a form by its action and send it as a browser would;
cut out an element or a section; the visible text of a fragment."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser


class _FormParser(HTMLParser):
    """Collect every form of a page: its action and the names and values of its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._current = {"action": attributes.get("action", ""), "fields": {}}
            self.forms.append(self._current)
        elif tag in ("input", "textarea", "select") and self._current is not None:
            name = attributes.get("name")
            if name and attributes.get("type") not in ("submit", "checkbox"):
                self._current["fields"][name] = attributes.get("value") or ""
            elif name:
                self._current["fields"].setdefault(name, None)

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def page_forms(html: str) -> list[dict]:
    """The forms of an HTML page."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def submit(client, page: str, action: str, data: dict | None = None):
    """Open ``page``, find its form posting to ``action``, fill ``data`` in and send it.

    Fails when the page has no such form or the form lacks one of the given fields,
    so the test goes through the form a user really sees (hidden fields and CSRF included).
    """
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    forms = [f for f in page_forms(response.get_data(as_text=True)) if f["action"] == action]
    assert forms, f"{page} has no form posting to {action}"
    form = forms[0]
    payload = {k: v for k, v in form["fields"].items() if v is not None}
    for key, value in (data or {}).items():
        assert key in form["fields"], f"the form for {action} has no field {key!r}"
        payload[key] = value
    return client.post(action, data=payload)


CSRF_TOKEN = re.compile(
    r'name="[\w-]*csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="[\w-]*csrf_token"'
)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_TOKEN.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def any_csrf_token(client, page: str = "/account") -> str:
    """A valid CSRF token of the logged-in session (for posts no page of this user offers)."""
    return csrf_token(client.get(page).get_data(as_text=True))


class Forms:
    """Submit HTML forms the way a browser does: fetch the page, keep its CSRF token."""

    def __init__(self, client):
        self.client = client

    def submit(self, page: str, data: dict, action: str | None = None, **kwargs):
        """GET ``page``, then POST ``data`` with its CSRF token to ``action`` (or ``page``)."""
        response = self.client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        payload = {"csrf_token": csrf_token(response.get_data(as_text=True))}
        payload.update(data)
        return self.client.post(action or page, data=payload, **kwargs)


def text(response) -> str:
    """The response body with HTML entities for quotes decoded."""
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')


def plain(html: str) -> str:
    """The visible text of an HTML fragment, whitespace squeezed."""
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip(" ")


def element(html: str, element_id: str) -> str:
    """The HTML of the element with ``element_id`` up to the first end tag of its name."""
    match = re.search(r'<(\w+)[^>]*\sid="' + re.escape(element_id) + r'"', html)
    assert match, f"no element #{element_id}"
    end = html.find(f"</{match.group(1)}>", match.end())
    return html[match.start() : end]


def section(html: str, element_id: str) -> str:
    """The element with ``element_id`` up to the end of its section (or of the page)."""
    start = html.index(f'id="{element_id}"')
    end = html.find("</section>", start)
    return html[start : end if end != -1 else len(html)]
