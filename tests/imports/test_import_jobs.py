"""Import jobs in the worker (issue 16, item 4): the bar's figures, a worker that died,
two workers woken for one job, and a cancel while the worker imports."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from circle.core.clock import utcnow
from circle.extensions import db as _db
from circle.imports import jobs, progress, running
from circle.models import Circle, ImportJob, User
from circle.tasks import jobs as tasks
from circle.tasks.queue import huey
from tests.clients import AuthActions
from tests.factories import Factory
from tests.imports.support import (
    NAMES,
    SLIP_DATE,
    checked,
    counts,
    fixture,
    job_form,
    run_jobs,
    upload,
    world,
)
from tests.pages import text

__all__ = ["world"]  # the fixture, from tests/imports/support.py


@pytest.mark.parametrize(
    ("state", "stage", "done", "total", "rows", "percent"),
    [
        ("checking", "read", 4_000, None, None, None),  # nobody counted the rows yet
        ("checking", "check", 5_000, 10_000, None, 80),
        ("importing", "read", 5_000, None, 10_000, 15),  # the preview counted them
        ("importing", "check", 10_000, 10_000, 10_000, 50),
        ("importing", "write", 2_500, 10_000, 10_000, 62),
        ("importing", "write", 10_000, 10_000, 10_000, 100),
    ],
)
def test_the_bar_fills_stage_by_stage(state, stage, done, total, rows, percent):
    figures = progress.Figures(stage, done, total, time.time())
    assert figures.percent(state, rows) == percent


def _confirmed_job(app, client, world) -> str:
    """A job of the world's circle confirmed on its page: its id (not yet imported)."""
    page = checked(app, client, world["circle"].id)
    form = job_form(text(page), "confirm")
    assert client.post(form["action"], data=form["fields"]).status_code == 303
    return page.job_url.rsplit("/", 1)[1]


def _stall(app, job_id: str, attempts: int) -> None:
    """The job as a worker leaves it that died while importing, ten minutes ago."""
    with app.app_context():
        _db.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(
                state="importing", attempts=attempts, updated_at=utcnow() - timedelta(minutes=10)
            )
        )
        _db.session.commit()


def test_a_job_whose_worker_died_goes_back_to_the_queue_and_is_imported(app, client, auth, world):
    auth.login(world["admin"])
    job_id = _confirmed_job(app, client, world)
    _stall(app, job_id, attempts=1)
    woken = []
    with app.test_request_context():
        assert running.sweep(lambda circle_id, job: woken.append(job)) == 0
        assert _db.session.get(ImportJob, (world["circle"].id, job_id)).state == "confirmed"
    assert counts(app)[:2] == (0, 0)
    run_jobs(app)
    assert counts(app) == (4, 4, 3, 1, 1)


def test_a_job_that_stalls_on_every_run_fails_with_its_reason(app, client, auth, world):
    auth.login(world["admin"])
    job_id = _confirmed_job(app, client, world)
    _stall(app, job_id, attempts=running.MAX_ATTEMPTS)
    with app.test_request_context():
        running.sweep(lambda circle_id, job: None)
    page = text(client.get(f"/circles/{world['circle'].id}/import/jobs/{job_id}"))
    assert "The import failed 3 times for a technical reason; nothing was imported." in page
    assert counts(app) == (0, 0, 0, 0, 0)


def test_a_waiting_job_whose_wake_up_was_lost_is_woken_by_the_sweep(app, client, auth, world):
    auth.login(world["admin"])
    job_id = _confirmed_job(app, client, world)
    with app.app_context():
        _db.session.execute(
            update(ImportJob).values(updated_at=utcnow() - running.LOST - timedelta(seconds=1))
        )
        _db.session.commit()
    woken = []
    with app.test_request_context():
        assert running.sweep(lambda circle_id, job: woken.append((circle_id, job))) == 1
    assert woken == [(world["circle"].id, job_id)]


def test_the_admins_language_is_the_language_of_the_row_errors(app, client, auth, make):
    anna = make.user(name="Anna Schmidt", locale="de")
    circle = make.circle(admin=anna)
    for name in NAMES:
        make.member(circle, make.user(name=name))
    auth.login(anna)
    body = text(checked(app, client, circle.id, name="bni_slips_bad.xls"))
    assert "zwölf ist kein Betrag." in body  # written by the worker, read by Anna


# --- PostgreSQL: workers and admins at the same time -------------------------------------


def _people(app) -> tuple[Circle, User]:
    make = Factory(app)
    admin = make.user(name="Anna Schmidt", locale="en")
    circle = make.circle(admin=admin)
    for name in NAMES:
        make.member(circle, make.user(name=name, locale="en"))
    return circle, admin


@pytest.mark.postgres_only
def test_two_workers_woken_for_one_job_import_it_once(committed_app):
    circle, admin = _people(committed_app)
    with committed_app.test_request_context():
        job = jobs.start(
            circle, admin, fixture("bni_slips_metadata.xls"), slip_date=SLIP_DATE, filename="a.xls"
        )
        _db.session.commit()
        ids = (job.circle_id, job.id)
        _db.session.remove()
    assert run_jobs(committed_app) == ["checked"]
    with committed_app.test_request_context():
        jobs.confirm(_db.session.get(ImportJob, ids))
        _db.session.commit()
        _db.session.remove()
    barrier = Barrier(2)

    def worker(_n: int) -> str | None:
        with committed_app.test_request_context():
            barrier.wait(timeout=30)
            return running.run(*ids)

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(worker, range(2)))
    assert sorted(outcomes, key=str) == [None, "done"]
    assert counts(committed_app) == (4, 4, 3, 1, 1)


def _big_csv(rows: int) -> bytes:
    """Our CSV with ``rows`` referrals between two members (each a row of its own)."""
    lines = ["type,date,giver,receiver,kind,note"]
    lines += [f"referral,2025-03-05,Bernd Meyer,Clara Wolf,inside,Lead {n}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.postgres_only
def test_an_admin_cancels_while_the_worker_imports_and_nothing_is_imported(committed_app):
    circle, admin = _people(committed_app)
    client = committed_app.test_client()
    AuthActions(client).login(admin)
    with committed_app.test_request_context():
        job = jobs.start(circle, admin, _big_csv(60_000), filename="big.csv")
        _db.session.commit()
        job_url = f"/circles/{circle.id}/import/jobs/{job.id}"
        _db.session.remove()
    assert run_jobs(committed_app) == ["checked"]
    page = client.get(job_url)
    confirm, cancel = job_form(text(page), "confirm"), job_form(text(page), "cancel")
    assert client.post(confirm["action"], data=confirm["fields"]).status_code == 303

    with ThreadPoolExecutor(1) as pool:
        outcome = pool.submit(run_jobs, committed_app)
        deadline = time.monotonic() + 60
        status = {}
        while time.monotonic() < deadline and not outcome.done():
            status = client.get(job_url + "/status").json
            if status["state"] == "importing" and status["stage"]:
                break
            time.sleep(0.02)
        assert status.get("state") == "importing", status
        sent = client.post(cancel["action"], data=cancel["fields"], follow_redirects=True)
        assert "is being cancelled" in text(sent)
        assert outcome.result(timeout=120) == ["cancelled"]
    assert "This import was cancelled" in text(client.get(job_url))
    assert counts(committed_app) == (0, 0, 0, 0, 0)
    with committed_app.app_context():
        kept = _db.session.execute(select(ImportJob)).scalar_one()
        assert (kept.state, kept.data, kept.import_id) == ("cancelled", None, None)


def test_the_uploads_commit_puts_the_job_on_the_queue_for_the_worker(app, client, auth, world):
    """With ``QUEUE_DISPATCH`` the upload's commit asks the queue for ``run_import`` with
    the job; the worker's task (run here as the consumer runs it) checks the file."""
    auth.login(world["admin"])
    huey.flush()
    app.extensions[jobs.WAKE] = tasks.run_import
    tasks.bind(app)
    try:
        sent = upload(client, world["circle"].id)
        job_id = sent.headers["Location"].rsplit("/", 1)[1]
        task = huey.dequeue()
        assert task.args == (world["circle"].id, job_id)
        assert huey.execute(task) == "checked"
    finally:
        del app.extensions[jobs.WAKE]
    assert huey.pending_count() == 0


def test_the_database_refuses_a_file_on_an_ended_job(app, client, auth, world):
    auth.login(world["admin"])
    page = checked(app, client, world["circle"].id)
    job_id = page.job_url.rsplit("/", 1)[1]
    with app.app_context(), pytest.raises(IntegrityError):
        _db.session.execute(
            update(ImportJob).where(ImportJob.id == job_id).values(state="cancelled")
        )
        _db.session.flush()
    with app.app_context():
        _db.session.rollback()
        assert _db.session.get(ImportJob, (world["circle"].id, job_id)).state == "checked"
