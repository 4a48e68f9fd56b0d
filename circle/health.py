"""``GET /healthz``: the app answers and the database does a round trip."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from circle.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Return 200 ``{"status": "ok"}`` after ``SELECT 1``; 503 when the database fails."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except Exception:  # any database failure means "not healthy"
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")
