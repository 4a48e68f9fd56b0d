"""Invoices as Stripe sends them for the pinned API version (2025-09-30.clover).

Since 2025-03-31 an invoice names its subscription only under
``parent.subscription_details`` (with the subscription's metadata), and each line item
under ``parent.subscription_item_details``; there is no top-level ``subscription``, and
the invoice's own ``period_start``/``period_end`` are the creation time, not the period
paid. The payloads below are complete event bodies of that shape, signed like Stripe.
Also: refunds (``charge.refunded``) are stored and acknowledged but change nothing.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

from sqlalchemy import select

from circle.dues import services as ds
from circle.extensions import db as _db
from circle.models import DuesSubscription, Membership, Payment, StripeEvent
from tests.dues.webhooks import deliver, event

CREATED = int(datetime(2026, 3, 1, 10, 0, tzinfo=UTC).timestamp())
YEAR_LATER = int(datetime(2027, 3, 1, 10, 0, tzinfo=UTC).timestamp())
TWO_YEARS_LATER = int(datetime(2028, 3, 1, 10, 0, tzinfo=UTC).timestamp())


def clover_invoice(
    circle_id: int,
    member_id: int,
    *,
    invoice_id: str = "in_1SCoVaLkdIwHu7ixa0Bk3J4Q",
    billing_reason: str = "subscription_create",
    period: tuple[int, int] = (CREATED, YEAR_LATER),
    paid: bool = True,
    joining_fee: int = 0,
) -> dict:
    """A subscription invoice in the 2025-09-30.clover shape (as in Stripe's API reference)."""
    metadata = {"circle_id": str(circle_id), "membership_id": str(member_id)}
    created = period[0]
    lines = [
        {
            "id": "il_1SCoVaLkdIwHu7ixGk3OqsxN",
            "object": "line_item",
            "amount": 60_000,
            "currency": "eur",
            "description": "1 x Mitgliedsbeitrag (at €600.00 / year)",
            "discount_amounts": [],
            "discountable": True,
            "discounts": [],
            "invoice": invoice_id,
            "livemode": False,
            "metadata": metadata,
            "parent": {
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": "sub_1SCoVaLkdIwHu7ixq8YzNm2b",
                    "subscription_item": "si_T8zxKJ1wO6m2Pb",
                },
                "type": "subscription_item_details",
            },
            "period": {"end": period[1], "start": period[0]},
            "pretax_credit_amounts": [],
            "pricing": {
                "price_details": {
                    "price": "price_1SCoV9LkdIwHu7ixYb3Qk2dR",
                    "product": "prod_T8zxo1mB1PpWcV",
                },
                "type": "price_details",
                "unit_amount_decimal": "60000",
            },
            "quantity": 1,
            "taxes": [],
        }
    ]
    if joining_fee:
        # Checkout adds a one-time price as an invoice item; its period is a moment.
        lines.append(
            {
                "id": "il_1SCoVaLkdIwHu7ixJoin",
                "object": "line_item",
                "amount": joining_fee,
                "currency": "eur",
                "description": "Aufnahmegebühr",
                "invoice": invoice_id,
                "livemode": False,
                "metadata": {},
                "parent": {
                    "invoice_item_details": {
                        "invoice_item": "ii_1SCoVaLkdIwHu7ixF33",
                        "proration": False,
                        "proration_details": {"credited_items": None},
                        "subscription": "sub_1SCoVaLkdIwHu7ixq8YzNm2b",
                    },
                    "subscription_item_details": None,
                    "type": "invoice_item_details",
                },
                "period": {"end": created + 3600, "start": created - 86_400},
                "pricing": {
                    "price_details": {
                        "price": "price_1SCoV9LkdIwHu7ixJoin",
                        "product": "prod_T8zxJoin",
                    },
                    "type": "price_details",
                    "unit_amount_decimal": str(joining_fee),
                },
                "quantity": 1,
                "taxes": [],
            }
        )
    total = 60_000 + joining_fee
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "DE",
        "account_name": "Circle Köln",
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": total if paid else 0,
        "amount_remaining": 0 if paid else total,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 1,
        "attempted": True,
        "auto_advance": not paid,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": created,
        "currency": "eur",
        "customer": "cus_T8zxmVt5ZpQ0aB",
        "customer_email": "max@example.org",
        "customer_name": "Max Mitglied",
        "default_payment_method": None,
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": created,
        "ending_balance": 0,
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_YWNjdA",
        "invoice_pdf": "https://pay.stripe.com/invoice/acct_1/test_YWNjdA/pdf",
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None if paid else created + 3 * 86_400,
        "number": "CIRCLE-0001",
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": metadata,
                "subscription": "sub_1SCoVaLkdIwHu7ixq8YzNm2b",
            },
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": ["card", "sepa_debit"],
        },
        # in this API version the invoice's own period is its creation moment
        "period_end": created,
        "period_start": created,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "paid" if paid else "open",
        "status_transitions": {
            "finalized_at": created,
            "marked_uncollectible_at": None,
            "paid_at": created + 5 if paid else None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }


def clover_event(event_id: str, kind: str, obj: dict, created: int) -> dict:
    """The event envelope with the fields Stripe adds (request, pending webhooks)."""
    envelope = event(event_id, kind, obj, created)
    envelope.update(
        pending_webhooks=1,
        request={"id": None, "idempotency_key": None},
        context=None,
    )
    envelope["data"]["previous_attributes"] = None
    return envelope


def stored(app):
    """(payments, subscription records, {event id: handled}) as stored."""
    with app.app_context():
        payments = list(_db.session.execute(select(Payment).order_by(Payment.id)).scalars())
        records = list(_db.session.execute(select(DuesSubscription)).scalars())
        events = dict(_db.session.execute(select(StripeEvent.id, StripeEvent.handled)).all())
        _db.session.remove()
    return payments, records, events


def status_on(app, member_id: int, day: date) -> str:
    """The member's dues state on ``day``."""
    with app.app_context():
        member = _db.session.get(Membership, member_id)
        last = ds.paid_through(member.circle, [member_id]).get(member_id)
        state = ds.status_of(ds.current_plan(member.circle), member, last, day).state
        _db.session.remove()
    return state


def test_a_clover_invoice_paid_before_checkout_pays_the_member(app, client, dues):
    circle_id, member_id = dues
    invoice = clover_invoice(circle_id, member_id)
    response = deliver(client, clover_event("evt_1", "invoice.paid", invoice, CREATED + 6))
    assert response.status_code == 200 and response.json["duplicate"] is False
    (payment,), (record,), events = stored(app)
    assert events == {"evt_1": True}
    assert (record.membership_id, record.stripe_subscription_id, record.stripe_customer_id) == (
        member_id,
        "sub_1SCoVaLkdIwHu7ixq8YzNm2b",
        "cus_T8zxmVt5ZpQ0aB",
    )
    assert record.status == "active"
    # the period paid comes from the line item, not the invoice's creation moment
    assert (payment.period_start, payment.period_end) == (date(2026, 3, 1), date(2027, 2, 28))
    assert (payment.amount_minor, payment.currency, payment.source) == (60_000, "EUR", "stripe")
    assert (payment.paid_on, payment.reference) == (date(2026, 3, 1), "CIRCLE-0001")
    assert status_on(app, member_id, date(2027, 2, 28)) == "paid"


def test_a_joining_fee_line_does_not_stretch_the_period(app, client, dues):
    invoice = clover_invoice(*dues, joining_fee=10_000)
    assert (
        deliver(client, clover_event("evt_1", "invoice.paid", invoice, CREATED)).status_code == 200
    )
    (payment,), _records, _events = stored(app)
    assert (payment.period_start, payment.period_end) == (date(2026, 3, 1), date(2027, 2, 28))
    assert payment.amount_minor == 70_000


def test_the_subscription_is_found_on_the_line_items_too(app, client, dues):
    """A known subscription is matched from ``lines.data[].parent`` when the invoice's own
    parent names none (e.g. an expanded or trimmed payload)."""
    circle_id, member_id = dues
    deliver(client, clover_event("evt_1", "invoice.paid", clover_invoice(*dues), CREATED))
    renewal = clover_invoice(
        circle_id,
        member_id,
        invoice_id="in_renewal",
        billing_reason="subscription_cycle",
        period=(YEAR_LATER, TWO_YEARS_LATER),
    )
    renewal["parent"] = None
    renewal["customer"] = "cus_unknown"  # not the customer: only the subscription can match
    assert (
        deliver(client, clover_event("evt_2", "invoice.paid", renewal, YEAR_LATER)).status_code
        == 200
    )
    payments, (record,), _events = stored(app)
    assert [p.period_end for p in payments] == [date(2027, 2, 28), date(2028, 2, 29)]
    assert {p.membership_id for p in payments} == {member_id}
    assert record.stripe_subscription_id == "sub_1SCoVaLkdIwHu7ixq8YzNm2b"


def test_a_failed_renewal_then_its_retry(app, client, dues):
    circle_id, member_id = dues
    deliver(client, clover_event("evt_1", "invoice.paid", clover_invoice(*dues), CREATED))
    renewal = clover_invoice(
        circle_id,
        member_id,
        invoice_id="in_renewal",
        billing_reason="subscription_cycle",
        period=(YEAR_LATER, TWO_YEARS_LATER),
        paid=False,
    )
    failed = clover_event("evt_2", "invoice.payment_failed", renewal, YEAR_LATER + 60)
    assert deliver(client, failed).status_code == 200
    payments, (record,), events = stored(app)
    assert len(payments) == 1 and record.status == "past_due" and events["evt_2"] is True
    assert status_on(app, member_id, date(2027, 3, 5)) == "grace"

    retried = copy.deepcopy(renewal)
    retried.update(
        status="paid",
        amount_paid=60_000,
        amount_remaining=0,
        attempt_count=2,
        next_payment_attempt=None,
    )
    retried["status_transitions"]["paid_at"] = YEAR_LATER + 3 * 86_400
    paid = clover_event("evt_3", "invoice.paid", retried, YEAR_LATER + 3 * 86_400)
    assert deliver(client, paid).status_code == 200
    payments, (record,), _events = stored(app)
    assert record.status == "active"
    assert [(p.period_start, p.period_end) for p in payments] == [
        (date(2026, 3, 1), date(2027, 2, 28)),
        (date(2027, 3, 1), date(2028, 2, 29)),
    ]
    assert payments[1].paid_on == date(2027, 3, 4)
    assert status_on(app, member_id, date(2027, 3, 5)) == "paid"


def test_a_failed_invoice_of_an_unknown_subscription_changes_nothing(app, client, dues):
    invoice = clover_invoice(*dues, paid=False)
    invoice["parent"]["subscription_details"]["metadata"] = {}
    response = deliver(client, clover_event("evt_1", "invoice.payment_failed", invoice, CREATED))
    assert response.status_code == 200
    payments, records, events = stored(app)
    assert (payments, records, events) == ([], [], {"evt_1": False})


def clover_refunded_charge(amount_refunded: int = 60_000) -> dict:
    """A ``charge.refunded`` object: in this API version a charge no longer names its invoice."""
    return {
        "id": "ch_3SCoVbLkdIwHu7ix0aXy1Zq9",
        "object": "charge",
        "amount": 60_000,
        "amount_captured": 60_000,
        "amount_refunded": amount_refunded,
        "captured": True,
        "currency": "eur",
        "customer": "cus_T8zxmVt5ZpQ0aB",
        "paid": True,
        "payment_intent": "pi_3SCoVbLkdIwHu7ix0pA1",
        "refunded": amount_refunded == 60_000,
        "status": "succeeded",
    }


def test_a_refund_is_stored_and_acknowledged_but_the_payment_stays(app, client, dues, caplog):
    """Refunds need a place on the payment (schema); until then they are logged only."""
    _circle_id, member_id = dues
    deliver(client, clover_event("evt_1", "invoice.paid", clover_invoice(*dues), CREATED))
    refund = clover_event("evt_2", "charge.refunded", clover_refunded_charge(), CREATED + 86_400)
    response = deliver(client, refund)
    assert response.status_code == 200 and response.json["duplicate"] is False
    (payment,), _records, events = stored(app)
    assert events == {"evt_1": True, "evt_2": False}
    assert payment.amount_minor == 60_000 and payment.stripe_invoice_id
    assert status_on(app, member_id, date(2026, 6, 1)) == "paid"
    assert "stripe refund not applied: charge ch_3SCoVbLkdIwHu7ix0aXy1Zq9" in caplog.text
