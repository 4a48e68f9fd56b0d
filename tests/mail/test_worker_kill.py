"""The worker killed while it delivers (issue 16): a real worker process (``flask circle
worker`` on a SQLite queue file) delivers to a mail server on loopback; the server takes
the first mail and then hangs before the worker can finish (its QUIT is never answered),
so the worker is killed (SIGKILL) after the server accepted the mail and before the
worker recorded it. A second worker then delivers everything: no mail is lost, and the
one mail sent twice carries the same Message-ID both times (a reader's mail client shows
it once)."""

from __future__ import annotations

import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from sqlalchemy import select

from circle.extensions import db
from circle.mail.send import send_mail
from circle.models import OutboxMail
from circle.tasks import jobs
from circle.tasks.queue import huey, make_huey

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MAILS = 3


class Sink(socketserver.ThreadingTCPServer):
    """A mail server on loopback that records the Message-ID of every mail it accepted;
    on its first connection it leaves the client's QUIT unanswered (``hung`` is set)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Session)
        self.accepted: list[str] = []
        self.hung = threading.Event()
        self.closing = threading.Event()


class _Session(socketserver.StreamRequestHandler):
    """One SMTP conversation (no TLS, no authentication)."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        sink: Sink = self.server  # type: ignore[assignment]
        self.reply("220 sink ready")
        while line := self.rfile.readline():
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 sink")
            elif verb == b"DATA":
                self.reply("354 go on")
                data = b"".join(iter(self.rfile.readline, b".\r\n"))
                sink.accepted.append(BytesHeaderParser().parsebytes(data)["Message-ID"])
                self.reply("250 accepted")
            elif verb == b"QUIT":
                if not sink.hung.is_set():
                    sink.hung.set()  # the mail is taken; the worker now waits forever
                    sink.closing.wait(60)
                    return
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """``flask circle worker`` in a process of its own, its output appended to ``log``."""
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "circle", "worker", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    finally:
        os.close(out)


def wait_for(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_a_worker_killed_while_it_delivers_loses_no_mail(
    committed_app, database_url, tmp_path, monkeypatch
):
    with committed_app.test_request_context():
        for n in range(MAILS):
            send_mail(f"member{n}@example.org", f"Willkommen {n}", "Hallo")
        db.session.commit()
        ids = set(db.session.execute(select(OutboxMail.message_id)).scalars())
        db.session.remove()
    sink = Sink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    queue_url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    env = {
        **os.environ,
        "CIRCLE_ENV": "development",
        "DATABASE_URL": database_url,
        "QUEUE_URL": queue_url,
        "MAIL_URL": f"smtp://127.0.0.1:{sink.server_address[1]}/?starttls=false",
        "MAIL_FROM": "Circle <no-reply@circle.test>",
    }
    # This process puts the delivery job on the workers' queue file, as the web does.
    monkeypatch.setattr(huey, "storage", make_huey(queue_url).storage)
    log = tmp_path / "worker.log"
    first = start_worker(env, log)
    try:
        jobs.deliver_outbox()
        wait_for(sink.hung.is_set, 30, f"no mail reached the server: {log.read_text()}")
        first.send_signal(signal.SIGKILL)  # accepted by the server, not yet recorded
        first.wait(10)
    finally:
        first.kill()
    assert len(sink.accepted) == 1

    def released() -> bool:
        """The killed worker's row lock is gone: its server process noticed the closed
        connection and rolled back (asynchronously: until then ``SKIP LOCKED`` passes the
        row by, and only the next sweep would send it)."""
        with committed_app.app_context():
            free = db.session.execute(select(OutboxMail.id).with_for_update(skip_locked=True)).all()
            db.session.rollback()
            db.session.remove()
        return len(free) == MAILS

    wait_for(released, 30, "the killed worker's transaction was never rolled back")
    second = start_worker(env, log)
    try:
        jobs.deliver_outbox()

        def all_sent() -> bool:
            with committed_app.app_context():
                statuses = db.session.execute(select(OutboxMail.status)).scalars().all()
                db.session.remove()
            return statuses == ["sent"] * MAILS

        wait_for(all_sent, 30, f"the second worker did not deliver: {log.read_text()}")
    finally:
        second.terminate()
        second.wait(10)
        sink.closing.set()
        sink.shutdown()
        sink.server_close()
    copies = Counter(sink.accepted)
    assert set(copies) == ids  # every mail arrived
    assert sorted(copies.values()) == [1] * (MAILS - 1) + [2]  # only the killed one twice
