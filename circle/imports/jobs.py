"""Import jobs, as the web sees them: an upload becomes a job the worker checks (the
preview); an admin confirms it and the worker imports it, all or nothing; until it has
ended, an admin may cancel it.

The functions only add, change and read rows; the request's transaction commits them.
Once a transaction that queued or confirmed a job commits, the worker is woken
(``circle.tasks.wakeups``); a lost wake-up only delays the job until the worker's sweep
(``circle.imports.running.sweep``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from circle.core.clock import utcnow
from circle.core.errors import Conflict, NotFound
from circle.extensions import db
from circle.imports import progress
from circle.imports.planning import Summary
from circle.models import Circle, ImportJob, User
from circle.models.imports import IMPORT_JOB_RUNNING
from circle.tasks import wakeups

log = logging.getLogger("circle.imports")

#: The app extension that asks the worker to run a job: ``wake(circle_id, job_id,
#: request_id=...)``.
WAKE = "circle.wake_import_worker"
#: How long a checked file waits for its confirmation.
KEEP = timedelta(days=1)
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def start(
    circle: Circle,
    actor: User | None,
    data: bytes,
    *,
    filename: str = "",
    slip_date: date | None = None,
) -> ImportJob:
    """Keep an upload as a job for the worker to check (nothing is imported yet)."""
    now = utcnow()
    job = ImportJob(
        circle_id=circle.id,
        id=secrets.token_hex(16),
        created_by_id=actor.id if actor else None,
        filename=(filename or "")[:255],
        slip_date=slip_date,
        file_sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        state="queued",
        error="",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    db.session.add(job)
    db.session.flush()
    wakeups.after_commit(WAKE, job.circle_id, job.id)
    return job


def job_in(circle: Circle, job_id: str) -> ImportJob:
    """One import job of this circle; another circle's (or a malformed) id is NotFound."""
    found = None
    if isinstance(job_id, str) and _JOB_ID.match(job_id):
        found = db.session.execute(
            select(ImportJob).where(ImportJob.circle_id == circle.id, ImportJob.id == job_id)
        ).scalar_one_or_none()
    if found is None:
        raise NotFound(_("Import not found."))
    return found


def open_jobs(circle: Circle, limit: int = 10) -> list[ImportJob]:
    """The circle's jobs that wait for the worker or for a confirmation, newest first."""
    return list(
        db.session.execute(
            select(ImportJob)
            .where(
                ImportJob.circle_id == circle.id,
                ImportJob.state.in_((*IMPORT_JOB_RUNNING, "checked")),
            )
            .order_by(ImportJob.created_at.desc(), ImportJob.id)
            .limit(limit)
        ).scalars()
    )


def can_confirm(job: ImportJob) -> bool:
    """Whether the job's preview may be imported: checked, no row errors, something new."""
    if job.state != "checked" or job.data is None or not job.summary:
        return False
    summary = Summary.from_record(job.summary)
    return not summary.error_count and summary.added > 0


def confirm(job: ImportJob) -> None:
    """Hand a checked job to the worker to import. Conflict when it is not (or no longer)
    waiting for its confirmation."""
    if not can_confirm(job):
        raise Conflict(_("This import is not waiting for a confirmation."))
    changed = db.session.execute(
        update(ImportJob)
        .where(
            ImportJob.circle_id == job.circle_id,
            ImportJob.id == job.id,
            ImportJob.state == "checked",
        )
        .values(state="confirmed", attempts=0, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Conflict(_("This import is not waiting for a confirmation."))
    db.session.refresh(job)
    wakeups.after_commit(WAKE, job.circle_id, job.id)


@dataclass(frozen=True)
class Cancelling:
    """What a cancel did: ``cancelled`` (at once), ``asked`` (the worker stops it at its
    next step) or ``ended`` (too late: the job had already ended)."""

    outcome: str


def cancel(job: ImportJob) -> Cancelling:
    """Cancel a job: at once when it waits; by asking the worker when it runs."""
    changed = db.session.execute(
        update(ImportJob)
        .where(
            ImportJob.circle_id == job.circle_id,
            ImportJob.id == job.id,
            ImportJob.state.in_(("queued", "checked", "confirmed")),
        )
        .values(state="cancelled", data=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(job)
    if changed:
        return Cancelling("cancelled")
    if job.state in ("checking", "importing"):
        progress.request_cancel(job.circle_id, job.id)
        return Cancelling("asked")
    return Cancelling("ended")


def status(job: ImportJob) -> dict:
    """The job's state and figures for its page's progress bar (JSON-safe)."""
    figures = progress.figures(job.circle_id, job.id) if job.state in IMPORT_JOB_RUNNING else None
    rows = (job.summary or {}).get("rows")
    return {
        "state": job.state,
        "stage": figures.stage if figures else None,
        "done": figures.done if figures else 0,
        "total": figures.total if figures else None,
        "percent": figures.percent(job.state, rows) if figures else None,
        "cancelling": job.state in ("checking", "importing")
        and progress.cancel_requested(job.circle_id, job.id),
    }


def expire() -> int:
    """Cancel the checked jobs that waited longer than ``KEEP`` for their confirmation
    (their files are dropped); how many."""
    return db.session.execute(
        update(ImportJob)
        .where(ImportJob.state == "checked", ImportJob.updated_at < utcnow() - KEEP)
        .values(state="cancelled", data=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
