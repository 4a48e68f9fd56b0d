"""Circle on the home screen (issue 14, item 7): a favicon at /favicon.ico, a web-app
manifest in the visitor's language whose icons exist in the sizes it names, and every
page links both."""

from __future__ import annotations

import io

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
