"""Stripe webhooks: forged deliveries refused, every event applied exactly once, in any order."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
import stripe
from sqlalchemy import func, select
from werkzeug.serving import make_server

from circle.dues import services as ds
from circle.dues.stripe_client import make_client
from circle.extensions import db as _db
from circle.models import DuesSubscription, Membership, Payment, StripeEvent
from tests.dues.stripe_http import RecordingHTTPClient
from tests.dues.webhooks import (
    SECRET,
    T0,
    URL,
    deliver,
    event,
    invoice_obj,
    session_obj,
    state,
    subscription_obj,
)
from tests.factories import Factory


def test_valid_checkout_and_invoice_mark_the_member_paid(app, client, dues):
    circle_id, member_id = dues
    assert (
        deliver(
            client, event("evt_1", "checkout.session.completed", session_obj(*dues))
        ).status_code
        == 200
    )
    response = deliver(client, event("evt_2", "invoice.paid", invoice_obj(*dues), T0 + 60))
    assert response.status_code == 200 and response.json["duplicate"] is False
    (payment,), events, (record,) = state(app)
    assert events == ["evt_1", "evt_2"]
    assert (record.stripe_customer_id, record.stripe_subscription_id, record.status) == (
        "cus_1",
        "sub_1",
        "active",
    )
    assert (payment.source, payment.membership_id, payment.amount_minor, payment.currency) == (
        "stripe",
        member_id,
        60_000,
        "EUR",
    )
    assert (payment.period_start, payment.period_end) == (date(2026, 3, 1), date(2027, 2, 28))
    assert payment.stripe_invoice_id == "in_1"
    with app.app_context():
        circle = _db.session.get(Membership, member_id).circle
        last = ds.paid_through(circle)[member_id]
        member = _db.session.get(Membership, member_id)
        status = ds.status_of(ds.current_plan(circle), member, last, date(2026, 6, 1))
        assert status.state == "paid" and circle.id == circle_id


@pytest.mark.parametrize(
    "how",
    ["tampered body", "wrong secret", "stale timestamp", "missing header", "garbage header"],
)
def test_forged_or_stale_deliveries_are_refused_and_write_nothing(app, client, dues, how):
    body = json.dumps(event("evt_x", "invoice.paid", invoice_obj(*dues)))
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET, int(time.time()))
    headers = {"Stripe-Signature": header}
    if how == "tampered body":
        body = body.replace("60000", "1")
    elif how == "wrong secret":
        headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(
            body, "whsec_other", int(time.time())
        )
    elif how == "stale timestamp":
        headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(
            body, SECRET, int(time.time()) - 301
        )
    elif how == "missing header":
        headers = {}
    else:
        headers["Stripe-Signature"] = "t=1,v1=nonsense"
    response = client.post(URL, data=body, headers=headers, content_type="application/json")
    assert response.status_code == 400
    assert state(app) == ([], [], [])


def test_without_a_webhook_secret_nothing_is_accepted(app, client, dues):
    app.config["STRIPE_WEBHOOK_SECRET"] = ""
    response = deliver(client, event("evt_1", "invoice.paid", invoice_obj(*dues)))
    assert response.status_code == 503
    assert state(app) == ([], [], [])


def test_only_the_webhook_is_exempt_from_csrf(app, client, dues):
    """The webhook takes no CSRF token; a signed body is enough."""
    assert deliver(client, event("evt_1", "ping.unknown", {"id": "x"})).status_code == 200
    assert client.post("/login", data={"email": "a@b.c"}).status_code == 400


def test_duplicate_delivery_has_no_second_effect(app, client, dues):
    deliver(client, event("evt_1", "checkout.session.completed", session_obj(*dues)))
    paid = event("evt_2", "invoice.paid", invoice_obj(*dues))
    assert deliver(client, paid).json["duplicate"] is False
    again = deliver(client, paid)
    assert again.status_code == 200 and again.json["duplicate"] is True
    # Stripe can also send the same invoice under another event id: it still pays once.
    assert deliver(client, event("evt_3", "invoice.paid", invoice_obj(*dues))).status_code == 200
    payments, events, _records = state(app)
    assert len(payments) == 1 and events == ["evt_1", "evt_2", "evt_3"]


def test_invoice_paid_before_checkout_completed_links_from_metadata(app, client, dues):
    _circle_id, member_id = dues
    assert (
        deliver(client, event("evt_2", "invoice.paid", invoice_obj(*dues), T0 + 60)).status_code
        == 200
    )
    assert (
        deliver(
            client, event("evt_1", "checkout.session.completed", session_obj(*dues), T0)
        ).status_code
        == 200
    )
    (payment,), _events, (record,) = state(app)
    assert payment.membership_id == member_id
    assert (record.membership_id, record.stripe_subscription_id, record.status) == (
        member_id,
        "sub_1",
        "active",  # the older checkout event does not undo the newer invoice
    )


def test_unmatched_invoice_fails_then_succeeds_on_stripes_retry(app, client, dues):
    """Without metadata the invoice waits for checkout: 500 (nothing written), then 200."""
    unlinked = event("evt_2", "invoice.paid", invoice_obj(None, None), T0 + 60)
    assert deliver(client, unlinked).status_code == 500
    assert state(app) == ([], [], [])
    deliver(client, event("evt_1", "checkout.session.completed", session_obj(*dues)))
    assert deliver(client, unlinked).status_code == 200
    payments, events, _records = state(app)
    assert len(payments) == 1 and events == ["evt_1", "evt_2"]


def test_a_one_off_invoice_is_acknowledged_and_changes_nothing(app, client, dues):
    """An invoice made in the dashboard has no subscription: not dues, and no retry loop."""
    one_off = invoice_obj(None, None, invoice_id="in_one_off")
    one_off["parent"] = {"type": "quote_details", "quote_details": {"quote": "qt_1"}}
    response = deliver(client, event("evt_1", "invoice.paid", one_off, T0))
    assert response.status_code == 200
    payments, events, records = state(app)
    assert (payments, records, events) == ([], [], ["evt_1"])


def test_an_invoice_of_a_subscription_stripe_knows_without_a_member_is_not_dues(app, client, dues):
    """With the API key the app asks Stripe; a subscription without our metadata is not ours."""
    recorder = RecordingHTTPClient()
    app.config.update(STRIPE_SECRET_KEY="sk_test_circle")
    app.extensions["stripe_http_client"] = recorder
    try:
        foreign = invoice_obj(None, None, invoice_id="in_foreign")
        response = deliver(client, event("evt_1", "invoice.paid", foreign, T0))
    finally:
        app.extensions.pop("stripe_http_client", None)
    assert response.status_code == 200
    assert [(r["method"], r["path"]) for r in recorder.requests] == [
        ("GET", "/v1/subscriptions/sub_1")
    ]
    payments, events, records = state(app)
    assert (payments, records, events) == ([], [], ["evt_1"])


def test_sepa_pays_after_a_delay(app, client, dues):
    pending = session_obj(*dues, payment_status="unpaid")
    deliver(client, event("evt_1", "checkout.session.completed", pending, T0))
    payments, _events, (record,) = state(app)
    assert payments == [] and record.status == "processing"
    later = T0 + 3 * 86400
    pending["payment_status"] = "paid"
    deliver(client, event("evt_2", "checkout.session.async_payment_succeeded", pending, later))
    deliver(client, event("evt_3", "invoice.paid", invoice_obj(*dues), later + 5))
    payments, _events, (record,) = state(app)
    assert record.status == "active" and len(payments) == 1


def test_sepa_failure_is_a_status_not_a_payment(app, client, dues):
    pending = session_obj(*dues, payment_status="unpaid")
    deliver(client, event("evt_1", "checkout.session.completed", pending, T0))
    deliver(client, event("evt_2", "checkout.session.async_payment_failed", pending, T0 + 9))
    payments, _events, (record,) = state(app)
    assert payments == [] and record.status == "payment_failed"


def test_payment_failed_then_retry_paid(app, client, dues):
    deliver(client, event("evt_1", "checkout.session.completed", session_obj(*dues), T0))
    failed = invoice_obj(*dues, invoice_id="in_2")
    deliver(client, event("evt_2", "invoice.payment_failed", failed, T0 + 10))
    payments, _events, (record,) = state(app)
    assert payments == [] and record.status == "past_due"
    deliver(client, event("evt_3", "invoice.paid", failed, T0 + 20))
    payments, _events, (record,) = state(app)
    assert len(payments) == 1 and record.status == "active"


def test_subscription_updates_apply_in_event_order_not_arrival_order(app, client, dues):
    deliver(client, event("evt_1", "checkout.session.completed", session_obj(*dues), T0))
    renewed_end = int(datetime(2028, 3, 1, 10, 0, tzinfo=UTC).timestamp())
    deliver(
        client,
        event("evt_3", "customer.subscription.deleted", subscription_obj("canceled"), T0 + 30),
    )
    late = event(
        "evt_2", "customer.subscription.updated", subscription_obj("active", renewed_end), T0 + 20
    )
    assert deliver(client, late).status_code == 200
    _payments, events, (record,) = state(app)
    assert record.status == "canceled" and "evt_2" in events
    assert record.current_period_end == date(2027, 2, 28)


def test_checkout_for_a_member_of_another_circle_is_ignored(app, client, dues, make):
    _circle_id, member_id = dues
    with app.test_request_context():
        other = make.circle()
        other_id = other.id
    forged = session_obj(other_id, member_id)
    assert deliver(client, event("evt_1", "checkout.session.completed", forged)).status_code == 200
    _payments, events, records = state(app)
    assert events == ["evt_1"] and records == []


def test_unknown_event_types_are_recorded_and_acknowledged(app, client, dues):
    response = deliver(client, event("evt_9", "customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
    with app.app_context():
        stored = _db.session.get(StripeEvent, "evt_9")
        assert (stored.type, stored.handled) == ("customer.created", False)


@pytest.mark.postgres_only
def test_twenty_concurrent_deliveries_pay_once(committed_app):
    app = committed_app
    app.config["STRIPE_WEBHOOK_SECRET"] = SECRET
    factory = Factory(app)
    circle = factory.circle(admin=factory.user())
    member = factory.member(circle)
    ids = circle.id, member.id
    with app.test_client() as first:
        deliver(first, event("evt_1", "checkout.session.completed", session_obj(*ids)))
    body = json.dumps(event("evt_2", "invoice.paid", invoice_obj(*ids)))
    barrier = threading.Barrier(20)
    codes: list[int] = []

    def post():
        with app.test_client() as client:
            barrier.wait()
            codes.append(deliver(client, body).status_code)

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 20
    with app.app_context():
        count = _db.session.execute(select(func.count(Payment.id))).scalar_one()
        events = _db.session.execute(select(func.count(StripeEvent.id))).scalar_one()
        _db.session.remove()
    assert (count, events) == (1, 2)


@pytest.mark.postgres_only
def test_different_events_of_one_member_arriving_together_share_one_record(committed_app):
    """Checkout completion and the first invoice race to create the member's record."""
    app = committed_app
    app.config["STRIPE_WEBHOOK_SECRET"] = SECRET
    factory = Factory(app)
    circle = factory.circle(admin=factory.user())
    members = [factory.member(circle) for _ in range(8)]
    codes: list[int] = []

    def post(body, barrier):
        with app.test_client() as client:
            barrier.wait()
            codes.append(deliver(client, body).status_code)

    for n, member in enumerate(members):
        session = session_obj(circle.id, member.id)
        session.update(customer=f"cus_r{n}", subscription=f"sub_r{n}")
        invoice = invoice_obj(circle.id, member.id, invoice_id=f"in_r{n}")
        invoice["customer"] = f"cus_r{n}"
        invoice["parent"]["subscription_details"]["subscription"] = f"sub_r{n}"
        bodies = [
            json.dumps(event(f"evt_s{n}", "checkout.session.completed", session)),
            json.dumps(event(f"evt_i{n}", "invoice.paid", invoice)),
        ]
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=post, args=(body, barrier)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert codes == [200] * 16
    with app.app_context():
        records = _db.session.execute(select(func.count(DuesSubscription.id))).scalar_one()
        payments = _db.session.execute(select(func.count(Payment.id))).scalar_one()
        _db.session.remove()
    assert (records, payments) == (8, 8)


class SubscriptionAPI(stripe.HTTPClient):
    """An in-process Stripe API that knows one subscription with the member's metadata."""

    name = "subscription-api"

    def __init__(self, metadata: dict):
        super().__init__()
        self.metadata = metadata
        self.paths: list[tuple[str, str]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        """Answer ``GET /v1/subscriptions/sub_1``."""
        path = url.split("://", 1)[1].split("/", 1)[1]
        self.paths.append((method.upper(), "/" + path, headers.get("Stripe-Version")))
        body = {
            "id": "sub_1",
            "object": "subscription",
            "customer": "cus_1",
            "status": "active",
            "metadata": self.metadata,
        }
        return json.dumps(body), 200, {}

    def close(self):
        """Nothing to close."""


def test_invoice_without_metadata_asks_stripe_for_the_subscription(app, client, dues):
    circle_id, member_id = dues
    api = SubscriptionAPI({"circle_id": str(circle_id), "membership_id": str(member_id)})
    app.config.update(STRIPE_SECRET_KEY="sk_test_circle")
    app.extensions["stripe_http_client"] = api
    try:
        response = deliver(client, event("evt_2", "invoice.paid", invoice_obj(None, None)))
    finally:
        app.extensions.pop("stripe_http_client")
    assert response.status_code == 200
    assert api.paths == [("GET", "/v1/subscriptions/sub_1", app.config["STRIPE_API_VERSION"])]
    (payment,), _events, (record,) = state(app)
    assert payment.membership_id == member_id and record.stripe_subscription_id == "sub_1"


def test_invoice_paid_and_payment_succeeded_pay_once(app, client, dues):
    deliver(client, event("evt_1", "invoice.payment_succeeded", invoice_obj(*dues)))
    deliver(client, event("evt_2", "invoice.paid", invoice_obj(*dues)))
    payments, events, _records = state(app)
    assert len(payments) == 1 and events == ["evt_1", "evt_2"]


LOCALSTRIPE_LAUNCHER = """
import os, pickle, sys
import localstripe.resources as resources

PATH = os.environ["LOCALSTRIPE_DATA"]


def load(self):
    try:
        with open(PATH, "rb") as f:
            self.clear()
            self.update(pickle.load(f))
    except FileNotFoundError:
        pass


def dump(self):
    with open(PATH, "wb") as f:
        pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)


resources.Store.try_load_from_disk = load
resources.Store.dump_to_disk = dump
from localstripe.server import start

sys.argv = ["localstripe", *sys.argv[1:]]
start()
"""


def _free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _localstripe_python() -> str:
    """A Python that runs localstripe: ``LOCALSTRIPE_PYTHON`` (make test sets it to the
    separate .venv-localstripe), else this interpreter if localstripe is importable."""
    if os.environ.get("LOCALSTRIPE_PYTHON"):
        return os.environ["LOCALSTRIPE_PYTHON"]
    if importlib.util.find_spec("localstripe"):
        return sys.executable
    pytest.fail("localstripe is missing: run `make test`, which installs it in .venv-localstripe")


@pytest.fixture
def localstripe(tmp_path):
    """localstripe on a free port, its data file in a temporary directory."""
    python = _localstripe_python()
    launcher = tmp_path / "localstripe_launcher.py"
    launcher.write_text(LOCALSTRIPE_LAUNCHER)
    port = _free_port()
    env = {**os.environ, "LOCALSTRIPE_DATA": str(tmp_path / "localstripe.pickle")}
    process = subprocess.Popen(
        [python, str(launcher), "--port", str(port), "--from-scratch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_localstripe_subscription_marks_the_member_paid(committed_app, localstripe):
    """Real stripe library against localstripe; its signed webhooks reach the running app."""
    app = committed_app
    app_port = _free_port()
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_localstripe",
        STRIPE_API_BASE=localstripe,
        STRIPE_WEBHOOK_SECRET=SECRET,
    )
    factory = Factory(app)
    admin_user = factory.user(name="Tina Treasurer")
    circle = factory.circle(admin=admin_user)
    member = factory.member(circle, factory.user(name="Max Mitglied"))
    with app.test_request_context():
        actor = _db.session.execute(
            select(Membership).where(Membership.circle_id == circle.id, Membership.role == "admin")
        ).scalar_one()
        ds.set_plan(actor.circle, actor, ds.PlanInput(amount_minor=60_000, interval="year"))
        _db.session.commit()
        _db.session.remove()
    server = make_server("127.0.0.1", app_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urlopen(
            Request(
                f"{localstripe}/_config/webhooks/circle",
                data=urlencode(
                    {"url": f"http://127.0.0.1:{app_port}/stripe/webhook", "secret": SECRET}
                ).encode(),
            ),
            timeout=5,
        ) as registered:
            assert registered.status == 200
        client = make_client(app.config)
        customer = client.v1.customers.create(
            {
                "email": "max@example.org",
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        )
        price = client.v1.plans.create(
            {"amount": 60_000, "currency": "eur", "interval": "year", "product": {"name": "Dues"}}
        )
        metadata = {"circle_id": str(circle.id), "membership_id": str(member.id)}
        subscription = client.v1.subscriptions.create(
            {"customer": customer.id, "items": [{"plan": price.id}], "metadata": metadata}
        )
        deadline = time.monotonic() + 20
        payments: list[Payment] = []
        while not payments and time.monotonic() < deadline:
            time.sleep(0.25)
            payments, _events, _records = state(app)
        assert len(payments) == 1
        (payment,) = payments
        assert (payment.membership_id, payment.amount_minor, payment.source) == (
            member.id,
            60_000,
            "stripe",
        )
        time.sleep(1.5)  # let the remaining webhooks (subscription.created) arrive too
        payments, _events, (record,) = state(app)
        assert len(payments) == 1
        assert (record.stripe_subscription_id, record.stripe_customer_id) == (
            subscription.id,
            customer.id,
        )
        with app.app_context():
            stored = _db.session.get(Membership, member.id)
            plan = ds.current_plan(stored.circle)
            last = ds.paid_through(stored.circle)[member.id]
            today = datetime.now(UTC).date()
            assert ds.status_of(plan, stored, last, today).state == "paid"
            _db.session.remove()
    finally:
        server.shutdown()
        thread.join(timeout=5)
