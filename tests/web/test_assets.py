"""Circle on the home screen (issue 14, item 7): a favicon at /favicon.ico, a web-app
manifest in the visitor's language whose icons exist in the sizes it names, and every
page links both."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
from pathlib import Path

from PIL import Image


def test_the_favicon_is_an_icon_and_cached(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    icon = Image.open(io.BytesIO(response.get_data()))
    assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]


def test_the_manifest_names_circle_and_its_icons_exist(client):
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "de"})
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == "Circle" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/circles"
    assert manifest["description"].startswith("Empfehlungen")
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200, icon["src"]
        data = image.get_data()
        image.close()
        if icon["type"] == "image/png":
            width, height = Image.open(io.BytesIO(data)).size
            assert icon["sizes"] == f"{width}x{height}"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}


def test_every_page_links_the_icons_and_the_manifest(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<link rel="icon" href="/favicon.ico"' in page
    assert 'rel="apple-touch-icon"' in page and '<meta name="theme-color"' in page


# --- static files under content-hashed addresses, compressed --------------------------

STATIC = Path(__file__).resolve().parents[2] / "static"


def _linked(page: str, suffix: str) -> str:
    """The address of the first linked asset ending in ``suffix``."""
    match = re.search(r'(?:href|src)="(/assets/[0-9a-f]+/[^"]*' + re.escape(suffix) + ')"', page)
    assert match, f"no asset ending in {suffix}"
    return match.group(1)


def test_pages_link_the_style_sheet_by_its_content_and_it_is_cached_a_year(client):
    page = client.get("/login").get_data(as_text=True)
    css = _linked(page, "css/app.css")
    data = (STATIC / "css" / "app.css").read_bytes()
    assert css == f"/assets/{hashlib.sha256(data).hexdigest()[:12]}/css/app.css"
    response = client.get(css)
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert response.get_data() == data
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    script = client.get(_linked(page, "js/app.js"))
    assert (
        script.status_code == 200 and script.get_data() == (STATIC / "js" / "app.js").read_bytes()
    )
    # A page from before a deploy asks for an older digest: today's file, not kept.
    stale = client.get("/assets/000000000000/css/app.css")
    assert stale.get_data() == data and stale.headers["Cache-Control"] == "no-cache"


def test_only_the_static_folders_assets_are_served(client):
    for path in (
        "/assets/x/../setup.cfg",
        "/assets/x/%2e%2e/setup.cfg",
        "/assets/x/..%2fcircle%2fconfig.py",
        "/assets/x/css/missing.css",
        "/assets/x/" + "a/" * 150 + "app.css",
        "/assets/x/icons/../../wsgi.py",
    ):
        assert client.get(path).status_code == 404, path


def test_style_sheets_are_compressed_and_pages_are_not(client):
    page = client.get("/login").get_data(as_text=True)
    css = client.get(_linked(page, "css/app.css"), headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(css.get_data()) == (STATIC / "css" / "app.css").read_bytes()
    assert "Accept-Encoding" in css.headers["Vary"]
    # HTML carries the CSRF secret beside typed input: never compressed (BREACH).
    html = client.get("/login", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in html.headers
    assert html.get_data(as_text=True).startswith("<!doctype html>")
