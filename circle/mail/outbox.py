"""The transactional outbox: a mail is a row (``circle.models.OutboxMail``) written in the
transaction of the change it is about, and delivered after the commit by the worker.

- **Nothing lost:** the mail commits with its change or not at all. A crash after the
  commit leaves the row pending, and the next delivery run sends it.
- **Nothing twice, as the reader sees it:** a run claims one due row at a time (a row
  lock, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so that other workers pass it by; on
  SQLite the claiming update waits for the other writer and then finds the row taken),
  hands it to the mail server and marks it sent in the same transaction. A worker killed
  between the server's "accepted" and that commit leaves the row pending (its
  transaction is rolled back), and it is sent again with the same Message-ID, which mail
  clients show once (and the dev outbox writes to the same file).
- **Retries with back-off:** a failed attempt waits ``BACKOFF[attempt]`` before the next;
  after ``MAX_ATTEMPTS`` the mail is ``failed`` and its reason is kept for the admins.
- **No token kept:** the message (which may carry a one-time link) is emptied once the
  mail is sent or given up; recipient, subject and Message-ID stay for the record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy import func, select, update

from circle.core.clock import utcnow
from circle.extensions import db
from circle.models import OutboxMail
from circle.tasks import wakeups

log = logging.getLogger("circle.mail")

#: The waits after the 1st, 2nd, ... failed attempt; the last one repeats.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
#: Attempts before a mail is given up (about 11 hours after the first).
MAX_ATTEMPTS = 7
#: The app extension that delivers the outbox (``circle.tasks.jobs.deliver_outbox``),
#: asked for once a transaction that added mails commits.
WAKE = "circle.wake_mail_worker"
#: How long a kept failure reason may be.
REASON_LENGTH = 500


def keep(message: EmailMessage, circle_id: int | None = None) -> OutboxMail:
    """Add the message to the outbox in the open transaction (it goes out once that
    commits, and never when it rolls back)."""
    row = OutboxMail(
        circle_id=circle_id,
        message_id=str(message["Message-ID"]),
        to_address=str(message["To"])[:320],
        subject=str(message["Subject"])[:998],
        message=message.as_bytes(),
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    wakeups.after_commit(WAKE)
    return row


@dataclass
class Run:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def attempts(self) -> int:
        """Every mail the run tried."""
        return self.sent + self.retried + self.failed


def deliver_due(send, limit: int = 100, now: datetime | None = None) -> Run:
    """Deliver up to ``limit`` due pending mails with ``send(message)``, each in its own
    transaction, oldest first; a mail that fails waits for its back-off."""
    run = Run()
    while run.attempts < limit:
        row = _claim(now or utcnow())
        if row is None:
            break
        _attempt(row, send, run, now or utcnow())
        db.session.commit()
    return run


def _claim(now: datetime) -> OutboxMail | None:
    """The oldest due pending mail, claimed for this run (None when nothing is due): locked
    (another run skips it) and its attempt counted by an update that only a still pending
    row passes; a row another run took meanwhile is passed over."""
    passed: set[int] = set()
    while True:
        row = db.session.execute(
            select(OutboxMail)
            .where(
                OutboxMail.status == "pending",
                OutboxMail.next_attempt_at <= now,
                OutboxMail.id.not_in(passed),
            )
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if row is None:
            return None
        counted = db.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == row.id, OutboxMail.status == "pending")
            .values(attempts=OutboxMail.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if counted == 1:
            db.session.refresh(row)
            return row
        passed.add(row.id)


def _attempt(row: OutboxMail, send, run: Run, now: datetime) -> None:
    """Send one claimed mail (its attempt already counted) and record the outcome."""
    message = BytesParser(policy=policy.default).parsebytes(row.message or b"")
    try:
        send(message)
    except Exception as error:  # the server refused or was unreachable: try again later
        row.last_error = f"{type(error).__name__}: {error}"[:REASON_LENGTH]
        if row.attempts >= MAX_ATTEMPTS:
            row.status, row.message = "failed", None
            run.failed += 1
            log.error("mail %s to %s given up: %s", row.id, row.to_address, row.last_error)
        else:
            row.next_attempt_at = now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
            run.retried += 1
            log.warning(
                "mail %s to %s failed, retry at %s", row.id, row.to_address, row.next_attempt_at
            )
        return
    row.status, row.message, row.sent_at, row.last_error = "sent", None, now, None
    run.sent += 1


#: How many failed mails the admins' page lists (the newest).
LISTED = 50


@dataclass(frozen=True)
class CircleMail:
    """The state of a circle's mails for its admins: how many wait, and the newest ones
    that were given up, with their reasons."""

    waiting: int
    failed: list[OutboxMail]


def circle_mail(circle_id: int) -> CircleMail:
    """The circle's waiting mails (a count) and its newest ``LISTED`` failed ones."""
    waiting = db.session.execute(
        select(func.count(OutboxMail.id)).where(
            OutboxMail.circle_id == circle_id, OutboxMail.status == "pending"
        )
    ).scalar_one()
    failed = db.session.execute(
        select(OutboxMail)
        .where(OutboxMail.circle_id == circle_id, OutboxMail.status == "failed")
        .order_by(OutboxMail.id.desc())
        .limit(LISTED)
    ).scalars()
    return CircleMail(waiting, list(failed))
