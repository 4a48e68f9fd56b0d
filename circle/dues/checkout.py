"""Online dues through Stripe: the plan's Product/Price, Checkout and the Billing Portal.

Card data never touches this server: members are sent to Stripe's pages. Nothing here
marks anything paid; only the verified webhook does (see ``circle.dues.webhooks``).
Services only flush; the caller commits with ``unit_of_work``.
"""

from __future__ import annotations

import logging

import stripe
from flask_babel import gettext as _
from sqlalchemy import select

from circle.core.errors import Conflict, DomainError, NotFound
from circle.dues.services import current_plan, subscription_of
from circle.dues.stripe_client import get_client, stripe_configured
from circle.extensions import db
from circle.models import Circle, DuesPlan, DuesSubscription, Membership, Payment

log = logging.getLogger(__name__)


class PaymentsNotConfigured(DomainError):
    """No Stripe key is configured: only manual payments are possible."""

    code = "payments_not_configured"
    status = 503


class PaymentProviderError(DomainError):
    """Stripe refused or could not be reached; nothing was changed here."""

    code = "payment_provider_error"
    status = 502


def _client() -> stripe.StripeClient:
    """The Stripe client, or ``PaymentsNotConfigured`` without a secret key."""
    if not stripe_configured():
        raise PaymentsNotConfigured(_("Online payment is not configured."))
    return get_client()


def _provider_error(error: stripe.StripeError) -> PaymentProviderError:
    """Log Stripe's error and turn it into a translated domain error."""
    log.warning("stripe request failed: %s", error)
    return PaymentProviderError(
        _("The payment provider is not available right now. Please try again later.")
    )


def ensure_price(circle: Circle, plan: DuesPlan, client: stripe.StripeClient | None = None) -> str:
    """The plan's Stripe Price id; creates the Product and recurring Price when missing."""
    if plan.stripe_price_id:
        return plan.stripe_price_id
    client = client or _client()
    metadata = {"circle_id": str(circle.id), "plan_id": str(plan.id)}
    try:
        if not plan.stripe_product_id:
            product = client.v1.products.create(
                {"name": _("Dues %(circle)s", circle=circle.name), "metadata": metadata}
            )
            plan.stripe_product_id = product.id
        price = client.v1.prices.create(
            {
                "product": plan.stripe_product_id,
                "unit_amount": plan.amount_minor,
                "currency": plan.currency.lower(),
                "recurring": {"interval": plan.interval},
                "metadata": metadata,
            }
        )
    except stripe.StripeError as error:
        raise _provider_error(error) from error
    plan.stripe_price_id = price.id
    db.session.flush()
    return price.id


def _has_paid_before(member: Membership) -> bool:
    """True when the member has any payment (then no joining fee is charged)."""
    return (
        db.session.execute(
            select(Payment.id)
            .where(Payment.circle_id == member.circle_id, Payment.membership_id == member.id)
            .limit(1)
        ).first()
        is not None
    )


def start_checkout(
    circle: Circle,
    member: Membership,
    success_url: str,
    cancel_url: str,
    client: stripe.StripeClient | None = None,
) -> str:
    """Create a subscription Checkout Session for an active member; returns Stripe's URL.

    ``client_reference_id`` is the membership id; circle and membership travel as metadata
    on the session and on the subscription, so every later webhook finds the member.
    """
    client = client or _client()
    if member.circle_id != circle.id or member.status != "active":
        raise NotFound(_("This member was not found."))
    plan = current_plan(circle)
    if plan is None:
        raise Conflict(_("No dues plan has been set for this circle yet."))
    price_id = ensure_price(circle, plan, client)
    metadata = {"circle_id": str(circle.id), "membership_id": str(member.id)}
    line_items: list[dict] = [{"price": price_id, "quantity": 1}]
    if plan.joining_fee_minor and not _has_paid_before(member):
        line_items.append(
            {
                "price_data": {
                    "currency": plan.currency.lower(),
                    "unit_amount": plan.joining_fee_minor,
                    "product_data": {"name": _("Joining fee %(circle)s", circle=circle.name)},
                },
                "quantity": 1,
            }
        )
    methods = ["card", "sepa_debit"] if plan.currency.upper() == "EUR" else ["card"]
    params: dict = {
        "mode": "subscription",
        "line_items": line_items,
        "client_reference_id": str(member.id),
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
        "payment_method_types": methods,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": "auto",
    }
    record = subscription_of(member.circle, member.id)
    if record is not None and record.stripe_customer_id:
        params["customer"] = record.stripe_customer_id
    else:
        params["customer_email"] = member.user.email
    try:
        session = client.v1.checkout.sessions.create(params)
    except stripe.StripeError as error:
        raise _provider_error(error) from error
    if record is None:
        record = DuesSubscription(circle_id=circle.id, membership_id=member.id)
        db.session.add(record)
    record.checkout_session_id = session.id
    db.session.flush()
    return session.url


def portal_url(
    circle: Circle, member: Membership, return_url: str, client: stripe.StripeClient | None = None
) -> str:
    """A Billing Portal session for the member (update payment method, cancel)."""
    client = client or _client()
    if member.circle_id != circle.id:
        raise NotFound(_("This member was not found."))
    record = subscription_of(member.circle, member.id)
    if record is None or not record.stripe_customer_id:
        raise NotFound(_("You have not paid online yet."))
    try:
        session = client.v1.billing_portal.sessions.create(
            {"customer": record.stripe_customer_id, "return_url": return_url}
        )
    except stripe.StripeError as error:
        raise _provider_error(error) from error
    return session.url
