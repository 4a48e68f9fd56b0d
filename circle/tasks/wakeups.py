"""Waking the worker once a transaction commits: a service that made work for the worker
(a mail in the outbox, an import job) asks for the job with ``after_commit``; the job is
put on the queue only when that transaction commits, and never when it rolls back.

The job is the app extension a name stands for (``circle.register_tasks`` sets them when
a queue is configured, ``QUEUE_DISPATCH``; without one nothing is put on the queue and a
test or a command does the work). It is called with the asked-for arguments and the id of
the request that asked. A lost wake-up only delays the work: the worker's sweeps find it.
"""

from __future__ import annotations

import logging

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from circle.extensions import db
from circle.ops.logs import current_request_id

log = logging.getLogger("circle.tasks")

#: ``Session.info`` key: the jobs asked for in the open transaction, in order, each once.
_ASKED = "circle_wakeups"


def after_commit(job: str, *args) -> None:
    """Ask for the job registered as app extension ``job`` with ``args`` once the open
    transaction commits (the same ask twice is made once)."""
    db.session.info.setdefault(_ASKED, {})[(job, args)] = None


@event.listens_for(Session, "after_commit")
def _wake(session: Session) -> None:
    """Put the asked-for jobs on the queue (no SQL here: the jobs read their rows)."""
    asked = session.info.pop(_ASKED, None)
    if not asked or not has_app_context():
        return
    for job, args in asked:
        wake = current_app.extensions.get(job)
        if wake is None:
            continue
        try:
            wake(*args, request_id=current_request_id())
        except Exception:  # the queue is down: the worker's sweep does the work later
            log.exception("could not wake the worker for %s", job)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    """A rolled-back transaction asked for nothing."""
    session.info.pop(_ASKED, None)
