"""The kept bodies (``circle.web.kept``) of the week, home, activity, weekly report and
directory pages follow the data: a change written straight through the models after a view
(which gives the circle a new ``data_stamp``) shows on the next view. What is not data is
honoured too: each member sees their own body, the report shows amounts as each reader may
see them, the forms of a kept body carry each session's own CSRF token, and the language
the member switched to is the one shown.

Each test would fail if its part were left out of the body's key (or, for the tokens, if
the kept body kept the first session's token).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from circle.extensions import db
from circle.models import (
    Attendance,
    Circle,
    EducationCredit,
    Membership,
    OneToOne,
    Profile,
    User,
    WeeklyReport,
)
from tests.circles.test_home import today, todo
from tests.meetings.chapter import LAST_WEEK, Chapter, make_chapter, this_week_start
from tests.meetings.test_weekly_report import _member_row, euros, report_url
from tests.pages import element, submit, text
from tests.profiles.test_directory import names
from tests.referrals.test_referral_pages import give, row, total, translated, week_url
from tests.web.test_kept_bodies import logged_in, tokens


@pytest.fixture
def chapter(app, make) -> Chapter:
    """A circle with officers, Fritz and Paula (plain members) and this week's meeting; every
    user speaks English."""
    return make_chapter(app, make)


def page(circle, path: str = "") -> str:
    """A page of the circle."""
    return f"/circles/{circle.id}{path}"


def receivers(html: str) -> str:
    """The receiver choice of the week page's first referral row."""
    return element(html, "give-rows-0-receiver_id")


def met(app, chapter: Chapter, one: Membership, other: Membership, note: str = "") -> None:
    """A one-to-one of ``one`` and ``other`` today, written straight through the model."""
    with app.app_context():
        first, second = sorted((one.id, other.id))
        db.session.add(
            OneToOne(
                circle_id=chapter.circle.id,
                member_a_id=first,
                member_b_id=second,
                met_on=today(app, chapter.circle),
                note=note,
                created_by_id=one.user_id,
            )
        )
        db.session.commit()


def learned(app, chapter: Chapter, member: Membership, topic: str) -> None:
    """An education credit of ``member`` today, written straight through the model."""
    with app.app_context():
        db.session.add(
            EducationCredit(
                circle_id=chapter.circle.id,
                membership_id=member.id,
                topic=topic,
                minutes=90,
                completed_on=today(app, chapter.circle),
                created_by_id=member.user_id,
            )
        )
        db.session.commit()


def rename(app, user_id: int, name: str) -> None:
    """Give a user a new name through the model."""
    with app.app_context():
        db.session.get(User, user_id).name = name
        db.session.commit()


def speak(app, user_id: int, locale: str) -> None:
    """Set a user's language through the model."""
    with app.app_context():
        db.session.get(User, user_id).locale = locale
        db.session.commit()


# --- the week page ---------------------------------------------------------------------


def test_the_week_page_shows_a_member_renamed_after_it_was_seen(app, chapter):
    """The receivers offered on Fritz's week name Paula; her new name shows on the next
    view, and the old one is gone."""
    fritz = logged_in(app, chapter.fritz.user)
    week = week_url(chapter.circle)
    assert "Paula Pharma" in receivers(text(fritz.get(week)))
    rename(app, chapter.paula.user_id, "Paula Apotheke")
    shown = text(fritz.get(week))
    assert "Paula Apotheke" in receivers(shown)
    assert "Paula Pharma" not in shown


def test_each_member_is_offered_the_others_on_their_own_week(app, chapter, make):
    """Fritz's and Paula's week pages of the same week and day are kept apart: each offers
    the other as a receiver but not oneself, and counts one's own slips."""
    make.slip(chapter.fritz, chapter.paula, this_week_start())
    fritz = logged_in(app, chapter.fritz.user)
    paula = logged_in(app, chapter.paula.user)
    week = week_url(chapter.circle)
    fritzs = text(fritz.get(week))
    paulas = text(paula.get(week))
    assert f'value="{chapter.paula.id}"' in receivers(fritzs)
    assert f'value="{chapter.fritz.id}"' not in receivers(fritzs)
    assert f'value="{chapter.fritz.id}"' in receivers(paulas)
    assert f'value="{chapter.paula.id}"' not in receivers(paulas)
    assert (total(fritzs, "given"), total(fritzs, "received")) == ("1", "0")
    assert (total(paulas, "given"), total(paulas, "received")) == ("0", "1")


def test_a_kept_week_form_carries_the_sessions_own_token_and_is_accepted(app, chapter):
    """Two sessions of Fritz get the same kept week body, each with its own CSRF token in
    every form (the same as the logout form's); the second session's referral is saved and
    shows on the first session's next view."""
    first = logged_in(app, chapter.fritz.user)
    second = logged_in(app, chapter.fritz.user)
    week = week_url(chapter.circle)
    first_html, second_html = text(first.get(week)), text(second.get(week))
    assert 'id="give-form"' in second_html and 'id="thank-form"' in second_html
    assert len(tokens(first_html)) == 1 and len(tokens(second_html)) == 1
    assert tokens(first_html) != tokens(second_html)
    sent = give(second, chapter.circle, row(0, chapter.paula))
    assert sent.status_code == 302, text(sent)
    assert total(text(first.get(week)), "given") == "1"


# --- the home page ---------------------------------------------------------------------


def test_the_home_page_shows_a_one_to_one_recorded_after_it_was_seen(app, chapter):
    """Paula's to-do asks for a one-to-one; once one is written, the next view counts it."""
    paula = logged_in(app, chapter.paula.user)
    assert "No one-to-one this week yet" in todo(paula, chapter.circle, "one-to-one")
    met(app, chapter, chapter.paula, chapter.fritz)
    assert todo(paula, chapter.circle, "one-to-one") == "1 one-to-one this week"


def test_each_member_sees_their_own_home_page(app, chapter):
    """Paula's home page (a one-to-one this week, no officer work) is not the admin's: in
    the same minute the admin sees no one-to-one and the officers' agenda."""
    met(app, chapter, chapter.paula, chapter.fritz)
    paula = logged_in(app, chapter.paula.user)
    admin = logged_in(app, chapter.admin)
    paulas = text(paula.get(page(chapter.circle)))
    admins = text(admin.get(page(chapter.circle)))
    assert todo(paula, chapter.circle, "one-to-one") == "1 one-to-one this week"
    assert "officer-todo" not in paulas and 'id="report-link"' not in paulas
    assert "No one-to-one this week yet" in todo(admin, chapter.circle, "one-to-one")
    assert "officer-todo" in admins and 'id="report-link"' in admins


# --- the activity page -----------------------------------------------------------------


def test_the_activity_page_shows_a_one_to_one_and_a_credit_written_after_it_was_seen(app, chapter):
    """Fritz's empty lists fill on the next view with what was written in between."""
    fritz = logged_in(app, chapter.fritz.user)
    activity = page(chapter.circle, "/activity")
    before = text(fritz.get(activity))
    assert "No one-to-ones recorded yet." in element(before, "one-to-one-list")
    assert "No education credits recorded yet." in element(before, "credit-list")
    met(app, chapter, chapter.fritz, chapter.paula, note="Kaffee am Dom")
    learned(app, chapter, chapter.fritz, "Buch über Empfehlungen")
    after = text(fritz.get(activity))
    meetings = element(after, "one-to-one-list")
    assert "Paula Pharma" in meetings and "Kaffee am Dom" in meetings
    assert "Buch über Empfehlungen" in element(after, "credit-list")


def test_each_member_sees_their_own_activity(app, chapter):
    """Fritz's and Paula's activity pages of the same day are kept apart: each lists only
    their own education credits."""
    learned(app, chapter, chapter.fritz, "Fritz liest ein Buch")
    learned(app, chapter, chapter.paula, "Paula hört einen Podcast")
    fritz = logged_in(app, chapter.fritz.user)
    paula = logged_in(app, chapter.paula.user)
    activity = page(chapter.circle, "/activity")
    fritzs = element(text(fritz.get(activity)), "credit-list")
    paulas = element(text(paula.get(activity)), "credit-list")
    assert "Fritz liest ein Buch" in fritzs and "Paula hört" not in fritzs
    assert "Paula hört einen Podcast" in paulas and "Fritz liest" not in paulas
    assert "Fritz liest ein Buch" in element(text(fritz.get(activity)), "credit-list")


# --- the weekly report -----------------------------------------------------------------


def test_the_weekly_report_shows_attendance_recorded_after_it_was_seen(app, chapter):
    """The admin's report of this week lists Fritz as not recorded; his absence, written
    after the view, shows on the next one."""
    admin = logged_in(app, chapter.admin)
    report = report_url(chapter, this_week_start())
    before = text(admin.get(report))
    assert 'data-total="attendance-A">0<' in before
    assert "Fritz Foto: <span" in element(before, "report-attendance")
    with app.app_context():
        db.session.add(
            Attendance(
                circle_id=chapter.circle.id,
                meeting_id=chapter.meeting.id,
                membership_id=chapter.fritz.id,
                code="A",
            )
        )
        db.session.commit()
    after = text(admin.get(report))
    assert 'data-total="attendance-A">1<' in after
    assert "Fritz Foto: <span" not in element(after, "report-attendance")


def test_the_weekly_report_shows_amounts_to_whom_may_see_them(app, chapter, make):
    """Fritz was thanked for closed business: the vice president (who locks reports but
    sees no amounts) sees it hidden before and after the admin saw the amount; once the
    circle opens revenue to its members, the vice president sees it too."""
    make.slip(chapter.paula, chapter.fritz, LAST_WEEK + timedelta(days=1), amount=7_000)
    vice = logged_in(app, chapter.vp.user)
    admin = logged_in(app, chapter.admin)
    report = report_url(chapter)
    assert _member_row(text(vice.get(report)), chapter.fritz)[2] == "hidden"
    assert _member_row(text(admin.get(report)), chapter.fritz)[2] == euros(7_000)
    assert _member_row(text(vice.get(report)), chapter.fritz)[2] == "hidden"
    with app.app_context():
        db.session.get(Circle, chapter.circle.id).revenue_open_to_members = True
        db.session.commit()
    assert _member_row(text(vice.get(report)), chapter.fritz)[2] == euros(7_000)


def test_a_kept_report_form_carries_the_sessions_own_token_and_locks_the_week(app, chapter):
    """Two sessions of the vice president get the same kept report, each with its own token;
    the second session's lock form is accepted, and the first session then sees it locked."""
    first = logged_in(app, chapter.vp.user)
    second = logged_in(app, chapter.vp.user)
    report = report_url(chapter)
    first_html, second_html = text(first.get(report)), text(second.get(report))
    assert 'id="lock-form"' in second_html
    assert len(tokens(first_html)) == 1 and len(tokens(second_html)) == 1
    assert tokens(first_html) != tokens(second_html)
    locked = submit(second, report, page(chapter.circle, f"/weeks/{LAST_WEEK}/lock"))
    assert locked.status_code == 302, text(locked)
    with app.app_context():
        count = select(func.count()).select_from(WeeklyReport)
        assert db.session.scalar(count.where(WeeklyReport.week_start == LAST_WEEK)) == 1
    assert 'id="report-locked"' in text(first.get(report))


# --- the directory ---------------------------------------------------------------------


def test_the_directory_shows_a_company_added_after_it_was_seen(app, chapter):
    """A company added to Paula's profile shows on her card and is found by a search on the
    next views, the whole directory and the search each kept on their own."""
    admin = logged_in(app, chapter.admin)
    members = page(chapter.circle, "/members")
    assert "Pharmazie Plus" not in text(admin.get(members))
    assert names(admin, chapter.circle, "Pharmazie") == []
    with app.app_context():
        profile = db.session.get(Profile, chapter.paula.user_id)
        if profile is None:
            profile = Profile(user_id=chapter.paula.user_id)
            db.session.add(profile)
        profile.company = "Pharmazie Plus"
        db.session.commit()
    cards = element(text(admin.get(members)), "member-cards")
    paulas = cards[cards.index(f'data-member="{chapter.paula.id}"') :].split("</li>", 1)[0]
    assert "Pharmazie Plus" in paulas
    assert names(admin, chapter.circle, "Pharmazie") == ["Paula Pharma"]


def test_who_fits_leaves_out_each_reader_alone(app, chapter):
    """The same "who fits?" question is kept per reader: Fritz is offered Paula but not
    himself, Paula is offered Fritz but not herself."""
    question = {"fit": "Fotograf Apotheker"}
    members = page(chapter.circle, "/members")

    def offered(client) -> str:
        return element(text(client.get(members, query_string=question)), "member-cards")

    fritzs = offered(logged_in(app, chapter.fritz.user))
    paulas = offered(logged_in(app, chapter.paula.user))
    assert f'data-member="{chapter.paula.id}"' in fritzs
    assert f'data-member="{chapter.fritz.id}"' not in fritzs
    assert f'data-member="{chapter.fritz.id}"' in paulas
    assert f'data-member="{chapter.paula.id}"' not in paulas


# --- the language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "What to do now"),
        ("/week", "My totals this week"),
        ("/activity", "Education credits (CEU)"),
        ("/members", "Find a member"),
        (f"/weeks/{LAST_WEEK}/report", "Per member"),
    ],
)
def test_a_page_after_a_language_switch_speaks_the_new_language(app, chapter, path, message):
    """A body seen in English is drawn in German once the member (the vice president, who
    may see every one of these pages) switches, and in English again after switching back:
    the heading that only the body holds follows."""
    german = translated(app, "de", message)
    assert german != message
    vice = logged_in(app, chapter.vp.user)
    url = page(chapter.circle, path)
    english_page = text(vice.get(url))
    assert message in english_page and german not in english_page
    speak(app, chapter.vp.user_id, "de")
    german_page = text(vice.get(url))
    assert german in german_page and message not in german_page
    speak(app, chapter.vp.user_id, "en")
    assert message in text(vice.get(url))
