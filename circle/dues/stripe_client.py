"""The one Stripe client of the app, built from configuration.

Every call uses the pinned API version, a short timeout and a few network retries.
There is no module-level ``stripe.api_key``: the key lives in the client only. Tests (and
localstripe) inject an HTTP client through ``app.extensions["stripe_http_client"]`` or
point ``STRIPE_API_BASE`` at another server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe
from flask import current_app

#: Seconds to wait for Stripe before giving up (Checkout redirects must stay snappy).
TIMEOUT_SECONDS = 10
#: Network retries (Stripe's client uses idempotency keys, so a retried POST acts once).
MAX_NETWORK_RETRIES = 2


def stripe_configured(config: Mapping[str, Any] | None = None) -> bool:
    """True when online payment is possible (a secret key is configured)."""
    config = config if config is not None else current_app.config
    return bool(config.get("STRIPE_SECRET_KEY"))


def make_client(
    config: Mapping[str, Any], http_client: stripe.HTTPClient | None = None
) -> stripe.StripeClient:
    """A ``StripeClient`` for ``config`` (key, pinned version, timeout, retries, base URL)."""
    base = config.get("STRIPE_API_BASE") or ""
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        stripe_version=config["STRIPE_API_VERSION"],
        max_network_retries=MAX_NETWORK_RETRIES,
        base_addresses={"api": base.rstrip("/")} if base else None,
        http_client=http_client or stripe.new_default_http_client(timeout=TIMEOUT_SECONDS),
    )


def get_client() -> stripe.StripeClient:
    """The Stripe client of the current app (callers check ``stripe_configured`` first)."""
    return make_client(current_app.config, current_app.extensions.get("stripe_http_client"))
