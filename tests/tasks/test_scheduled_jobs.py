"""The jobs the worker's scheduler runs instead of cron (issue 16): the reminders of the
circles that meet tomorrow and the nightly purges, each idempotent and never run twice at
once (a second scheduler finds the queue lock taken and does nothing)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from circle.core.weeks import today_for
from circle.extensions import db
from circle.models import Circle, OutboxMail
from circle.tasks import jobs
from circle.tasks.queue import huey


def circle_meeting_tomorrow(app, make):
    """A circle that meets tomorrow (in its own zone), with its admin and two members."""
    circle = make.circle(name="Kreis Morgen")
    with app.app_context():
        tomorrow = today_for(db.session.get(Circle, circle.id)) + timedelta(days=1)
        db.session.get(Circle, circle.id).meeting_weekday = tomorrow.weekday()
        db.session.commit()
        db.session.remove()
    for name in ("Bernd Bau", "Clara Coach"):
        make.member(circle, make.user(name=name), name.split()[1])
    return circle


def mails(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(OutboxMail.id))).scalar_one()


def test_the_daily_reminders_go_once_and_not_while_another_scheduler_runs_them(app, make):
    circle_meeting_tomorrow(app, make)
    jobs.bind(app)
    with huey.lock_task("reminders"):  # another worker's scheduler is running them
        assert jobs.run_reminders() is None
    assert mails(app) == 0
    sent = jobs.run_reminders()
    assert sent == mails(app) >= 2  # every active member of the circle
    assert jobs.run_reminders() == 0 and mails(app) == sent  # once a week, not twice


def test_the_nightly_purges_do_not_run_twice_at_once(app):
    jobs.bind(app)
    with huey.lock_task("purges"):
        assert jobs.run_purges() is None
    assert jobs.run_purges() == (0, 0, 0, 0)  # nothing is due in an empty database
