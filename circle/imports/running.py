"""Import jobs, as the worker runs them: check a queued job (the preview), import a
confirmed one in one transaction, all or nothing.

A run first claims its job in a short transaction of its own (``queued`` → ``checking``,
``confirmed`` → ``importing``; a conditional update, so two workers woken for one job run
it once). The import then runs in one transaction which ends by marking the job done
(again conditional on its state): the slips and the job's state commit together, so an
import is never half written and never written twice. A run is stopped by an admin's
cancel at its next step (``circle.imports.progress``) and rolls back.

A job whose run raised is tried again by the sweep, up to ``MAX_ATTEMPTS`` runs; then it
fails with its reason, which its page shows. A job whose worker died (no figures for
``STALLED``) goes back to the queue the same way. The messages a run writes (row errors,
reasons) are in the language of the admin who uploaded the file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from circle.core.clock import utcnow
from circle.core.errors import DomainError
from circle.db import unit_of_work
from circle.extensions import db
from circle.imports import progress, services
from circle.imports.progress import Cancelled, Reporter
from circle.models import Circle, ImportJob, User

log = logging.getLogger("circle.imports")

#: Runs of one job before it fails for good.
MAX_ATTEMPTS = 3
#: A running job that reported nothing for this long lost its worker.
STALLED = timedelta(minutes=5)
#: A waiting job this old lost its wake-up: the sweep runs it.
LOST = timedelta(seconds=30)
#: What a run's claim turns each waiting state into, and back on a retry.
_CLAIMS = {"queued": "checking", "confirmed": "importing"}
_RETRY = {after: before for before, after in _CLAIMS.items()}


def run(circle_id: int, job_id: str) -> str | None:
    """Do what a job waits for (check or import it); its state afterwards, or None when
    there was nothing to do (another worker runs it, it ended, or it was cancelled)."""
    state = _claim(circle_id, job_id)
    if state is None:
        return None
    try:
        job = _job(circle_id, job_id)
        with _language_of(job):
            if state == "checking":
                return _check(job)
            return _import(job)
    finally:
        db.session.remove()
        progress.forget(circle_id, job_id)


def _claim(circle_id: int, job_id: str) -> str | None:
    """Take a waiting job for this run in a transaction of its own: its new state."""
    with unit_of_work(db.session):
        for before, after in _CLAIMS.items():
            changed = db.session.execute(
                _where(circle_id, job_id, before).values(
                    state=after, attempts=ImportJob.attempts + 1, updated_at=utcnow()
                )
            ).rowcount
            if changed:
                return after
    return None


def _where(circle_id: int, job_id: str, state: str):
    """``UPDATE import_jobs`` of this job, only while it is in ``state``."""
    return (
        update(ImportJob)
        .where(ImportJob.circle_id == circle_id, ImportJob.id == job_id, ImportJob.state == state)
        .execution_options(synchronize_session=False)
    )


def _job(circle_id: int, job_id: str) -> ImportJob:
    return db.session.execute(
        select(ImportJob).where(ImportJob.circle_id == circle_id, ImportJob.id == job_id)
    ).scalar_one()


def _language_of(job: ImportJob):
    """The uploader's language for the messages of the run."""
    user = db.session.get(User, job.created_by_id) if job.created_by_id else None
    return force_locale(user.locale) if user else nullcontext()


def _check(job: ImportJob) -> str:
    """Read and check the file: the preview, kept on the job (``checked``); a file that
    cannot be read at all fails the job with the reason."""
    circle_id, job_id = job.circle_id, job.id
    circle = db.session.get(Circle, circle_id)
    data = bytes(job.data or b"")
    # End the read transaction before the file is read: the parse, the longest part,
    # holds no database lock (SQLite has one writer; its pages need not wait for it).
    db.session.expunge(circle)
    db.session.expunge(job)
    db.session.rollback()
    outcome = _attempt(
        job,
        lambda: services.preview(
            circle, data, slip_date=job.slip_date, progress=Reporter(circle_id, job_id)
        ),
    )
    if isinstance(outcome, str):
        return outcome
    summary = outcome.as_record()
    keep = not summary["error_count"] and outcome.added > 0
    with unit_of_work(db.session):
        changed = db.session.execute(
            _where(circle_id, job_id, "checking").values(
                state="checked",
                summary=summary,
                data=data if keep else None,
                updated_at=utcnow(),
            )
        ).rowcount
    return "checked" if changed else "cancelled"


def _import(job: ImportJob) -> str:
    """Import the file in one transaction that also marks the job done; on row errors
    (new since the preview) or a cancel, nothing is written."""
    circle_id, job_id = job.circle_id, job.id
    circle = db.session.get(Circle, circle_id)
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    data = bytes(job.data or b"")

    def write() -> str:
        with unit_of_work(db.session):
            summary = services.commit(
                circle,
                actor,
                data,
                filename=job.filename,
                slip_date=job.slip_date,
                progress=Reporter(circle_id, job_id),
            )
            if progress.cancel_requested(circle_id, job_id):
                raise Cancelled()
            changed = db.session.execute(
                _where(circle_id, job_id, "importing").values(
                    state="done",
                    import_id=summary.import_id,
                    summary=summary.as_record(),
                    data=None,
                    updated_at=utcnow(),
                )
            ).rowcount
            if not changed:  # the sweep took it back, or an admin cancelled it
                raise Cancelled()
        return "done"

    return _attempt(job, write)


def _attempt(job: ImportJob, work: Callable):
    """``work()``, or the job's end when it raised: cancelled, failed (a rule refused the
    file, with its message and row errors), or back to the queue (anything else, up to
    ``MAX_ATTEMPTS`` runs; then failed)."""
    circle_id, job_id, running = job.circle_id, job.id, job.state
    attempts = job.attempts
    try:
        return work()
    except Cancelled:
        db.session.rollback()
        return _end(circle_id, job_id, running, state="cancelled")
    except services.ImportRejected as rejected:
        db.session.rollback()
        return _end(
            circle_id,
            job_id,
            running,
            state="failed",
            error=rejected.message,
            summary=rejected.summary.as_record(),
        )
    except DomainError as refused:
        db.session.rollback()
        return _end(circle_id, job_id, running, state="failed", error=refused.message)
    except Exception:
        db.session.rollback()
        log.exception("import job %s of circle %s failed (run %s)", job_id, circle_id, attempts)
        if attempts < MAX_ATTEMPTS:
            _end(circle_id, job_id, running, state=_RETRY[running], keep=True)
        else:
            _end(circle_id, job_id, running, state="failed", error=gave_up())
        raise


def gave_up() -> str:
    """The reason of a job that failed on every run."""
    return _(
        "The import failed %(n)s times for a technical reason; nothing was imported."
        " Please upload the file again later.",
        n=MAX_ATTEMPTS,
    )


def _end(
    circle_id: int,
    job_id: str,
    running: str,
    *,
    state: str,
    error: str = "",
    summary: dict | None = None,
    keep: bool = False,
) -> str:
    """Move a running job to ``state`` (its file dropped unless ``keep``); the state."""
    values: dict = {"state": state, "error": error, "updated_at": utcnow()}
    if not keep:
        values["data"] = None
    if summary is not None:
        values["summary"] = summary
    with unit_of_work(db.session):
        db.session.execute(_where(circle_id, job_id, running).values(**values))
    return state


def sweep(wake: Callable[[int, str], object]) -> int:
    """Run the jobs whose wake-up was lost (``wake`` each), and give the jobs whose worker
    died back to the queue (or fail them after ``MAX_ATTEMPTS`` runs); how many were
    woken."""
    now = utcnow()
    with unit_of_work(db.session):
        waiting = db.session.execute(
            select(ImportJob.circle_id, ImportJob.id).where(
                ImportJob.state.in_(tuple(_CLAIMS)), ImportJob.updated_at < now - LOST
            )
        ).all()
        running = db.session.execute(
            select(ImportJob.circle_id, ImportJob.id, ImportJob.state, ImportJob.attempts).where(
                ImportJob.state.in_(tuple(_RETRY)), ImportJob.updated_at < now - STALLED
            )
        ).all()
        for circle_id, job_id, state, attempts in running:
            figures = progress.figures(circle_id, job_id)
            if figures is not None and figures.at > now.timestamp() - STALLED.total_seconds():
                continue
            values: dict = {"state": _RETRY[state], "updated_at": now}
            if attempts >= MAX_ATTEMPTS:
                values = {"state": "failed", "error": gave_up(), "data": None, "updated_at": now}
            db.session.execute(_where(circle_id, job_id, state).values(**values))
            log.warning("import job %s of circle %s stalled in %s", job_id, circle_id, state)
    for circle_id, job_id in waiting:
        wake(circle_id, job_id)
    return len(waiting)
