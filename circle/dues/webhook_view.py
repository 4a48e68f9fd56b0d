"""``POST /stripe/webhook``: the only CSRF-exempt page (Stripe signs instead)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request

from circle.dues import webhooks
from circle.extensions import csrf

log = logging.getLogger(__name__)

bp = Blueprint("stripe_webhook", __name__)


@bp.post("/stripe/webhook")
@csrf.exempt
def receive():
    """Verify, store and apply one Stripe event (400 forged or no event, 413 too large,
    500 retry, 200 done).

    The body is read under the app's cap (``MAX_BODY_BYTES``, ``circle.web.edge``): a larger
    ``Content-Length`` is 413 before a byte is read, a chunked body is cut off at the cap.
    """
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        return jsonify(error="webhook not configured"), 503
    try:
        event = webhooks.receive(
            request.get_data(cache=False), request.headers.get("Stripe-Signature"), secret
        )
    except webhooks.InvalidEvent as error:
        log.warning("rejected stripe webhook: %s", error)
        return jsonify(error="invalid event"), 400
    try:
        new = webhooks.process(event)
    except Exception:
        log.exception("stripe event %s failed; Stripe will retry", event.get("id"))
        return jsonify(error="not processed"), 500
    return jsonify(received=True, duplicate=not new), 200
