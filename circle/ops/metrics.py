"""Prometheus metrics (prometheus_client), served on their own protected endpoint:
``GET /metrics`` with ``Authorization: Bearer <METRICS_TOKEN>``. Without the setting the
endpoint does not exist (404); a wrong token is refused (401, the same answer as none).

- ``circle_http_requests_total{method, endpoint, status}`` and
  ``circle_http_request_seconds{endpoint}``: every request, by its route (never by path:
  ids would make a series each);
- ``circle_queue_depth``: jobs waiting on the task queue; ``circle_mail_waiting`` and
  ``circle_mail_failed``: the outbox's pending and given-up mails (read at each scrape);
- ``circle_job_failures_total{job}``: jobs that raised, counted by the worker, and
  ``circle_mail_deliveries_total{outcome}``: sent, to retry, given up.

Several gunicorn workers: set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory for each
start) and every process's counts add up at each scrape, prometheus_client's
multiprocess mode. The worker process serves its own with ``flask circle worker
--metrics-port``, on the loopback address.
"""

from __future__ import annotations

import hmac
import os
import time

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from circle.extensions import db
from circle.models import OutboxMail
from circle.tasks.queue import huey

REQUESTS = Counter(
    "circle_http_requests_total", "HTTP requests answered", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "circle_http_request_seconds",
    "Time to answer a request",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
JOB_FAILURES = Counter("circle_job_failures_total", "Queue jobs that raised", ["job"])
DELIVERIES = Counter("circle_mail_deliveries_total", "Mail delivery attempts", ["outcome"])


class _StateCollector:
    """The queue's depth and the outbox's waiting and failed mails, read at each scrape
    (inside the scrape's request: the database is the app's)."""

    def collect(self):
        """The three gauges."""
        yield GaugeMetricFamily(
            "circle_queue_depth", "Jobs waiting on the task queue", value=huey.pending_count()
        )
        counts = dict(
            db.session.execute(
                select(OutboxMail.status, func.count(OutboxMail.id))
                .where(OutboxMail.status.in_(("pending", "failed")))
                .group_by(OutboxMail.status)
            ).all()
        )
        yield GaugeMetricFamily(
            "circle_mail_waiting", "Mails waiting in the outbox", value=counts.get("pending", 0)
        )
        yield GaugeMetricFamily(
            "circle_mail_failed", "Mails given up", value=counts.get("failed", 0)
        )


def _registry() -> CollectorRegistry:
    """What a scrape reads: every process's counts in multiprocess mode, else this one's;
    plus the state read now."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, LATENCY, JOB_FAILURES, DELIVERIES):
            registry.register(collector)
    registry.register(_StateCollector())
    return registry


def register(app: Flask) -> None:
    """Count and time every request, and add ``GET /metrics`` when ``METRICS_TOKEN`` is set."""
    app.before_request(_start_clock)
    app.after_request(_count)
    if app.config.get("METRICS_TOKEN"):
        app.add_url_rule("/metrics", "metrics", _metrics)


def _start_clock() -> None:
    g.metrics_started = time.perf_counter()


def _count(response):
    """One more request of its route, method and status, and its time."""
    endpoint = request.endpoint or "none"
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    if "metrics_started" in g:
        LATENCY.labels(endpoint).observe(time.perf_counter() - g.metrics_started)
    return response


def _metrics() -> Response:
    """The metrics, for a scraper that brings the token."""
    expected = f"Bearer {current_app.config['METRICS_TOKEN']}"
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), expected.encode()):
        abort(401)
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)
