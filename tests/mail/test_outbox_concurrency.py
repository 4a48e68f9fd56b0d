"""Workers delivering at once (PostgreSQL): the row locks (``FOR UPDATE SKIP LOCKED``) let
each mail go to exactly one of them, and together they deliver every one."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier, Lock

import pytest
from sqlalchemy import select

from circle.extensions import db
from circle.mail.outbox import deliver_due
from circle.mail.send import send_mail
from circle.models import OutboxMail

pytestmark = pytest.mark.postgres_only

MAILS = 60
WORKERS = 6


def test_workers_at_once_deliver_every_mail_exactly_once(committed_app):
    with committed_app.test_request_context():
        for n in range(MAILS):
            send_mail(f"member{n}@example.org", f"Erinnerung {n}", "Morgen ist Treffen.")
        db.session.commit()
        db.session.remove()
    barrier, guard, handed = Barrier(WORKERS), Lock(), []

    def send(message):
        """The mail server: takes a moment per mail and counts what it was handed."""
        time.sleep(0.005)
        with guard:
            handed.append(str(message["Message-ID"]))

    def worker(_n: int) -> int:
        with committed_app.app_context():
            barrier.wait(timeout=30)
            run = deliver_due(send)
            db.session.remove()
        return run.sent

    with ThreadPoolExecutor(WORKERS) as pool:
        sent = list(pool.map(worker, range(WORKERS)))
    assert sum(sent) == MAILS == len(handed) == len(set(handed))
    assert sum(1 for n in sent if n) > 1  # they really worked side by side
    with committed_app.app_context():
        statuses = db.session.execute(select(OutboxMail.status)).scalars().all()
    assert statuses == ["sent"] * MAILS
