"""Probes for load balancers and orchestrators: ``GET /healthz`` (the app answers and the
database does a round trip) and ``GET /readyz`` (ready for traffic: the database and the
task queue both answer)."""

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from circle.extensions import db, limiter
from circle.tasks.queue import huey

log = logging.getLogger("circle.health")

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Return 200 ``{"status": "ok"}`` after ``SELECT 1``; 503 when the database fails."""
    if not _database_answers():
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


def _database_answers() -> bool:
    """True after a ``SELECT 1`` round trip; any database failure means "not healthy"."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except Exception:
        db.session.rollback()
        return False
    return True


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """200 when the database and the task queue both answer (the queue: how many jobs
    wait); 503 naming the part that does not. Nothing about the failure leaks out."""
    parts = {"database": "ok" if _database_answers() else "unavailable", "queue": "ok"}
    try:
        huey.pending_count()
    except Exception:
        log.exception("the task queue does not answer")
        parts["queue"] = "unavailable"
    ready = all(value == "ok" for value in parts.values())
    return jsonify(status="ok" if ready else "unavailable", **parts), 200 if ready else 503
