"""The weekly absence warning (issue 16, scheduled jobs): the worker tells a circle's
officers who may see who is at risk which seats are at risk or one absence away, once per
week, in each officer's language, never to who turned it off, with the absences page's
link and the one-click unsubscribe link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from circle.core.weeks import today_for
from circle.extensions import db
from circle.models import Circle, User
from circle.tasks import jobs
from circle.tasks.queue import huey


@pytest.fixture
def circle_at_risk(app, make):
    """A circle (absence limit 3) whose photographer missed four of five meetings and whose
    notary missed two; an admin (German), a membership committee member (English) and a
    plain member."""
    admin = make.user(name="Anna Admin", locale="de")
    circle = make.circle(admin=admin, name="Kreis Süd")
    committee = make.user(name="Carla Komitee", locale="en")
    make.officer(make.member(circle, committee, profession="Coaching"), "membership_committee")
    plain = make.member(circle, make.user(name="Paul Plain"), profession="Bäckerei")
    photo = make.member(circle, make.user(name="Fritz Foto"), profession="Fotograf")
    notary = make.member(circle, make.user(name="Nora Notar"), profession="Notar")
    with app.app_context():
        today = today_for(db.session.get(Circle, circle.id))
    meetings = [make.meeting(circle, today - timedelta(weeks=n)) for n in range(1, 6)]
    for meeting in meetings[:4]:
        make.attendance(meeting, photo, "A")
    for meeting in meetings[:2]:
        make.attendance(meeting, notary, "A")
    return {"circle": circle, "admin": admin, "committee": committee, "plain": plain.user}


def test_the_officers_are_warned_once_a_week(app, circle_at_risk, outbox):
    c = circle_at_risk
    jobs.bind(app)
    with huey.lock_task("absence-warnings"):  # another worker's scheduler is at it
        assert jobs.run_absence_warnings() is None
    assert jobs.run_absence_warnings() == 2
    mails = {mail["To"]: mail for mail in outbox()}
    assert set(mails) == {c["admin"].email, c["committee"].email}  # not the plain member
    english = mails[c["committee"].email]
    assert english["Subject"] == "Seats at risk in Kreis Süd"
    body = english.get_body(("plain",)).get_content()
    assert "- Fritz Foto: 4 absences: the seat is at risk" in body
    assert "- Nora Notar: 2 absences: one away from the limit" in body
    assert f"/circles/{c['circle'].id}/absences" in body
    assert re.fullmatch(r"<http://circle\.test/unsubscribe/[^>]+>", english["List-Unsubscribe"])
    german = mails[c["admin"].email]
    assert (
        "Kreis Süd" in german["Subject"]
        and "Fritz Foto" in german.get_body(("plain",)).get_content()
    )
    assert german["Subject"] == "Gefährdete Sitze in Kreis Süd"
    assert jobs.run_absence_warnings() == 0 and len(outbox()) == 2  # once per week


def test_who_turned_it_off_is_not_warned(app, circle_at_risk, outbox):
    c = circle_at_risk
    with app.app_context():
        db.session.get(User, c["admin"].id).remind_risk = False
        db.session.commit()
    jobs.bind(app)
    assert jobs.run_absence_warnings() == 1
    assert [mail["To"] for mail in outbox()] == [c["committee"].email]


def test_no_seat_at_risk_no_warning(app, make, outbox):
    circle = make.circle(admin=make.user(name="Anna Admin"))
    member = make.member(circle, make.user(name="Fritz Foto"), profession="Fotograf")
    with app.app_context():
        today = today_for(db.session.get(Circle, circle.id))
    make.attendance(make.meeting(circle, today - timedelta(weeks=1)), member, "A")
    jobs.bind(app)
    assert jobs.run_absence_warnings() == 0 and outbox() == []
