"""The mail outbox (issue 16): a mail commits with its change, the worker delivers it
after the commit with retries and back-off, gives up after ``MAX_ATTEMPTS`` and keeps the
reason, delivers each mail once as its reader sees it, and keeps no one-time link once
the mail went out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from circle.core.clock import utcnow
from circle.extensions import db as _db
from circle.mail import outbox as mail_outbox
from circle.mail.outbox import WAKE
from circle.mail.send import deliver, send_mail
from circle.models import OutboxMail
from circle.tasks import jobs
from circle.tasks.queue import huey
from tests.apps import deliver_pending

UNREACHABLE = "smtp://127.0.0.1:9/?starttls=false"  # the discard port: refused at once


def queue_mail(app, to: str = "petra@example.org", body: str = "Hallo") -> int:
    """A mail put in the outbox and committed, as a request does it; its row's id."""
    with app.test_request_context():
        send_mail(to, "Betreff", body)
        _db.session.commit()
        row_id = _db.session.execute(select(OutboxMail.id)).scalars().all()[-1]
        _db.session.remove()
    return row_id


def row(app, row_id: int) -> OutboxMail:
    with app.app_context():
        found = _db.session.get(OutboxMail, row_id)
        _db.session.expunge(found)
        return found


def eml_files(app) -> list[Path]:
    return sorted(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))


def test_a_sent_mail_keeps_its_envelope_but_not_its_link(app, outbox):
    row_id = queue_mail(app, body="Dein Link: http://circle.test/password/reset/geheim")
    [mail] = outbox()
    assert "geheim" in mail.get_body(("plain",)).get_content()
    sent = row(app, row_id)
    assert (sent.status, sent.attempts, sent.message) == ("sent", 1, None)
    assert sent.to_address == "petra@example.org" and sent.message_id == mail["Message-ID"]
    assert deliver_pending(app).attempts == 0  # a second run sends nothing again


def test_a_failing_server_is_retried_with_back_off_then_given_up(app):
    app.config["MAIL_URL"] = UNREACHABLE
    row_id = queue_mail(app)
    now = utcnow()
    waits = []
    for attempt in range(1, mail_outbox.MAX_ATTEMPTS + 1):
        with app.app_context():
            early = mail_outbox.deliver_due(deliver, now=now - timedelta(seconds=1))
            run = mail_outbox.deliver_due(deliver, now=now)
            _db.session.remove()
        assert early.attempts == 0  # not before its time
        assert run.attempts == 1, attempt
        kept = row(app, row_id)
        assert kept.attempts == attempt and "ConnectionRefusedError" in kept.last_error
        if attempt < mail_outbox.MAX_ATTEMPTS:
            waits.append(kept.next_attempt_at - now)
            now = kept.next_attempt_at
    assert waits == list(mail_outbox.BACKOFF)
    assert (kept.status, kept.message) == ("failed", None)  # given up, no link kept
    assert deliver_pending(app).attempts == 0


def test_a_worker_killed_after_the_server_took_the_mail_sends_it_again_as_the_same_mail(
    app, outbox
):
    """The crash between "accepted" and the commit: the row's transaction is rolled back,
    the next run sends it again with the same Message-ID (the outbox file is the same)."""
    queue_mail(app)
    with app.app_context():
        claimed = mail_outbox._claim(utcnow())
        mail_outbox._attempt(claimed, deliver, mail_outbox.Run(), utcnow())
        _db.session.rollback()  # the worker died before its commit
        _db.session.remove()
    assert len(eml_files(app)) == 1
    [mail] = outbox()  # the next run delivers it again: still one mail
    assert len(eml_files(app)) == 1 and mail["Subject"] == "Betreff"


def test_a_commit_with_mails_wakes_the_worker_and_the_worker_delivers(app, outbox):
    """With ``QUEUE_DISPATCH`` the commit puts a delivery job on the queue; the worker's
    job (run here as the consumer runs it) delivers the mail."""
    huey.flush()
    app.extensions[WAKE] = jobs.deliver_outbox
    jobs.bind(app)
    try:
        queue_mail(app)
        assert huey.pending_count() == 1
        huey.execute(huey.dequeue())
    finally:
        del app.extensions[WAKE]
    assert [m["To"] for m in outbox()] == ["petra@example.org"]
    assert huey.pending_count() == 0


def test_a_rolled_back_change_wakes_nobody_and_leaves_no_mail(app, outbox):
    huey.flush()
    app.extensions[WAKE] = jobs.deliver_outbox
    try:
        with app.test_request_context():
            send_mail("petra@example.org", "Betreff", "Hallo")
            _db.session.rollback()
            _db.session.commit()  # a later commit of the same session adds no mail
    finally:
        del app.extensions[WAKE]
    assert huey.pending_count() == 0 and outbox() == []
