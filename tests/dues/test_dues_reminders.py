"""Overdue dues are reminded by the worker's daily job (issue 16, scheduled jobs): once per
member and due day, only past the grace days, never to who chose not to get it, with the
dues page's link and the one-click unsubscribe link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from circle.extensions import db
from circle.models import User
from circle.tasks import jobs
from circle.tasks.queue import huey
from tests.dues.test_dues_pages import dues_circle, set_joined, today

__all__ = ["dues_circle"]  # the fixture, from tests/dues/test_dues_pages.py


def test_an_overdue_member_is_reminded_once_and_one_in_grace_is_not(app, dues_circle, outbox):
    c = dues_circle
    now = today(app, c["circle"])
    set_joined(app, c["max"], datetime.combine(now - timedelta(days=20), datetime.min.time(), UTC))
    jobs.bind(app)
    with huey.lock_task("dues-reminders"):  # another worker's scheduler is at it
        assert jobs.run_dues_reminders() is None
    assert jobs.run_dues_reminders() == 1  # Max is overdue; Eva joined today (grace)
    [mail] = outbox()
    assert mail["To"] == c["max_user"].email and "überfällig" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert f"/circles/{c['circle'].id}/dues" in body
    assert re.fullmatch(r"<http://circle\.test/unsubscribe/[^>]+>", mail["List-Unsubscribe"])
    assert jobs.run_dues_reminders() == 0 and len(outbox()) == 1  # once per due day


def test_who_chose_not_to_get_it_is_not_reminded(app, dues_circle, outbox):
    c = dues_circle
    now = today(app, c["circle"])
    set_joined(app, c["max"], datetime.combine(now - timedelta(days=20), datetime.min.time(), UTC))
    with app.app_context():
        db.session.get(User, c["max_user"].id).remind_dues = False
        db.session.commit()
    jobs.bind(app)
    assert jobs.run_dues_reminders() == 0 and outbox() == []
