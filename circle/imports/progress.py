"""How far the worker has come with an import job, and an admin's wish to cancel it.

Both live in the task queue's key-value store (Redis in a fleet, the queue's SQLite file
on one machine), not in the database: the worker imports in one long transaction, which
no other connection could see into (and on SQLite would lock out), so the figures must
travel outside it. They are ephemeral by nature: a lost figure only makes the bar wait
for the next one; the job's state, which matters, is in the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from circle.tasks.queue import huey

#: Write the figures at most this often (seconds); a stage's first and last always go.
EVERY = 0.2
#: Parts of the whole bar each stage fills, per state of the job: (stage, from, to).
_PHASES = {
    "checking": (("read", 0, 60), ("check", 60, 100)),
    "importing": (("read", 0, 30), ("check", 30, 50), ("write", 50, 100)),
}


def _key(kind: str, circle_id: int, job_id: str) -> str:
    return f"import-{kind}:{circle_id}:{job_id}"


@dataclass(frozen=True)
class Figures:
    """Where a running job stands: its stage (read, check, write), rows done, the stage's
    total when known, and when the worker last reported."""

    stage: str
    done: int
    total: int | None
    at: float

    def percent(self, state: str, rows: int | None = None) -> int | None:
        """The share of the whole job done, 0 to 100; None while it cannot be known (reading
        a file whose number of rows nobody counted yet). ``rows``: the file's rows when a
        preview counted them."""
        for stage, start, end in _PHASES.get(state, ()):
            if stage == self.stage:
                total = self.total if self.total is not None else rows
                if not total:
                    return None
                share = min(self.done, total) / total
                return int(start + (end - start) * share)
        return None


class Reporter:
    """The progress callback of one job run: writes the figures (throttled) and raises
    ``Cancelled`` once an admin asked to cancel."""

    def __init__(self, circle_id: int, job_id: str) -> None:
        self.circle_id = circle_id
        self.job_id = job_id
        self._last = 0.0
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        """Report a step (the importer's ``Progress`` signature)."""
        if cancel_requested(self.circle_id, self.job_id):
            raise Cancelled()
        now = time.time()
        if stage != self._stage or now - self._last >= EVERY or done == total:
            self._stage, self._last = stage, now
            huey.put(
                _key("progress", self.circle_id, self.job_id),
                {"stage": stage, "done": done, "total": total, "at": now},
            )


class Cancelled(Exception):
    """An admin cancelled the job while it ran: the worker rolls back and stops."""


def figures(circle_id: int, job_id: str) -> Figures | None:
    """The last figures the worker reported for a job, if any."""
    value = huey.get(_key("progress", circle_id, job_id), peek=True)
    if not isinstance(value, dict):
        return None
    return Figures(value["stage"], int(value["done"]), value["total"], float(value["at"]))


def request_cancel(circle_id: int, job_id: str) -> None:
    """Ask the worker to stop a running job at its next step."""
    huey.put(_key("cancel", circle_id, job_id), True)


def cancel_requested(circle_id: int, job_id: str) -> bool:
    """Whether an admin asked to cancel the job."""
    return bool(huey.get(_key("cancel", circle_id, job_id), peek=True))


def forget(circle_id: int, job_id: str) -> None:
    """Drop a job's figures and any wish to cancel it once its run has ended."""
    huey.get(_key("progress", circle_id, job_id))
    huey.get(_key("cancel", circle_id, job_id))
