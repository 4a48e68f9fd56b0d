"""Meeting pages: the list, cancelling, attendance, my attendance, who is at risk,
the calendar feed, and the meeting settings of a circle."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from circle.extensions import db
from circle.meetings.ical import escape_text, fold
from circle.models import (
    Attendance,
    AuditEntry,
    Circle,
    Meeting,
    Membership,
    Visitor,
    VisitorVisit,
)
from tests.meetings.chapter import (
    Chapter,
    rows,
    this_week_start,
    url,
)
from tests.pages import csrf_token

# --- the meetings page and cancelling --------------------------------------------------


def test_members_see_upcoming_and_past_meetings_generated_ahead(app, client, auth, chapter):
    auth.login(chapter.fritz.user)
    page = client.get(url(chapter, "/meetings"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Upcoming" in html and "Past" in html
    meetings = rows(app, Meeting, circle_id=chapter.circle.id)
    assert len(meetings) >= 12
    # A plain member gets no attendance link and no cancel form.
    assert '/attendance"' not in html.replace(url(chapter, '/attendance"'), "")
    meeting_page = client.get(url(chapter, f"/meetings/{chapter.meeting.id}")).get_data(
        as_text=True
    )
    assert "Cancel this meeting" not in meeting_page
    assert "Record attendance" not in meeting_page


def test_meetings_are_planned_ahead_at_login_and_reading_writes_none(app, client, auth, chapter):
    """Issue 13: a GET never writes, so the coming meetings are planned on a write request."""
    before = rows(app, Meeting, circle_id=chapter.circle.id)
    assert len(before) < 12  # only what the factory made
    auth.login(chapter.fritz.user)
    planned = rows(app, Meeting, circle_id=chapter.circle.id)
    assert len(planned) >= 12 + len(before) - 1
    assert max(m.held_on for m in planned) >= this_week_start() + timedelta(weeks=12)
    client.get(url(chapter, "/meetings"))
    assert len(rows(app, Meeting, circle_id=chapter.circle.id)) == len(planned)


def test_other_circles_meetings_are_not_found(app, client, auth, make, chapter):
    other = make.circle()
    foreign = make.meeting(other, this_week_start())
    auth.login(chapter.admin)
    assert client.get(url(chapter, f"/meetings/{foreign.id}")).status_code == 404
    assert client.get(url(chapter, f"/meetings/{foreign.id}/attendance")).status_code == 404
    assert client.get(f"/circles/{other.id}/meetings").status_code == 404


def test_the_secretary_cancels_a_meeting_with_a_reason_and_undoes_it(
    app, client, auth, forms, chapter
):
    page = url(chapter, f"/meetings/{chapter.meeting.id}")
    auth.login(chapter.secretary.user)
    refused = forms.submit(page, {"reason": "  "}, action=page + "/cancel")
    assert refused.status_code == 422
    assert "Please give a reason." in refused.get_data(as_text=True)
    assert rows(app, Meeting, id=chapter.meeting.id)[0].status == "scheduled"

    done = forms.submit(page, {"reason": "Ostermontag"}, action=page + "/cancel")
    assert done.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "Cancelled" in shown and "Ostermontag" in shown
    [audit] = rows(app, AuditEntry, entity="meeting", entity_id=chapter.meeting.id)
    assert audit.action == "cancel" and audit.after == {
        "status": "cancelled",
        "cancel_reason": "Ostermontag",
    }
    # Attendance cannot be recorded for a cancelled meeting.
    assert "Record attendance" not in shown

    undone = forms.submit(page, {}, action=page + "/restore")
    assert undone.status_code == 302
    assert rows(app, Meeting, id=chapter.meeting.id)[0].status == "scheduled"
    assert len(rows(app, AuditEntry, entity="meeting", entity_id=chapter.meeting.id)) == 2


def test_a_plain_member_may_not_cancel(app, client, auth, chapter):
    auth.login(chapter.fritz.user)
    page = url(chapter, f"/meetings/{chapter.meeting.id}")
    token = csrf_token(client.get(url(chapter, "/calendar")).get_data(as_text=True))
    response = client.post(page + "/cancel", data={"csrf_token": token, "reason": "Urlaub"})
    assert response.status_code == 403
    assert rows(app, Meeting, id=chapter.meeting.id)[0].status == "scheduled"


def test_cancelling_without_csrf_is_refused(app, client, auth, chapter):
    auth.login(chapter.secretary.user)
    page = url(chapter, f"/meetings/{chapter.meeting.id}")
    assert client.post(page + "/cancel", data={"reason": "Urlaub"}).status_code == 400
    assert rows(app, Meeting, id=chapter.meeting.id)[0].status == "scheduled"


# --- attendance --------------------------------------------------------------------------


def attendance_url(ch: Chapter, meeting: Meeting | None = None) -> str:
    return url(ch, f"/meetings/{(meeting or ch.meeting).id}/attendance")


def test_the_form_lists_every_seat_and_saves_all_at_once(app, client, auth, forms, chapter):
    auth.login(chapter.vp.user)
    page = client.get(attendance_url(chapter)).get_data(as_text=True)
    for name in ("Anna Admin", "Viktor Vize", "Fritz Foto", "Paula Pharma"):
        assert name in page
    response = forms.submit(
        attendance_url(chapter),
        {
            f"code_{chapter.fritz.id}": "A",
            f"code_{chapter.paula.id}": "S",
            f"substitute_{chapter.paula.id}": "Sven Stellvertreter",
        },
    )
    assert response.status_code == 302
    saved = {r.membership_id: r for r in rows(app, Attendance, meeting_id=chapter.meeting.id)}
    assert len(saved) == 6  # every seat, the others present
    assert saved[chapter.fritz.id].code == "A"
    assert saved[chapter.paula.id].code == "S"
    assert saved[chapter.paula.id].substitute_name == "Sven Stellvertreter"
    assert saved[chapter.vp.id].code == "P"
    audits = rows(app, AuditEntry, entity="attendance")
    assert {a.action for a in audits} == {"record"}


def test_a_substitute_without_a_name_saves_nothing(app, client, auth, forms, chapter):
    auth.login(chapter.vp.user)
    response = forms.submit(
        attendance_url(chapter),
        {f"code_{chapter.fritz.id}": "A", f"code_{chapter.paula.id}": "S"},
    )
    assert response.status_code == 422
    assert "Please name the substitute." in response.get_data(as_text=True)
    assert rows(app, Attendance, meeting_id=chapter.meeting.id) == []


def test_an_unknown_code_saves_nothing(app, client, auth, forms, chapter):
    auth.login(chapter.vp.user)
    response = forms.submit(attendance_url(chapter), {f"code_{chapter.fritz.id}": "X"})
    assert response.status_code == 422
    assert "Choose P, A, L, M or S." in response.get_data(as_text=True)
    assert rows(app, Attendance, meeting_id=chapter.meeting.id) == []


def test_members_without_the_right_get_403(app, client, auth, chapter):
    for member in (chapter.fritz, chapter.committee):
        auth.login(member.user)
        assert client.get(attendance_url(chapter)).status_code == 403
        auth.logout()


def test_a_meeting_not_yet_held_takes_no_attendance(app, client, auth, forms, make, chapter):
    later = make.meeting(chapter.circle, this_week_start() + timedelta(weeks=2))
    auth.login(chapter.vp.user)
    token = csrf_token(client.get(url(chapter, "/calendar")).get_data(as_text=True))
    response = client.post(attendance_url(chapter, later), data={"csrf_token": token})
    assert response.status_code == 422
    assert rows(app, Attendance, meeting_id=later.id) == []


def test_members_who_joined_after_the_meeting_are_not_listed(app, client, auth, make, chapter):
    newcomer = make.member(chapter.circle, make.user(name="Nina Neu"), profession="Notar")
    old = make.meeting(chapter.circle, this_week_start() - timedelta(weeks=3))
    auth.login(chapter.vp.user)
    assert "Nina Neu" not in client.get(attendance_url(chapter, old)).get_data(as_text=True)
    assert newcomer.status == "active"


def test_members_see_their_own_attendance_history(app, client, auth, make, chapter):
    old = make.meeting(chapter.circle, this_week_start() - timedelta(weeks=1))
    make.attendance(old, chapter.fritz, "A")
    make.attendance(chapter.meeting, chapter.fritz, "S", "Sven Stellvertreter")
    make.attendance(chapter.meeting, chapter.paula, "M")
    auth.login(chapter.fritz.user)
    html = client.get(url(chapter, "/attendance")).get_data(as_text=True)
    assert "A \N{EN DASH} absent" in html
    assert "S \N{EN DASH} substitute: Sven Stellvertreter" in html
    assert "M \N{EN DASH} medical" not in html  # Paula's, not mine
    assert "1 absences within the last 6 months" in html


def test_the_committee_sees_who_is_at_risk(app, client, auth, make, chapter):
    for weeks in range(1, 5):
        meeting = make.meeting(chapter.circle, this_week_start() - timedelta(weeks=weeks))
        make.attendance(meeting, chapter.fritz, "A")
        if weeks <= 2:
            make.attendance(meeting, chapter.paula, "A")
    auth.login(chapter.committee.user)
    html = client.get(url(chapter, "/absences")).get_data(as_text=True)
    fritz_row = html.split(f'id="standing-{chapter.fritz.id}"')[1].split("</tr>")[0]
    paula_row = html.split(f'id="standing-{chapter.paula.id}"')[1].split("</tr>")[0]
    assert "Seat at risk" in fritz_row and ">4<" in fritz_row
    assert "Close to the limit" in paula_row
    auth.logout()
    auth.login(chapter.fritz.user)
    assert client.get(url(chapter, "/absences")).status_code == 403


# --- the calendar feed -------------------------------------------------------------------


def new_calendar_url(client, forms, ch: Chapter) -> str:
    response = forms.submit(url(ch, "/calendar"), {})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html.split('id="calendar-url"')[0].rsplit('value="', 1)[1].split('"')[0]


def test_the_calendar_feed_is_icalendar_behind_a_secret_url(app, client, auth, forms, chapter):
    with app.test_request_context():
        circle = db.session.get(Circle, chapter.circle.id)
        circle.name = "Kreis Köln; Süd, Innenstadt"
        circle.meeting_place = "Hotel am Dom, Saal 2"
        db.session.commit()
        db.session.remove()
    auth.login(chapter.fritz.user)
    feed_url = new_calendar_url(client, forms, chapter)
    assert feed_url.startswith("http://circle.test/calendar/") and feed_url.endswith(".ics")
    path = feed_url.removeprefix("http://circle.test")
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    with app.app_context():
        stored = db.session.get(Membership, chapter.fritz.id).calendar_token_hash
        db.session.remove()
    assert stored != token and len(stored) == 64

    auth.logout()
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert "SUMMARY:Kreis Köln\\; Süd\\, Innenstadt" in body.replace("\r\n ", "")
    assert f"UID:meeting-{chapter.meeting.id}@" in body
    assert "STATUS:CONFIRMED" in body


def test_cancelled_meetings_are_cancelled_in_the_feed(app, client, auth, forms, make, chapter):
    holiday = make.meeting(
        chapter.circle, this_week_start() + timedelta(weeks=1), "cancelled", "Feiertag"
    )
    auth.login(chapter.fritz.user)
    path = new_calendar_url(client, forms, chapter).removeprefix("http://circle.test")
    body = client.get(path).get_data(as_text=True)
    event = body.split(f"UID:meeting-{holiday.id}@")[1].split("END:VEVENT")[0]
    assert "STATUS:CANCELLED" in event and "Feiertag" in event


def test_a_new_calendar_url_stops_the_old_one(app, client, auth, forms, chapter):
    auth.login(chapter.fritz.user)
    old = new_calendar_url(client, forms, chapter).removeprefix("http://circle.test")
    new = new_calendar_url(client, forms, chapter).removeprefix("http://circle.test")
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_fold_and_escape_follow_rfc_5545():
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"
    line = "DESCRIPTION:" + "ü" * 80
    folded = fold(line)
    parts = folded.split("\r\n ")
    assert all(len(p.encode()) <= 75 - (1 if i else 0) for i, p in enumerate(parts))
    assert "".join(parts) == line


# --- settings ----------------------------------------------------------------------------


def settings_data(**changes) -> dict:
    data = {
        "name": "Kreis Köln",
        "city": "Köln",
        "currency": "EUR",
        "timezone": "Europe/Berlin",
        "meeting_weekday": "2",
        "meeting_time": "07:00",
        "seat_limit": "40",
        "lopsided_threshold_pct": "80",
        "meeting_place": "Hotel am Dom",
        "meeting_link": "",
        "meeting_minutes": "90",
        "absence_limit": "3",
        "absence_window_months": "6",
        "visitor_max_visits": "2",
        "score_green_min": "70",
        "score_yellow_min": "50",
        "score_red_min": "30",
    }
    data.update(changes)
    return data


def test_settings_apply_to_meetings_not_yet_held(app, client, auth, forms, make, chapter):
    past = make.meeting(chapter.circle, this_week_start() - timedelta(weeks=1))
    auth.login(chapter.admin)
    client.get(url(chapter, "/meetings"))  # generates the meetings ahead
    response = forms.submit(
        url(chapter, "/settings"),
        settings_data(
            meeting_place="Hotel am Dom",
            meeting_link="https://meet.example.org/kreis",
            meeting_minutes="120",
            meeting_time="07:30",
            late_counts_half="y",
            absence_limit="2",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        circle = db.session.get(Circle, chapter.circle.id)
        assert (circle.absence_limit, circle.late_counts_half) == (2, True)
        meetings = {m.held_on: m for m in db.session.scalars(select(Meeting))}
        db.session.remove()
    ahead = meetings[this_week_start() + timedelta(weeks=2)]
    assert ahead.place == "Hotel am Dom"
    assert ahead.video_link == "https://meet.example.org/kreis"
    assert ahead.duration_minutes == 120
    assert ahead.starts_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") == "07:30"
    held = meetings[past.held_on]
    assert held.place == "" and held.duration_minutes == 90


def test_a_new_weekday_moves_empty_meetings_but_keeps_one_a_guest_is_announced_for(
    app, client, auth, forms, make, chapter
):
    auth.login(chapter.admin)
    client.get(url(chapter, "/meetings"))  # generates the Wednesdays ahead
    announced_day = this_week_start() + timedelta(weeks=2)
    with app.app_context():
        announced = db.session.execute(
            select(Meeting).where(Meeting.held_on == announced_day)
        ).scalar_one()
        guest = Visitor(circle_id=chapter.circle.id, name="Gast", profession_name="Optik")
        db.session.add(guest)
        db.session.flush()
        db.session.add(
            VisitorVisit(circle_id=chapter.circle.id, visitor_id=guest.id, meeting_id=announced.id)
        )
        db.session.commit()
        db.session.remove()
    response = forms.submit(url(chapter, "/settings"), settings_data(meeting_weekday="3"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        days = {m.held_on for m in db.session.scalars(select(Meeting))}
        db.session.remove()
    assert announced_day in days  # the guest's meeting stays (the host may cancel it)
    assert announced_day + timedelta(weeks=1) not in days  # an empty Wednesday was moved
    assert announced_day + timedelta(weeks=1, days=1) in days  # to Thursday


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"score_yellow_min": "80"}, "Yellow cannot start above green (70 points)."),
        ({"score_red_min": "60"}, "Red cannot start above yellow (50 points)."),
        ({"score_green_min": "101"}, "Enter a whole number from 0 to 100."),
        ({"absence_limit": "-1"}, "Enter a whole number from 0 to 52."),
        ({"absence_window_months": "25"}, "Enter a whole number from 1 to 24."),
        ({"visitor_max_visits": "0"}, "Enter a whole number from 1 to 10."),
        ({"meeting_minutes": "5"}, "Enter a whole number from 15 to 480."),
        ({"meeting_link": "javascript:alert(1)"}, "Enter a web address starting with https://."),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    app, client, auth, forms, chapter, changes, message
):
    auth.login(chapter.admin)
    response = forms.submit(url(chapter, "/settings"), settings_data(**changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        circle = db.session.get(Circle, chapter.circle.id)
        assert (circle.meeting_place, circle.score_yellow_min, circle.absence_limit) == ("", 50, 3)
        db.session.remove()
