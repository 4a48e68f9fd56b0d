"""An in-process Stripe API for the dues tests: the real ``stripe`` library sends its
requests to ``RecordingHTTPClient``, which records them and answers realistic JSON."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import stripe

API_VERSION = "2025-09-30.clover"


class RecordingHTTPClient(stripe.HTTPClient):
    """An in-process Stripe API: records each request and answers realistic JSON."""

    name = "recording"

    def __init__(self, fail_with: int | None = None):
        super().__init__()
        self.requests: list[dict] = []
        self.fail_with = fail_with

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        """Record the call; answer like Stripe would for the path."""
        parts = urlsplit(url)
        form = dict(parse_qsl(post_data or "", keep_blank_values=True))
        self.requests.append(
            {
                "method": method.upper(),
                "host": parts.netloc,
                "path": parts.path,
                "form": form,
                "version": headers.get("Stripe-Version"),
                "auth": headers.get("Authorization"),
            }
        )
        if self.fail_with:
            body = {"error": {"type": "api_error", "message": "Stripe is down"}}
            return json.dumps(body), self.fail_with, {}
        number = len(self.requests)
        if parts.path == "/v1/products":
            body = {"id": f"prod_{number}", "object": "product", "name": form.get("name")}
        elif parts.path == "/v1/prices":
            body = {
                "id": f"price_{number}",
                "object": "price",
                "product": form.get("product"),
                "unit_amount": int(form["unit_amount"]),
                "currency": form.get("currency"),
                "recurring": {"interval": form.get("recurring[interval]")},
            }
        elif parts.path == "/v1/checkout/sessions":
            body = {
                "id": f"cs_test_{number}",
                "object": "checkout.session",
                "mode": "subscription",
                "status": "open",
                "payment_status": "unpaid",
                "client_reference_id": form.get("client_reference_id"),
                "url": f"https://checkout.stripe.com/c/pay/cs_test_{number}",
            }
        elif parts.path == "/v1/billing_portal/sessions":
            body = {
                "id": f"bps_{number}",
                "object": "billing_portal.session",
                "customer": form.get("customer"),
                "return_url": form.get("return_url"),
                "url": f"https://billing.stripe.com/p/session/bps_{number}",
            }
        elif parts.path.startswith("/v1/subscriptions/") and method.upper() == "GET":
            # A subscription this app did not create: no circle metadata on it.
            body = {
                "id": parts.path.rsplit("/", 1)[1],
                "object": "subscription",
                "status": "active",
                "metadata": {},
            }
        else:
            body = {"error": {"type": "invalid_request_error", "message": "Unrecognized"}}
            return json.dumps(body), 404, {}
        return json.dumps(body), 200, {"Request-Id": f"req_{number}"}

    def close(self):
        """Nothing to close."""
