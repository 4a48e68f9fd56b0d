"""What browsers and phones ask for at fixed addresses: ``/favicon.ico`` and the web-app
manifest that lets members put Circle on their home screen (name, icons, start page,
colours). Public, and cached for a day."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify, make_response, url_for
from flask_babel import gettext as _

bp = Blueprint("assets", __name__)

#: The accent colour of the style sheet (``--accent``), for the browser's toolbar.
THEME_COLOR = "#1f5f8b"
ONE_DAY = 86_400


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
                    "src": url_for("static", filename=f"icons/icon-{size}.png"),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any maskable",
                }
                for size in (192, 512)
            ]
            + [
                {
                    "src": url_for("static", filename="icons/icon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                }
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = f"public, max-age={ONE_DAY}"
    return response
