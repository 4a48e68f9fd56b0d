"""The jobs the worker runs. Each runs in an app context of the worker's own app
(``bind``), in its own transactions, and is safe to run twice or on two workers at once.

- ``deliver_outbox``: the web asks for it after every commit that added mails.
- ``sweep_outbox``: every minute, the same delivery, for mails whose wake-up was lost
  (the queue was down, a worker died) and for retries whose back-off has passed.

Both hold the queue lock ``outbox`` while they deliver, so one worker delivers at a time
(besides the row locks of ``circle.mail.outbox``); a run that finds the lock taken does
nothing: the run holding it reads the outbox until no mail is due.
"""

from __future__ import annotations

import logging

from flask import Flask
from huey import crontab
from huey.exceptions import TaskLockedException

from circle.mail.outbox import Run, deliver_due
from circle.mail.send import deliver
from circle.tasks.queue import huey

log = logging.getLogger("circle.tasks")

#: The app the jobs run in: set once per worker process by ``bind``.
_APP: dict[str, Flask] = {}


def bind(app: Flask) -> None:
    """Run the jobs of this process in ``app`` (the worker's entry point calls it)."""
    _APP["app"] = app


def _app() -> Flask:
    """The worker's app; a job run outside a bound worker is a programming error."""
    try:
        return _APP["app"]
    except KeyError:
        raise RuntimeError("circle.tasks.jobs.bind(app) was not called in this process") from None


def deliver_now() -> Run:
    """Deliver every due mail of the outbox under the queue's lock (nothing when another
    run holds it); within an app context."""
    try:
        with huey.lock_task("outbox"):
            return deliver_due(deliver)
    except TaskLockedException:
        return Run()


@huey.task()
def deliver_outbox() -> None:
    """Deliver the outbox's due mails (asked for after a commit added mails)."""
    with _app().app_context():
        run = deliver_now()
    if run.attempts:
        log.info("outbox: %s sent, %s to retry, %s failed", run.sent, run.retried, run.failed)


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    """Every minute: deliver what is due (lost wake-ups, retries after their back-off)."""
    deliver_outbox.call_local()
