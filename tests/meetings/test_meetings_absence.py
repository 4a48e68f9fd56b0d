"""The absence rule at its boundaries, and the mails at the 1st, 2nd and 3rd absence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from circle.extensions import db
from circle.meetings import absence
from circle.models import Circle
from tests.meetings.chapter import record_attendance

# 2025-07-16 is a Wednesday; the circle meets on Wednesdays.
TODAY = date(2025, 7, 16)


@pytest.fixture
def setting(make):
    """A circle, a member with a seat, and eight weekly meetings before TODAY."""
    circle = make.circle()
    member = make.member(circle, make.user(name="Fritz Foto"), profession="Fotograf")
    meetings = [make.meeting(circle, TODAY - timedelta(weeks=n)) for n in range(8)]
    return circle, member, meetings


def count(circle_id: int, member_id: int, day: date = TODAY, **changes) -> float:
    """The member's absences at ``day`` with the circle's settings changed as given."""
    circle = db.session.get(Circle, circle_id)
    for name, value in changes.items():
        setattr(circle, name, value)
    return absence.count_for(circle, member_id, day)


def at_risk(circle_id: int, value: float, **changes) -> bool:
    circle = db.session.get(Circle, circle_id)
    for name, v in changes.items():
        setattr(circle, name, v)
    return absence.is_at_risk(circle, value)


def test_three_absences_are_not_at_risk_four_are(app, make, ctx, setting):
    circle, member, meetings = setting
    for meeting in meetings[:3]:
        make.attendance(meeting, member, "A")
    assert count(circle.id, member.id) == 3
    assert not at_risk(circle.id, 3)
    make.attendance(meetings[3], member, "A")
    assert count(circle.id, member.id) == 4
    assert at_risk(circle.id, 4)


def test_the_limit_is_the_circles_setting(app, make, ctx, setting):
    circle, _member, _meetings = setting
    assert at_risk(circle.id, 2, absence_limit=1)
    assert not at_risk(circle.id, 1, absence_limit=1)
    assert at_risk(circle.id, 1, absence_limit=0)


def test_a_substitute_medical_and_present_are_no_absence(app, make, ctx, setting):
    circle, member, meetings = setting
    for meeting, code in zip(meetings, ["S", "M", "P", "S", "M", "P", "S", "M"], strict=True):
        make.attendance(meeting, member, code)
    assert count(circle.id, member.id) == 0


def test_late_counts_half_only_when_the_circle_says_so(app, make, ctx, setting):
    circle, member, meetings = setting
    for meeting in meetings[:3]:
        make.attendance(meeting, member, "A")
    make.attendance(meetings[3], member, "L")
    make.attendance(meetings[4], member, "L")
    assert count(circle.id, member.id) == 3
    assert not at_risk(circle.id, 3)
    assert count(circle.id, member.id, late_counts_half=True) == 4
    assert at_risk(circle.id, 4)
    assert at_risk(circle.id, 3.5)  # three absences and one late arrival


def test_cancelled_meetings_do_not_count(app, make, ctx, setting):
    circle, member, _meetings = setting
    holiday = make.meeting(circle, TODAY - timedelta(days=3), status="cancelled", reason="Ferien")
    make.attendance(holiday, member, "A")
    assert count(circle.id, member.id) == 0


def test_the_window_edge(app, make, ctx):
    circle = make.circle()
    member = make.member(circle, profession="Fotograf")
    edge = make.meeting(circle, date(2025, 1, 15))
    make.attendance(edge, member, "A")
    # Six months ending 14 July hold 15 January; six months ending 15 July no longer do.
    assert count(circle.id, member.id, date(2025, 7, 14)) == 1
    assert count(circle.id, member.id, date(2025, 7, 15)) == 0
    # A meeting after the day does not count yet.
    assert count(circle.id, member.id, date(2025, 1, 14)) == 0
    # The window length is the circle's setting.
    assert count(circle.id, member.id, date(2025, 7, 15), absence_window_months=7) == 1


def test_window_start_clamps_to_the_end_of_the_month():
    assert absence.window_start(date(2025, 8, 31), 6) == date(2025, 2, 28)
    assert absence.window_start(date(2025, 3, 31), 1) == date(2025, 2, 28)
    assert absence.window_start(date(2025, 1, 10), 6) == date(2024, 7, 10)


def test_standings_list_who_is_at_risk_and_who_is_close(app, make, ctx, setting):
    circle, fritz, meetings = setting
    paula = make.member(circle, make.user(name="Paula Pharma"), profession="Apotheker")
    stefan = make.member(circle, make.user(name="Stefan Steuer"), profession="Steuerberater")
    for meeting in meetings[:4]:
        make.attendance(meeting, fritz, "A")
    for meeting in meetings[:2]:
        make.attendance(meeting, paula, "A")
    make.attendance(meetings[0], stefan, "A")
    rows = absence.standings(db.session.get(Circle, circle.id), TODAY)
    assert [(s.member.name, s.count, s.at_risk, s.close) for s in rows] == [
        ("Fritz Foto", 4, True, False),
        ("Paula Pharma", 2, False, True),
        ("Stefan Steuer", 1, False, False),
    ]


# --- the mails -------------------------------------------------------------------------


def test_members_are_mailed_at_their_first_second_and_third_absence_once(
    app, make, auth, forms, outbox
):
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin)
    fritz = make.member(circle, make.user(name="Fritz Foto", locale="en"), profession="Fotograf")
    for member_id in (fritz.id, make.admin_seat(circle).id):
        make.joined(make.reload_membership(member_id), datetime(2024, 1, 1, tzinfo=UTC))
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    meetings = [make.meeting(circle, today - timedelta(weeks=n)) for n in (4, 3, 2, 1)]
    auth.login(admin)
    for meeting in meetings[:4]:
        response = record_attendance(forms, circle, meeting, {fritz.id: "A"})
        assert response.status_code == 302, response.get_data(as_text=True)
    mails = [m for m in outbox() if m["To"] == fritz.user.email]
    assert len(mails) == 3
    assert "That makes 1 absences" in mails[0].get_body(("plain",)).get_content()
    assert "That makes 3 absences" in mails[2].get_body(("plain",)).get_content()
    assert "With more than 3, your seat is at risk." in mails[2].get_body(("plain",)).get_content()
    # Saving the same attendance again, or changing it back and forth, mails nobody.
    record_attendance(forms, circle, meetings[1], {fritz.id: "A"})
    record_attendance(forms, circle, meetings[1], {fritz.id: "P"})
    record_attendance(forms, circle, meetings[1], {fritz.id: "A"})
    assert len([m for m in outbox() if m["To"] == fritz.user.email]) == 3
