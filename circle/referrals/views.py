"""HTML pages for referrals (placeholder routes; the week view and ledger replace them)."""

from flask import Blueprint, abort

bp = Blueprint("referrals", __name__)


@bp.get("/circles/<int:circle_id>/week")
def week(circle_id: int):
    """The week view (not built yet)."""
    abort(404)


@bp.get("/circles/<int:circle_id>/ledger")
def ledger(circle_id: int):
    """The ledger (not built yet)."""
    abort(404)
