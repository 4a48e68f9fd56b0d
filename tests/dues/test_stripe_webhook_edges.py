"""The Stripe webhook at its edges (issue 12, items 3, 13 and 15): bodies that are signed
but no event, timestamps in the future, and bodies larger than the cap."""

from __future__ import annotations

import io
import json
import time

import pytest
import stripe

from tests.dues.webhooks import SECRET, URL, deliver, event, invoice_obj, state


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '[{"id": "evt_1", "type": "invoice.paid"}]',
        '"evt_1"',
        "42",
        "null",
        '{"id": "evt_1"}',
        '{"id": "evt_1", "type": "invoice.paid"}',
        '{"id": "evt_1", "type": "invoice.paid", "data": []}',
        '{"id": 7, "type": "invoice.paid", "data": {"object": {}}}',
        "{not json",
    ],
)
def test_a_correctly_signed_body_that_is_no_event_is_400(app, client, dues, body):
    response = deliver(client, body)
    assert response.status_code == 400
    assert state(app) == ([], [], [])


def test_a_correctly_signed_body_that_is_not_utf8_is_400(app, client, dues):
    body = b'{"id": "evt_\xff", "type": "invoice.paid", "data": {"object": {}}}'
    # Sign the bytes as Latin-1 text: the signature matches, the body is no UTF-8.
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode("latin-1"), SECRET, int(time.time())
    )
    response = client.post(URL, data=body, headers={"Stripe-Signature": header})
    assert response.status_code == 400
    assert state(app) == ([], [], [])


def test_a_signature_from_the_future_beyond_the_tolerance_is_refused(app, client, dues):
    payload = event("evt_1", "invoice.paid", invoice_obj(*dues))
    # Well past the 300 s tolerance: a busy test run can take seconds between signing and
    # checking, which brings a stamp just past the edge back within it.
    assert deliver(client, payload, timestamp=int(time.time()) + 330).status_code == 400
    assert deliver(client, payload, timestamp=int(time.time()) + 3600 * 24).status_code == 400
    assert state(app) == ([], [], [])
    # A clock a minute ahead of ours is within the tolerance.
    assert deliver(client, payload, timestamp=int(time.time()) + 60).status_code == 200


def test_a_body_past_the_cap_is_413_before_it_is_read(app, client, dues):
    padding = "x" * app.config["MAX_CONTENT_LENGTH"]
    payload = {**event("evt_big", "ping.unknown", {"id": "x"}), "padding": padding}
    response = deliver(client, payload)
    assert response.status_code == 413
    assert state(app) == ([], [], [])


def test_a_chunked_body_without_length_is_cut_off_at_the_cap(app, client, dues):
    body = json.dumps({"padding": "x" * (2 * app.config["MAX_CONTENT_LENGTH"])}).encode()
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), SECRET, int(time.time())
    )
    response = client.post(
        URL,
        input_stream=io.BytesIO(body),
        headers={"Stripe-Signature": header},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert state(app) == ([], [], [])
