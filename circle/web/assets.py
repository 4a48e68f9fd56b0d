"""What browsers and phones ask for at fixed addresses: ``/favicon.ico`` and the web-app
manifest that lets members put Circle on their home screen (name, icons, start page,
colours), public and cached for a day; and the style sheet, script and icons under
content-hashed addresses (``/assets/<digest>/css/app.css``) cached for a year: a changed
file gets a new address, so a browser never keeps a stale copy and never asks twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, make_response, url_for
from flask_babel import gettext as _

bp = Blueprint("assets", __name__)

#: The accent colour of the style sheet (``--accent``), for the browser's toolbar.
THEME_COLOR = "#1f5f8b"
ONE_DAY = 86_400
ONE_YEAR = 365 * ONE_DAY
#: Characters of the SHA-256 digest in an asset's address.
DIGEST_LENGTH = 12
#: The files served under hashed addresses (nothing else of the static folder).
ASSET_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/vnd.microsoft.icon",
}


@dataclass(frozen=True)
class Asset:
    """A static file read once: its bytes, type and digest."""

    data: bytes
    mimetype: str
    digest: str


_assets: dict[tuple[str, float], Asset] = {}


def _asset(filename: str) -> Asset | None:
    """The static file ``filename`` (read again when it changed on disk), or None when it
    is not a servable asset of the static folder."""
    folder = Path(current_app.static_folder).resolve()
    path = (folder / filename).resolve()
    mimetype = ASSET_TYPES.get(path.suffix)
    if mimetype is None or folder not in path.parents or not path.is_file():
        return None
    key = (str(path), path.stat().st_mtime)
    asset = _assets.get(key)
    if asset is None:
        data = path.read_bytes()
        asset = Asset(data, mimetype, hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH])
        _assets[key] = asset
    return asset


def asset_url(filename: str) -> str:
    """The content-hashed address of a static file (template global ``asset_url``).

    Outside debug mode the address is worked out once per app and file (every page links
    five of them; resolving and hashing them again cost a tenth of a small page); in debug
    mode an edited file gets its new address on the next page.
    """
    known = current_app.extensions.setdefault("asset_urls", {})
    url = known.get(filename)
    if url is None:
        asset = _asset(filename)
        if asset is None:
            raise FileNotFoundError(filename)
        url = url_for("assets.asset", digest=asset.digest, filename=filename)
        if not current_app.debug:
            known[filename] = url
    return url


@bp.app_context_processor
def _asset_helpers() -> dict:
    """``asset_url('css/app.css')`` for the templates."""
    return {"asset_url": asset_url}


@bp.get("/assets/<digest>/<path:filename>")
def asset(digest: str, filename: str):
    """A static file by its hashed address: a year of caching when the digest is the file's
    own; an older digest (a page from before a deploy) still gets today's file, uncached."""
    found = _asset(filename) if len(filename) <= 200 else None
    if found is None:
        abort(404)
    response = Response(found.data, mimetype=found.mimetype)
    if digest == found.digest:
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/favicon.ico")
def favicon():
    """The tab icon (16, 32 and 48 px in one file)."""
    icon = Path(current_app.static_folder, "icons", "favicon.ico").read_bytes()
    response = make_response(icon)
    response.mimetype = "image/vnd.microsoft.icon"
    response.headers["Cache-Control"] = f"public, max-age={ONE_DAY}"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web-app manifest, in the visitor's language."""
    response = jsonify(
        {
            "name": "Circle",
            "short_name": "Circle",
            "description": _("Referrals, balance and dues of your business circle."),
            "start_url": url_for("circles.index"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": THEME_COLOR,
            "icons": [
                {
                    "src": asset_url(f"icons/icon-{size}.png"),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any maskable",
                }
                for size in (192, 512)
            ]
            + [
                {
                    "src": asset_url("icons/icon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                }
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = f"public, max-age={ONE_DAY}"
    return response
