"""Checkout, Billing Portal and Price creation: what the app sends to Stripe (offline)."""

from __future__ import annotations

import pytest
import stripe
from sqlalchemy import select

from circle.dues import checkout
from circle.dues import services as ds
from circle.dues.stripe_client import get_client, make_client
from circle.models import DuesSubscription, Membership
from tests.dues.stripe_http import API_VERSION, RecordingHTTPClient


@pytest.fixture
def http(app):
    """Stripe configured with the recording HTTP client."""
    recorder = RecordingHTTPClient()
    app.config.update(STRIPE_SECRET_KEY="sk_test_circle", STRIPE_API_VERSION=API_VERSION)
    app.extensions["stripe_http_client"] = recorder
    yield recorder
    app.extensions.pop("stripe_http_client", None)


@pytest.fixture
def dues_circle(make, db):
    """A EUR circle with an admin, a yearly plan (with joining fee) and a member."""
    admin = make.user(name="Tina Treasurer")
    circle = db.session.merge(make.circle(admin=admin))
    actor = db.session.execute(
        select(Membership).where(Membership.circle_id == circle.id, Membership.role == "admin")
    ).scalar_one()
    member = db.session.merge(make.member(circle, make.user(name="Max Mitglied")))
    plan = ds.set_plan(
        circle, actor, ds.PlanInput(amount_minor=60_000, interval="year", joining_fee_minor=5_000)
    )
    return circle, member, plan


def test_client_pins_version_key_and_base_url_without_a_global_key(app):
    recorder = RecordingHTTPClient()
    config = {
        "STRIPE_SECRET_KEY": "sk_test_abc",
        "STRIPE_API_VERSION": API_VERSION,
        "STRIPE_API_BASE": "http://127.0.0.1:8420/",
    }
    client = make_client(config, recorder)
    client.v1.products.create({"name": "Dues"})
    sent = recorder.requests[0]
    assert (sent["host"], sent["path"], sent["version"]) == (
        "127.0.0.1:8420",
        "/v1/products",
        API_VERSION,
    )
    assert sent["auth"] == "Bearer sk_test_abc"
    assert stripe.api_key is None
    assert client._requestor._options.max_network_retries == 2


def test_saving_a_plan_without_price_creates_product_and_recurring_price(ctx, http, dues_circle):
    circle, _member, plan = dues_circle
    price_id = checkout.ensure_price(circle, plan)
    product, price = http.requests
    assert (product["method"], product["path"]) == ("POST", "/v1/products")
    assert product["form"]["metadata[circle_id]"] == str(circle.id)
    assert price["path"] == "/v1/prices"
    assert price["form"] == {
        "product": "prod_1",
        "unit_amount": "60000",
        "currency": "eur",
        "recurring[interval]": "year",
        "metadata[circle_id]": str(circle.id),
        "metadata[plan_id]": str(plan.id),
    }
    assert all(r["version"] == API_VERSION for r in http.requests)
    assert (plan.stripe_product_id, plan.stripe_price_id, price_id) == (
        "prod_1",
        "price_2",
        "price_2",
    )
    assert checkout.ensure_price(circle, plan) == "price_2" and len(http.requests) == 2


def test_checkout_session_is_a_subscription_for_the_member_with_card_and_sepa(
    ctx, http, dues_circle, db
):
    circle, member, plan = dues_circle
    plan.stripe_price_id = "price_existing"
    url = checkout.start_checkout(
        circle, member, "https://circle.test/dues/ok", "https://circle.test/dues"
    )
    assert url == "https://checkout.stripe.com/c/pay/cs_test_1"
    (sent,) = http.requests
    form = sent["form"]
    assert (sent["method"], sent["path"], sent["version"]) == (
        "POST",
        "/v1/checkout/sessions",
        API_VERSION,
    )
    assert form["mode"] == "subscription"
    assert form["client_reference_id"] == str(member.id)
    assert form["metadata[circle_id]"] == str(circle.id)
    assert form["metadata[membership_id]"] == str(member.id)
    assert form["subscription_data[metadata][membership_id]"] == str(member.id)
    assert form["subscription_data[metadata][circle_id]"] == str(circle.id)
    assert (form["payment_method_types[0]"], form["payment_method_types[1]"]) == (
        "card",
        "sepa_debit",
    )
    assert form["line_items[0][price]"] == "price_existing"
    assert form["line_items[1][price_data][unit_amount]"] == "5000"  # joining fee, once
    assert form["success_url"] == "https://circle.test/dues/ok"
    assert form["cancel_url"] == "https://circle.test/dues"
    assert form["customer_email"] == member.user.email
    record = db.session.execute(select(DuesSubscription)).scalar_one()
    assert (record.membership_id, record.checkout_session_id) == (member.id, "cs_test_1")
    assert record.status == "incomplete"  # the return page never marks anything paid


def test_checkout_in_other_currency_offers_card_only_and_reuses_the_customer(
    ctx, http, dues_circle, db
):
    circle, member, plan = dues_circle
    circle.currency = "CHF"
    plan.currency = "CHF"
    plan.stripe_price_id = "price_chf"
    db.session.add(
        DuesSubscription(circle_id=circle.id, membership_id=member.id, stripe_customer_id="cus_1")
    )
    db.session.flush()
    checkout.start_checkout(circle, member, "https://x/ok", "https://x/no")
    form = http.requests[0]["form"]
    assert form["payment_method_types[0]"] == "card"
    assert "payment_method_types[1]" not in form
    assert form["customer"] == "cus_1" and "customer_email" not in form


def test_checkout_creates_the_price_first_when_the_plan_has_none(ctx, http, dues_circle):
    circle, member, _plan = dues_circle
    checkout.start_checkout(circle, member, "https://x/ok", "https://x/no")
    assert [r["path"] for r in http.requests] == [
        "/v1/products",
        "/v1/prices",
        "/v1/checkout/sessions",
    ]
    assert http.requests[2]["form"]["line_items[0][price]"] == "price_2"


def test_checkout_refuses_a_member_of_another_circle(ctx, http, dues_circle, make, db):
    circle, _member, _plan = dues_circle
    other = db.session.merge(make.circle())
    stranger = db.session.merge(make.member(other))
    with pytest.raises(checkout.NotFound):
        checkout.start_checkout(circle, stranger, "https://x/ok", "https://x/no")
    assert http.requests == []


def test_billing_portal_for_the_members_customer(ctx, http, dues_circle, db):
    circle, member, _plan = dues_circle
    with pytest.raises(checkout.NotFound) as refused:
        checkout.portal_url(circle, member, "https://circle.test/dues")
    assert refused.value.message == "You have not paid online yet."
    db.session.add(
        DuesSubscription(circle_id=circle.id, membership_id=member.id, stripe_customer_id="cus_9")
    )
    db.session.flush()
    url = checkout.portal_url(circle, member, "https://circle.test/dues")
    assert url == "https://billing.stripe.com/p/session/bps_1"
    (sent,) = http.requests
    assert (sent["path"], sent["form"]) == (
        "/v1/billing_portal/sessions",
        {"customer": "cus_9", "return_url": "https://circle.test/dues"},
    )


def test_without_a_secret_key_online_payment_is_not_configured(ctx, app, dues_circle, db):
    circle, member, plan = dues_circle
    app.config["STRIPE_SECRET_KEY"] = ""
    for call in (
        lambda: checkout.start_checkout(circle, member, "https://x/ok", "https://x/no"),
        lambda: checkout.portal_url(circle, member, "https://x"),
        lambda: checkout.ensure_price(circle, plan),
    ):
        with pytest.raises(checkout.PaymentsNotConfigured) as refused:
            call()
        assert refused.value.message == "Online payment is not configured."
    assert plan.stripe_price_id is None
    assert db.session.execute(select(DuesSubscription)).first() is None


def test_stripe_failure_is_a_clear_error_and_changes_nothing(ctx, app, dues_circle, db):
    circle, member, plan = dues_circle
    app.config.update(STRIPE_SECRET_KEY="sk_test_circle", STRIPE_API_VERSION=API_VERSION)
    client = make_client(app.config, RecordingHTTPClient(fail_with=400))
    with pytest.raises(checkout.PaymentProviderError) as refused:
        checkout.start_checkout(circle, member, "https://x/ok", "https://x/no", client=client)
    assert "not available" in refused.value.message
    assert plan.stripe_price_id is None
    assert db.session.execute(select(DuesSubscription)).first() is None


def test_get_client_uses_the_apps_configuration(ctx, http):
    get_client().v1.products.create({"name": "x"})
    assert http.requests[0]["auth"] == "Bearer sk_test_circle"


def test_checkout_without_a_plan_is_refused(ctx, http, make, db):
    circle = db.session.merge(make.circle())
    member = db.session.merge(make.member(circle))
    with pytest.raises(checkout.Conflict) as refused:
        checkout.start_checkout(circle, member, "https://x/ok", "https://x/no")
    assert refused.value.message == "No dues plan has been set for this circle yet."
    assert http.requests == []
