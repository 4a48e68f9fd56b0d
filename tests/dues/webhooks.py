"""Stripe webhook deliveries for tests: event envelopes and objects in the pinned API
version's shape, signed delivery to the endpoint, a circle with a yearly dues plan (the
``dues`` fixture) and what the webhooks stored (``state``)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
import stripe
from sqlalchemy import select

from circle.dues import services as ds
from circle.extensions import db as _db
from circle.models import DuesSubscription, Payment, StripeEvent

SECRET = "whsec_test_circle"
URL = "/stripe/webhook"
T0 = int(datetime(2026, 3, 1, 10, 0, tzinfo=UTC).timestamp())
PERIOD_START = int(datetime(2026, 3, 1, 10, 0, tzinfo=UTC).timestamp())
PERIOD_END = int(datetime(2027, 3, 1, 10, 0, tzinfo=UTC).timestamp())


def event(event_id: str, kind: str, obj: dict, created: int = T0) -> dict:
    """A Stripe event envelope as the API version pinned in config sends it."""
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": created,
        "livemode": False,
        "type": kind,
        "data": {"object": obj},
    }


def session_obj(circle_id: int, member_id: int, payment_status: str = "paid") -> dict:
    """A completed subscription Checkout Session for the member."""
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": str(member_id),
        "metadata": {"circle_id": str(circle_id), "membership_id": str(member_id)},
        "customer": "cus_1",
        "subscription": "sub_1",
        "payment_status": payment_status,
        "status": "complete",
    }


def invoice_obj(
    circle_id: int | None, member_id: int | None, invoice_id: str = "in_1", amount: int = 60_000
) -> dict:
    """A paid subscription invoice (API shape with ``parent.subscription_details``)."""
    metadata = {"circle_id": str(circle_id), "membership_id": str(member_id)} if circle_id else {}
    return {
        "id": invoice_id,
        "object": "invoice",
        "number": f"CIRCLE-{invoice_id}",
        "customer": "cus_1",
        "currency": "eur",
        "amount_paid": amount,
        "status": "paid",
        "status_transitions": {"paid_at": T0 + 60},
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": "sub_1", "metadata": metadata},
        },
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": "il_1",
                    "amount": amount,
                    "period": {"start": PERIOD_START, "end": PERIOD_END},
                }
            ],
        },
    }


def subscription_obj(status: str, period_end: int = PERIOD_END) -> dict:
    """A subscription (``current_period_end`` lives on the items in this API version)."""
    return {
        "id": "sub_1",
        "object": "subscription",
        "customer": "cus_1",
        "status": status,
        "items": {"object": "list", "data": [{"id": "si_1", "current_period_end": period_end}]},
    }


def deliver(client, payload: dict | str, secret: str = SECRET, timestamp: int | None = None):
    """POST a payload signed like Stripe does."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(
        body, secret, timestamp=timestamp or int(time.time())
    )
    return client.post(
        URL, data=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"}
    )


@pytest.fixture
def dues(app, make, db):
    """A circle with a yearly plan and a member; the webhook secret configured."""
    app.config["STRIPE_WEBHOOK_SECRET"] = SECRET
    with app.test_request_context():
        admin = make.user(name="Tina Treasurer")
        circle = db.session.merge(make.circle(admin=admin))
        actor = db.session.merge(make.admin_seat(circle))
        member = db.session.merge(make.member(circle, make.user(name="Max Mitglied")))
        ds.set_plan(circle, actor, ds.PlanInput(amount_minor=60_000, interval="year"))
        db.session.commit()
        ids = circle.id, member.id
        db.session.remove()
    return ids


def state(app):
    """(payments, events, subscription records) as stored."""
    with app.app_context():
        payments = list(_db.session.execute(select(Payment)).scalars())
        events = list(
            _db.session.execute(select(StripeEvent.id).order_by(StripeEvent.id)).scalars()
        )
        records = list(_db.session.execute(select(DuesSubscription)).scalars())
        _db.session.remove()
    return payments, events, records
