"""``flask circle send-reminders``: the day before the meeting every active member gets what
they logged this week, once per week; cancelled meetings and other days send nothing."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import func, select

from circle.core.clock import utcnow
from circle.extensions import db
from circle.meetings.schedule import ensure_meetings, meeting_on
from circle.models import (
    Circle,
    ClosedBusiness,
    EducationCredit,
    Membership,
    OneToOne,
    Referral,
    ReminderSent,
)

TUESDAY = "2025-03-04"  # the factories' circles meet on Wednesdays
WEEK_START = date(2025, 2, 26)


@pytest.fixture
def world(make):
    """A Wednesday circle: Anna (admin), Bernd (English) and Clara; a Friday circle beside."""
    anna = make.user(name="Anna Admin", email="anna@example.org")
    circle = make.circle(admin=anna, name="Kreis Köln")
    bernd = make.member(
        circle, make.user(name="Bernd Bau", email="bernd@example.org", locale="en"), "Bau"
    )
    clara = make.member(circle, make.user(name="Clara Coach", email="clara@example.org"), "Coach")
    make.member(circle, make.user(name="Lotte Left"), "Alt", status="left")
    friday = make.circle(name="Kreis Freitag", meeting_weekday=4, meeting_time=time(7, 0))
    return {"circle": circle, "bernd": bernd, "clara": clara, "friday": friday}


def run(app, today: str = TUESDAY):
    """Invoke the command and return its output."""
    result = app.test_cli_runner().invoke(args=["circle", "send-reminders", "--today", today])
    assert result.exit_code == 0, result.output
    return result.output


def log_week(app, world) -> None:
    """Bernd's week: 2 referrals, 1 closed business, 1 one-to-one, 1 CEU (+ what must not count)."""
    bernd, clara = world["bernd"], world["clara"]
    cid = world["circle"].id
    with app.app_context():
        for day in (date(2025, 2, 26), date(2025, 3, 4)):
            db.session.add(
                Referral(circle_id=cid, giver_id=bernd.id, receiver_id=clara.id, given_on=day)
            )
        db.session.add(  # the week before: does not count
            Referral(
                circle_id=cid, giver_id=bernd.id, receiver_id=clara.id, given_on=date(2025, 2, 25)
            )
        )
        db.session.add(  # voided: does not count
            Referral(
                circle_id=cid,
                giver_id=bernd.id,
                receiver_id=clara.id,
                given_on=date(2025, 3, 3),
                voided_at=utcnow(),
                void_reason="doppelt",
            )
        )
        db.session.add(
            ClosedBusiness(
                circle_id=cid,
                thanked_id=clara.id,
                reporter_id=bernd.id,
                amount_minor=50000,
                currency="EUR",
                closed_on=date(2025, 3, 1),
            )
        )
        a, b = sorted((bernd.id, clara.id))
        db.session.add(
            OneToOne(circle_id=cid, member_a_id=a, member_b_id=b, met_on=date(2025, 3, 2))
        )
        db.session.add(
            EducationCredit(
                circle_id=cid,
                membership_id=bernd.id,
                topic="Buch",
                minutes=90,
                completed_on=date(2025, 2, 27),
            )
        )
        db.session.commit()


def test_members_get_their_week_the_day_before_the_meeting_once(app, world, outbox):
    log_week(app, world)
    output = run(app)
    assert "Kreis Köln: meeting on 2025-03-05; 3 reminders sent, 0 already sent" in output
    assert "Kreis Freitag: no meeting tomorrow" in output
    mails = {m["To"]: m for m in outbox()}
    assert set(mails) == {"anna@example.org", "bernd@example.org", "clara@example.org"}
    body = mails["bernd@example.org"].get_body(("plain",)).get_content()
    assert mails["bernd@example.org"]["Subject"] == "Tomorrow's meeting of Kreis Köln: your week"
    assert "from 2025-02-26 to 2025-03-04" in body
    assert "Referrals given: 2" in body
    assert "Closed business reported: 1" in body
    assert "One-to-ones: 1" in body
    assert "Education credits: 1" in body
    assert f"/circles/{world['circle'].id}/week/2025-02-26" in body
    clara_body = mails["clara@example.org"].get_body(("plain",)).get_content()  # Clara reads German
    assert "Gegebene Empfehlungen: 0" in clara_body and "One-to-Ones: 1" in clara_body
    assert "vom 2025-02-26 bis 2025-03-04" in clara_body

    # A second run the same day (or the next cron run) sends nothing.
    again = run(app)
    assert "0 reminders sent, 3 already sent" in again
    assert "Reminders sent: 0; already sent before: 3" in again
    assert len(outbox()) == 3
    with app.app_context():
        rows = db.session.execute(select(ReminderSent.week_start)).scalars().all()
        assert rows == [WEEK_START] * 3


def test_a_cancelled_meeting_sends_no_reminder(app, world, outbox):
    with app.test_request_context():
        circle = db.session.get(Circle, world["circle"].id)
        ensure_meetings(circle, date(2025, 3, 4))
        meeting = meeting_on(circle, date(2025, 3, 5))
        meeting.status, meeting.cancelled_at = "cancelled", utcnow()
        meeting.cancel_reason = "Karneval"
        db.session.commit()
    output = run(app)
    assert "Kreis Köln: meeting cancelled" in output
    assert outbox() == []


def test_other_days_send_nothing(app, world, outbox):
    output = run(app, "2025-03-05")  # the meeting day itself
    assert "Kreis Köln: no meeting tomorrow" in output
    assert outbox() == []
    # The Friday circle meets on 2025-03-07.
    friday = run(app, "2025-03-06")
    assert "Kreis Freitag: meeting on 2025-03-07; 1 reminders sent" in friday
    assert [m["To"] for m in outbox()] != []
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(ReminderSent)).scalar_one()
        member = db.session.execute(
            select(Membership).where(Membership.circle_id == world["friday"].id)
        ).scalar_one()
        assert count == 1
        assert db.session.execute(select(ReminderSent.membership_id)).scalar_one() == member.id


def test_a_failed_mail_is_retried_on_the_next_run(app, world, outbox, monkeypatch):
    from circle.reminders import services

    calls = []

    def flaky(to, subject, body, **options):
        calls.append(to)
        if to == "bernd@example.org" and calls.count(to) == 1:
            raise OSError("SMTP down")
        return real(to, subject, body, **options)

    real = services.send_mail
    monkeypatch.setattr(services, "send_mail", flaky)
    result = app.test_cli_runner().invoke(args=["circle", "send-reminders", "--today", TUESDAY])
    assert result.exit_code != 0  # cron sees the failure ...
    assert "2 reminders sent, 0 already sent, 1 failed" in result.output  # ... the rest went out
    sent_first = {m["To"] for m in outbox()}
    assert "bernd@example.org" not in sent_first
    run(app)
    assert [m["To"] for m in outbox()].count("bernd@example.org") == 1
    assert len(outbox()) == 3


# --- each member chooses; every reminder carries its one-click unsubscribe link ---------


def _unsubscribe_path(mail) -> str:
    """The local path of the mail's one-click link, checked to be on BASE_URL."""
    found = re.fullmatch(r"<http://circle\.test(/unsubscribe/[^>]+)>", mail["List-Unsubscribe"])
    assert found, mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return found.group(1)


def test_one_click_in_the_mail_client_stops_the_weekly_reminder(app, world, outbox):
    run(app)
    bernd = next(m for m in outbox() if m["To"] == "bernd@example.org")
    path = _unsubscribe_path(bernd)
    anonymous = app.test_client()  # a mail client: no session, no CSRF token
    question = anonymous.get(path)
    assert question.status_code == 200 and "Stop getting" in question.get_data(as_text=True)
    with app.app_context():  # asking changed nothing
        assert db.session.get(Membership, world["bernd"].id).user.remind_weekly is True
    done = anonymous.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and 'id="unsubscribed"' in done.get_data(as_text=True)
    assert anonymous.post(path).status_code == 200  # again: still off, no error
    with app.app_context():
        assert db.session.get(Membership, world["bernd"].id).user.remind_weekly is False
    output = run(app, "2025-03-11")  # the next week
    assert "2 reminders sent" in output
    assert [m["To"] for m in outbox()].count("bernd@example.org") == 1


def test_a_forged_or_changed_link_finds_nothing(app, world, outbox):
    run(app)
    path = _unsubscribe_path(outbox()[0])
    anonymous = app.test_client()
    assert anonymous.post(path[:-3] + "xyz").status_code == 404
    assert anonymous.get("/unsubscribe/not-a-token").status_code == 404


def test_the_reminders_page_turns_a_reminder_off_and_on(app, world, client, auth, forms):
    with app.app_context():
        bernd = db.session.get(Membership, world["bernd"].id).user
        db.session.expunge(bernd)
    auth.login(bernd)
    page = client.get("/account/reminders")
    assert page.status_code == 200
    saved = forms.submit("/account/reminders", {"weekly": "y"})  # absence left unchecked
    assert saved.status_code == 302
    with app.app_context():
        user = db.session.get(Membership, world["bernd"].id).user
        assert (user.remind_weekly, user.remind_absence) == (True, False)
