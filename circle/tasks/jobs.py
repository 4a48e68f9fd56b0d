"""The jobs the worker runs. Each runs in an app context of the worker's own app
(``bind``), in its own transactions, and is safe to run twice or on two workers at once.

- ``deliver_outbox``: the web asks for it after every commit that added mails.
- ``sweep_outbox``: every minute, the same delivery, for mails whose wake-up was lost
  (the queue was down, a worker died) and for retries whose back-off has passed.
- ``run_import``: the web asks for it once an upload or an admin's confirmation of an
  import committed; a run that raised is tried again after ``IMPORT_RETRY_DELAY``;
  ``sweep_imports`` (every minute) runs jobs whose wake-up was lost.
- ``weekly_absence_warnings`` (Mondays 07:00 UTC): the seats at risk, to the officers.
- ``daily_dues_reminders`` (09:00 UTC): members whose dues are overdue, once per due day.
- ``daily_reminders`` (15:00 UTC) and ``nightly_purges`` (03:15 UTC): what cron ran
  before (``flask circle send-reminders``, ``purge-prospects``, ``purge-sessions``; the
  commands stay for a run by hand). Each is idempotent in the database (a member's
  reminder of a week is a unique row; a purge erases what is due), so two schedulers
  running one at once send nothing twice; the queue lock each holds only saves the
  double work. A worker killed while holding one leaves it behind: the worker clears its
  locks when it starts (``flask circle worker``).

Deliveries on several workers at once are safe by the outbox's own claims (row locks,
see ``circle.mail.outbox``): no queue lock, which a killed worker would leave behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import Flask
from huey import crontab
from huey.exceptions import TaskLockedException
from huey.signals import SIGNAL_ERROR

from circle.auth.sessions import purge as purge_sessions
from circle.db import unit_of_work
from circle.dues.reminders import remind_all_overdue
from circle.extensions import db
from circle.imports import jobs as import_jobs
from circle.imports import running as import_runs
from circle.mail.outbox import deliver_due
from circle.mail.send import deliver
from circle.meetings.absence_warnings import warn_all
from circle.ops.logs import REQUEST_ID
from circle.ops.metrics import DELIVERIES, JOB_FAILURES
from circle.privacy.retention import purge_prospects
from circle.reminders.services import send_reminders
from circle.tasks.queue import huey

log = logging.getLogger("circle.tasks")
T = TypeVar("T")

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


@huey.task()
def deliver_outbox(request_id: str | None = None) -> None:
    """Deliver the outbox's due mails (asked for after a commit added mails; its log lines
    carry the id of the request that asked)."""
    marker = REQUEST_ID.set(request_id)
    try:
        with _app().app_context():
            run = deliver_due(deliver)
        for outcome, count in (("sent", run.sent), ("retry", run.retried), ("failed", run.failed)):
            if count:
                DELIVERIES.labels(outcome).inc(count)
        if run.attempts:
            log.info("outbox: %s sent, %s to retry, %s failed", run.sent, run.retried, run.failed)
    finally:
        REQUEST_ID.reset(marker)


#: A run of an import job that raised (a lost connection, a deadlock) is put back on the
#: queue this many seconds later, for the job's remaining runs, not left to the sweep.
IMPORT_RETRY_DELAY = 5


@huey.task(retries=import_runs.MAX_ATTEMPTS - 1, retry_delay=IMPORT_RETRY_DELAY)
def run_import(circle_id: int, job_id: str, request_id: str | None = None) -> str | None:
    """Check or import one import job (asked for once an upload or a confirmation was
    committed); the job's state afterwards. Its log lines carry the asking request's id."""
    marker = REQUEST_ID.set(request_id)
    app = _app()
    try:
        with app.test_request_context(base_url=app.config["BASE_URL"]):
            state = import_runs.run(circle_id, job_id)
        if state is not None:
            log.info("import job %s of circle %s: %s", job_id, circle_id, state)
        return state
    finally:
        REQUEST_ID.reset(marker)


def _wake_import(circle_id: int, job_id: str) -> None:
    run_import(circle_id, job_id)


@huey.periodic_task(crontab(minute="*"))
def sweep_imports() -> None:
    """Every minute: run the import jobs whose wake-up was lost, and give those whose
    worker died back to the queue."""
    app = _app()
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        woken = import_runs.sweep(_wake_import)
    if woken:
        log.info("imports: %s waiting jobs woken", woken)


@huey.signal(SIGNAL_ERROR)
def _count_failure(signal, task, exc=None) -> None:
    """A job that raised: counted for ``circle_job_failures_total``."""
    JOB_FAILURES.labels(task.name).inc()


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    """Every minute: deliver what is due (lost wake-ups, retries after their back-off)."""
    deliver_outbox.call_local()


#: Sessions and remember-me tokens are deleted this many days after they ended.
SESSION_DAYS = 30


def _one_at_a_time(lock: str, work: Callable[[], T]) -> T | None:
    """``work()`` in a request context of the worker's app (its links on ``BASE_URL``),
    under the queue lock ``lock``; None, doing nothing, when another scheduler holds it."""
    app = _app()
    try:
        with huey.lock_task(lock), app.test_request_context(base_url=app.config["BASE_URL"]):
            return work()
    except TaskLockedException:
        return None


def run_reminders() -> int | None:
    """The reminders of every circle meeting tomorrow, under the queue lock ``reminders``
    (None: another scheduler is running them); how many were sent."""
    summary = _one_at_a_time("reminders", send_reminders)
    if summary is None:
        return None
    log.info(
        "reminders: %s sent, %s already sent, %s failed",
        summary.sent,
        summary.already,
        summary.failed,
    )
    return summary.sent


def run_purges() -> tuple[int, int, int, int] | None:
    """Erase prospect details past retention, delete long-ended sessions, and cancel the
    checked imports that waited more than a day for their confirmation, under the queue
    lock ``purges`` (None: another scheduler is running them); what was erased:
    (referrals, sessions, remember-me tokens, imports)."""
    erased = _one_at_a_time("purges", _purge)
    if erased is None:
        return None
    prospects, sessions, tokens, uploads = erased
    log.info(
        "purges: %s prospects erased, %s sessions and %s tokens deleted, %s imports expired",
        prospects,
        sessions,
        tokens,
        uploads,
    )
    return erased


def _purge() -> tuple[int, int, int, int]:
    """The nightly purges, each in its own commit: (referrals, sessions, tokens, uploads)."""
    with unit_of_work(db.session):
        prospects = purge_prospects()
    with unit_of_work(db.session):
        sessions, tokens = purge_sessions(SESSION_DAYS)
    with unit_of_work(db.session):
        uploads = import_jobs.expire()
    return prospects.erased, sessions, tokens, uploads


def run_dues_reminders() -> int | None:
    """Remind the members whose dues are overdue, under the queue lock ``dues-reminders``
    (None: another scheduler is running them); how many were reminded."""
    reminded = _one_at_a_time("dues-reminders", remind_all_overdue)
    if reminded is not None:
        log.info("dues reminders: %s sent", reminded)
    return reminded


def run_absence_warnings() -> int | None:
    """Warn every circle's officers of this week's seats at risk, under the queue lock
    ``absence-warnings`` (None: another scheduler is running them); how many were mailed."""
    warned = _one_at_a_time("absence-warnings", warn_all)
    if warned is not None:
        log.info("absence warnings: %s sent", warned)
    return warned


@huey.periodic_task(crontab(day_of_week="1", hour="7", minute="0"))
def weekly_absence_warnings() -> None:
    """Every Monday at 07:00 UTC: the seats at risk under the absence rule, to each
    circle's officers who may see them (once per week)."""
    run_absence_warnings()


@huey.periodic_task(crontab(hour="9", minute="0"))
def daily_dues_reminders() -> None:
    """Every day at 09:00 UTC: remind the members whose dues are overdue (once per due
    day)."""
    run_dues_reminders()


@huey.periodic_task(crontab(hour="15", minute="0"))
def daily_reminders() -> None:
    """Every day at 15:00 UTC: remind the members of the circles that meet tomorrow."""
    run_reminders()


@huey.periodic_task(crontab(hour="3", minute="15"))
def nightly_purges() -> None:
    """Every night at 03:15 UTC: prospect details past retention, ended sessions."""
    run_purges()
