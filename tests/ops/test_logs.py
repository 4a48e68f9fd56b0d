"""Structured logs (issue 16, item 7): JSON lines with the request id; the id comes back
in ``X-Request-ID``, a trusted proxy's id is kept only when plain, and the job a request
puts on the queue logs with the request's id."""

from __future__ import annotations

import json
import logging

from circle.mail.outbox import WAKE
from circle.ops.logs import JsonFormatter, RequestIdFilter
from circle.tasks import jobs
from circle.tasks.queue import huey


class Collect(logging.Handler):
    """Keeps the records (with the request id filter of the production handler)."""

    def __init__(self):
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def test_a_log_line_is_one_json_object_with_the_request_id_and_extras(app):
    handler = Collect()
    logger = logging.getLogger("circle.test")
    logger.addHandler(handler)
    try:
        with app.test_request_context():
            from flask import g

            g.request_id = "abc-123"
            try:
                raise ValueError("kaputt")
            except ValueError:
                logger.exception("mail %s failed", 7, extra={"circle_id": 3})
    finally:
        logger.removeHandler(handler)
    line = JsonFormatter().format(handler.records[0])
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "mail 7 failed" and entry["level"] == "ERROR"
    assert entry["request_id"] == "abc-123" and entry["circle_id"] == 3
    assert entry["logger"] == "circle.test" and "ValueError: kaputt" in entry["exception"]


def test_every_answer_names_its_request_id_and_only_a_trusted_plain_one_is_kept(app, client):
    own = client.get("/login").headers["X-Request-ID"]
    assert len(own) == 32 and own != client.get("/login").headers["X-Request-ID"]
    sent = {"X-Request-ID": "lb-4711"}
    assert client.get("/login", headers=sent).headers["X-Request-ID"] != "lb-4711"  # untrusted
    app.config["PROXY_COUNT"] = 1
    assert client.get("/login", headers=sent).headers["X-Request-ID"] == "lb-4711"
    hostile = {"X-Request-ID": "x" * 65}
    assert client.get("/login", headers=hostile).headers["X-Request-ID"] != "x" * 65


def test_the_job_a_request_starts_logs_with_the_requests_id(app, client, make, caplog):
    make.user(email="olga@example.org")
    huey.flush()
    app.extensions[WAKE] = jobs.deliver_outbox
    jobs.bind(app)
    handler = Collect()
    logging.getLogger("circle.tasks").addHandler(handler)
    try:
        response = client.post(
            "/password/forgot",
            data={"csrf_token": _token(client), "email": "olga@example.org"},
        )
        request_id = response.headers["X-Request-ID"]
        task = huey.dequeue()
        assert task.kwargs == {"request_id": request_id}
        with caplog.at_level(logging.INFO, logger="circle.tasks"):
            huey.execute(task)
    finally:
        del app.extensions[WAKE]
        logging.getLogger("circle.tasks").removeHandler(handler)
    [done] = [r for r in handler.records if r.getMessage().startswith("outbox:")]
    assert done.request_id == request_id


def _token(client) -> str:
    from tests.pages import csrf_token

    return csrf_token(client.get("/password/forgot").get_data(as_text=True))
