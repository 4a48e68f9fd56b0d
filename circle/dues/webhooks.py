"""Stripe webhook events: verified, stored once under their id, applied exactly once.

``receive`` checks the signature on the raw body; ``process`` inserts the event id and
applies its effect in one transaction. A duplicate delivery (even a concurrent one: the
primary key decides) has no second effect. Events may arrive out of order:
- a status is only overwritten by a newer event (``last_event_created``),
- an invoice pays once (unique ``stripe_invoice_id``) and finds its member through the
  subscription, the customer, or the circle/membership metadata set at Checkout,
- an invoice without that metadata re-fetches its subscription's metadata from Stripe,
- an invoice that cannot be matched yet raises ``RetryLater`` (HTTP 500), so Stripe
  delivers it again after the link exists.

Refunds (``charge.refunded``, ``refund.created``) are stored, logged and acknowledged but
change nothing yet: a payment has no place to hold a refund (that needs a schema change),
and in this API version a charge no longer names its invoice.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from circle.db import unit_of_work
from circle.dues.services import current_plan
from circle.dues.stripe_client import get_client, stripe_configured
from circle.extensions import db
from circle.models import Circle, DuesSubscription, Membership, Payment, StripeEvent

log = logging.getLogger(__name__)

#: Seconds a signature stays valid (replayed old deliveries are refused).
TOLERANCE_SECONDS = 300


class InvalidEvent(Exception):
    """The body is not a correctly signed Stripe event (answer 400)."""


class RetryLater(Exception):
    """The event cannot be applied yet; nothing was written (answer 500, Stripe retries)."""


class _Duplicate(Exception):
    """The event id is already stored."""


def receive(payload: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    """The event in ``payload`` after checking its signature; ``InvalidEvent`` otherwise.

    Refused: a body that is not UTF-8, a wrong signature, a timestamp more than
    ``TOLERANCE_SECONDS`` in the past or in the future (Stripe's library checks only the
    past), and a correctly signed body that is not an event (a JSON array, a string, an
    object without an id, a type or a ``data.object``).
    """
    if not signature:
        raise InvalidEvent("missing Stripe-Signature header")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret, TOLERANCE_SECONDS)
    except (UnicodeDecodeError, stripe.SignatureVerificationError) as error:
        raise InvalidEvent(str(error)) from error
    if _timestamp(signature) > time.time() + TOLERANCE_SECONDS:
        raise InvalidEvent("signature timestamped in the future")
    try:
        event = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise InvalidEvent("body is not JSON") from error
    if not _is_event(event):
        raise InvalidEvent("not an event")
    return event


def _timestamp(signature: str) -> int:
    """The ``t=`` value of a Stripe-Signature header that has passed verification."""
    for item in signature.split(","):
        key, _sep, value = item.partition("=")
        if key.strip() == "t":
            return int(value)
    raise InvalidEvent("no timestamp")  # pragma: no cover - verify_header needs one


def _is_event(event: Any) -> bool:
    """True for a JSON object shaped like a Stripe event (id, type, ``data.object``)."""
    if not isinstance(event, dict):
        return False
    data = event.get("data")
    return (
        isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    )


def process(event: dict[str, Any]) -> bool:
    """Store and apply ``event`` in one transaction; False when it was already processed."""
    try:
        with unit_of_work(db.session):
            if db.session.get(StripeEvent, event["id"]) is not None:
                raise _Duplicate
            row = StripeEvent(
                id=event["id"],
                type=str(event.get("type", ""))[:80],
                created=int(event.get("created") or 0),
                livemode=bool(event.get("livemode")),
                payload=event,
            )
            db.session.add(row)
            try:
                db.session.flush()
            except IntegrityError as error:  # a concurrent delivery inserted it first
                raise _Duplicate from error
            handler = HANDLERS.get(row.type)
            row.handled = bool(handler and handler(event["data"]["object"], row.created))
    except _Duplicate:
        log.info("stripe event %s already processed", event["id"])
        return False
    return True


# -- finding the member ----------------------------------------------------------------


def _int(value: Any) -> int | None:
    """``value`` as an int, or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _member(metadata: dict[str, Any] | None, reference: Any = None) -> Membership | None:
    """The membership named by metadata (and reference), only if it is in the named circle."""
    metadata = metadata or {}
    circle_id = _int(metadata.get("circle_id"))
    membership_id = _int(reference) or _int(metadata.get("membership_id"))
    if circle_id is None or membership_id is None:
        return None
    if _int(metadata.get("membership_id")) not in (None, membership_id):
        return None
    return db.session.execute(
        select(Membership).where(Membership.id == membership_id, Membership.circle_id == circle_id)
    ).scalar_one_or_none()


def _record_for(member: Membership) -> DuesSubscription:
    """The member's subscription record, created when missing.

    Stripe delivers several events for one member at once (subscription created, invoice
    paid, ...). The member's row is locked first, so two deliveries cannot both find no
    record and both insert one: the second waits, then finds the first one's record.
    """
    db.session.execute(
        select(Membership.id)
        .where(Membership.circle_id == member.circle_id, Membership.id == member.id)
        .with_for_update()
    )
    record = db.session.execute(
        select(DuesSubscription).where(
            DuesSubscription.circle_id == member.circle_id,
            DuesSubscription.membership_id == member.id,
        )
    ).scalar_one_or_none()
    if record is None:
        record = DuesSubscription(circle_id=member.circle_id, membership_id=member.id)
        db.session.add(record)
        db.session.flush()
    return record


def _find_record(subscription_id: str | None, customer_id: str | None) -> DuesSubscription | None:
    """The record of a Stripe subscription, else of a customer."""
    for column, value in (
        (DuesSubscription.stripe_subscription_id, subscription_id),
        (DuesSubscription.stripe_customer_id, customer_id),
    ):
        if value:
            record = db.session.execute(
                select(DuesSubscription).where(column == value).limit(1)
            ).scalar_one_or_none()
            if record is not None:
                return record
    return None


def _link(record: DuesSubscription, customer_id: Any, subscription_id: Any) -> None:
    """Remember Stripe's customer and subscription ids on the record."""
    if isinstance(customer_id, str) and customer_id:
        record.stripe_customer_id = customer_id
    if isinstance(subscription_id, str) and subscription_id:
        record.stripe_subscription_id = subscription_id


def _set_status(record: DuesSubscription, status: str, created: int) -> bool:
    """Set the status unless a newer event already did; True when applied."""
    if created < (record.last_event_created or 0):
        return False
    record.status = status
    record.last_event_created = created
    return True


def _day(timestamp: Any, circle: Circle) -> date | None:
    """A Unix timestamp as a date where the circle meets."""
    seconds = _int(timestamp)
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).astimezone(ZoneInfo(circle.timezone)).date()


def _id(value: Any) -> str | None:
    """A Stripe id, whether the field is expanded (an object) or not."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


# -- handlers: each returns True when the event changed something -------------------------


def _checkout_session(obj: dict[str, Any], created: int, status: str | None) -> bool:
    """Link the member to Stripe's customer/subscription; set a status when given."""
    member = _member(obj.get("metadata"), obj.get("client_reference_id"))
    if member is None:
        log.warning("checkout session %s names no member of its circle", obj.get("id"))
        return False
    record = _record_for(member)
    _link(record, _id(obj.get("customer")), _id(obj.get("subscription")))
    record.checkout_session_id = obj.get("id") or record.checkout_session_id
    if status is None:
        paid = obj.get("payment_status") in ("paid", "no_payment_required")
        status = "active" if paid else "processing"
    _set_status(record, status, created)
    return True


def on_checkout_completed(obj: dict[str, Any], created: int) -> bool:
    """Checkout finished; SEPA may still be ``unpaid`` (then the status is processing)."""
    return _checkout_session(obj, created, None)


def on_async_payment_succeeded(obj: dict[str, Any], created: int) -> bool:
    """A delayed (SEPA) payment of a Checkout Session settled."""
    return _checkout_session(obj, created, "active")


def on_async_payment_failed(obj: dict[str, Any], created: int) -> bool:
    """A delayed (SEPA) payment of a Checkout Session failed."""
    return _checkout_session(obj, created, "payment_failed")


def _subscription_lines(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The invoice's line items that a subscription item generated (API 2025-03-31 and later)."""
    lines = [line for line in (obj.get("lines") or {}).get("data") or [] if isinstance(line, dict)]
    return [
        line
        for line in lines
        if isinstance((line.get("parent") or {}).get("subscription_item_details"), dict)
    ]


def _invoice_subscription(obj: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The subscription id and its metadata of an invoice.

    Since API version 2025-03-31 the invoice names its subscription under
    ``parent.subscription_details`` (metadata beside it) and each line item under
    ``parent.subscription_item_details``; older versions (and localstripe) put
    ``subscription`` and ``subscription_details`` on the invoice itself.
    """
    details = ((obj.get("parent") or {}).get("subscription_details")) or {}
    from_lines = [
        _id(line["parent"]["subscription_item_details"].get("subscription"))
        for line in _subscription_lines(obj)
    ]
    subscription_id = (
        _id(details.get("subscription"))
        or next((sid for sid in from_lines if sid), None)
        or _id(obj.get("subscription"))
    )
    metadata = details.get("metadata") or (obj.get("subscription_details") or {}).get("metadata")
    return subscription_id, metadata or {}


def _invoice_record(obj: dict[str, Any]) -> DuesSubscription | None:
    """The member record of an invoice, linking it from metadata when it arrives first."""
    subscription_id, metadata = _invoice_subscription(obj)
    customer_id = _id(obj.get("customer"))
    record = _find_record(subscription_id, customer_id)
    if record is None:
        member = _member(metadata) or _member(_fetch_subscription_metadata(subscription_id))
        if member is None:
            return None
        record = _record_for(member)
    _link(record, customer_id, subscription_id)
    return record


def _foreign_invoice(obj: dict[str, Any]) -> bool:
    """True for an invoice that can never become a member's dues payment.

    An invoice without a subscription (a one-off from the dashboard) is not ours; neither is
    one whose subscription Stripe itself knows without our metadata (another product on the
    same account): Checkout always writes it. Without an API key the app cannot ask Stripe,
    so a subscription invoice waits for its checkout event (500, Stripe retries).
    """
    subscription_id, _metadata = _invoice_subscription(obj)
    return subscription_id is None or stripe_configured()


def _fetch_subscription_metadata(subscription_id: str | None) -> dict[str, Any] | None:
    """The metadata of a subscription, asked from Stripe (when the invoice carries none)."""
    if not subscription_id or not stripe_configured():
        return None
    try:
        subscription = get_client().v1.subscriptions.retrieve(subscription_id)
    except stripe.StripeError as error:
        raise RetryLater(f"subscription {subscription_id}: {error}") from error
    return subscription.to_dict().get("metadata")


def _invoice_period(obj: dict[str, Any]) -> tuple[int | None, int | None]:
    """Start and (exclusive) end of the subscription period an invoice pays.

    The periods of the subscription's line items count (a one-time joining fee line
    carries its own period); without such lines, any line's; else the invoice's own.
    """
    lines = _subscription_lines(obj) or (obj.get("lines") or {}).get("data") or []
    starts, ends = [], []
    for line in lines:
        period = (line.get("period") if isinstance(line, dict) else None) or {}
        start, end = _int(period.get("start")), _int(period.get("end"))
        if start is not None and end is not None and end > start:
            starts.append(start)
            ends.append(end)
    if starts:
        return min(starts), max(ends)
    return _int(obj.get("period_start")), _int(obj.get("period_end"))


def on_invoice_paid(obj: dict[str, Any], created: int) -> bool:
    """Record the payment once per invoice; the member is paid through the period's last day."""
    invoice_id = obj.get("id")
    if not invoice_id:
        return False
    if db.session.execute(
        select(Payment.id).where(Payment.stripe_invoice_id == invoice_id)
    ).first():
        return False
    record = _invoice_record(obj)
    if record is None:
        if _foreign_invoice(obj):
            return False  # not a dues invoice: stored, acknowledged, nothing changes
        raise RetryLater(f"invoice {invoice_id}: member not linked yet")
    circle = db.session.get(Circle, record.circle_id)
    _set_status(record, "active", created)
    amount = _int(obj.get("amount_paid")) or 0
    start_ts, end_ts = _invoice_period(obj)
    start, end = _day(start_ts, circle), _day(end_ts, circle)
    if amount <= 0 or start is None or end is None:
        return True  # nothing was paid (trial, credit): only the status changes
    last = max(start, end - timedelta(days=1))
    if record.current_period_end is None or last > record.current_period_end:
        record.current_period_end = last
    paid_at = ((obj.get("status_transitions") or {}).get("paid_at")) or created
    plan = current_plan(circle)
    payment = Payment(
        circle_id=record.circle_id,
        membership_id=record.membership_id,
        plan_id=plan.id if plan else None,
        source="stripe",
        amount_minor=amount,
        currency=str(obj.get("currency") or circle.currency).upper(),
        period_start=start,
        period_end=last,
        paid_on=_day(paid_at, circle),
        reference=str(obj.get("number") or invoice_id)[:200],
        stripe_invoice_id=invoice_id,
    )
    try:
        with db.session.begin_nested():  # invoice.paid and .payment_succeeded may race
            db.session.add(payment)
    except IntegrityError:
        return False
    return True


def on_invoice_payment_failed(obj: dict[str, Any], created: int) -> bool:
    """A renewal could not be collected: only the status changes (no payment)."""
    record = _invoice_record(obj)
    return record is not None and _set_status(record, "past_due", created)


def _subscription_end(obj: dict[str, Any]) -> int | None:
    """``current_period_end`` of a subscription (on the items in newer API versions)."""
    if obj.get("current_period_end"):
        return _int(obj["current_period_end"])
    items = (obj.get("items") or {}).get("data") or []
    ends = [_int(item.get("current_period_end")) for item in items]
    ends = [end for end in ends if end is not None]
    return max(ends) if ends else None


def on_subscription_changed(obj: dict[str, Any], created: int) -> bool:
    """Status and period end of a subscription, unless a newer event was already applied."""
    record = _find_record(_id(obj.get("id")), _id(obj.get("customer")))
    if record is None:
        member = _member(obj.get("metadata"))
        if member is None:
            return False
        record = _record_for(member)
    _link(record, _id(obj.get("customer")), _id(obj.get("id")))
    if not _set_status(record, str(obj.get("status") or "canceled")[:32], created):
        return False
    end = _subscription_end(obj)
    if end is not None:
        circle = db.session.get(Circle, record.circle_id)
        record.current_period_end = _day(end, circle) - timedelta(days=1)
    return True


def on_refund(obj: dict[str, Any], created: int) -> bool:
    """A refund: logged for the treasurer to correct by hand; nothing changes (False)."""
    log.warning(
        "stripe refund not applied: %s %s (payment intent %s, refunded %s %s)",
        obj.get("object"),
        obj.get("id"),
        _id(obj.get("payment_intent")),
        obj.get("amount_refunded", obj.get("amount")),
        obj.get("currency"),
    )
    return False


HANDLERS = {
    "checkout.session.completed": on_checkout_completed,
    "checkout.session.async_payment_succeeded": on_async_payment_succeeded,
    "checkout.session.async_payment_failed": on_async_payment_failed,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_succeeded": on_invoice_paid,  # the older name; pays once all the same
    "invoice.payment_failed": on_invoice_payment_failed,
    "customer.subscription.created": on_subscription_changed,
    "customer.subscription.updated": on_subscription_changed,
    "customer.subscription.deleted": on_subscription_changed,
    "charge.refunded": on_refund,
    "refund.created": on_refund,
}
