"""The circle home page says what to do now: each to-do appears when there is work, links to
where it is done and goes away once done; officers see their own work; a few statements."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from circle.balance.services import tips
from circle.core.periods import Period
from circle.core.weeks import today_for, week_start
from circle.extensions import db as _db
from circle.home.agenda import Scale
from circle.models import AuditEntry, Circle, Meeting, MeetingReply
from circle.scores.services import chapter_scores, member_score
from tests.pages import any_csrf_token, element, plain, text


@pytest.fixture
def home(make):
    """A circle with an English-speaking admin, Paula (a member) and Fritz."""
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin)
    paula = make.member(circle, make.user(name="Paula Pharma", locale="en"), profession="Apotheke")
    fritz = make.member(circle, make.user(name="Fritz Foto", locale="en"), profession="Fotografie")
    return {"circle": circle, "admin": make.admin_seat(circle), "paula": paula, "fritz": fritz}


def url(circle) -> str:
    return f"/circles/{circle.id}"


def today(app, circle) -> date:
    with app.test_request_context():
        return today_for(_db.session.get(Circle, circle.id))


def next_meeting(app, circle) -> Meeting:
    """The circle's next scheduled meeting that has not begun."""
    with app.app_context():
        return _db.session.execute(
            select(Meeting)
            .where(
                Meeting.circle_id == circle.id,
                Meeting.status == "scheduled",
                Meeting.starts_at > datetime.now(UTC),
            )
            .order_by(Meeting.held_on)
            .limit(1)
        ).scalar_one()


def todo(client, circle, name: str) -> str | None:
    """The text of the to-do ``name`` on the home page (None when it is not there)."""
    page = text(client.get(url(circle)))
    marker = f'data-todo="{name}"'
    if marker not in page:
        return None
    start = page.index(marker)
    return plain(page[start : page.index("</li>", start)].split(">", 1)[1])


def test_a_received_referral_waits_for_its_status_until_the_receiver_moves_it(
    app, client, auth, home, make
):
    circle = home["circle"]
    slip = make.slip(home["fritz"], home["paula"], today(app, circle))
    auth.login(home["paula"].user)
    page = text(client.get(url(circle)))
    assert "1 referral you received waits for your status" in page
    assert f'href="/circles/{circle.id}/referrals/open"' in element(page, "todo-list")
    token = any_csrf_token(client, url(circle))
    moved = client.post(
        f"/circles/{circle.id}/referrals/{slip}/status",
        data={"csrf_token": token, "status": "won"},
    )
    assert moved.status_code == 302
    assert todo(client, circle, "open-received") is None
    # Won but not thanked for: the next to-do is the thank-you, until it is reported.
    assert "You won 1 referral: thank the giver" in todo(client, circle, "thank")
    page = text(client.get(url(circle)))
    assert f'href="/circles/{circle.id}/thanks/new"' in element(page, "todo-list")
    week = f"/circles/{circle.id}/week"
    thanked = client.post(
        f"/circles/{circle.id}/closed-business",
        data={
            "csrf_token": any_csrf_token(client, week),
            "thank-giver_id": str(home["fritz"].id),
            "thank-amount": "250",
            "thank-closed_on": today(app, circle).isoformat(),
            "thank-kind": "new",
            "thank-referral_id": str(slip),
            "thank-week": today(app, circle).isoformat(),
        },
    )
    assert thanked.status_code == 302, text(thanked)
    assert todo(client, circle, "thank") is None
    assert "No referral waits for you" in todo(client, circle, "slips")


def test_the_next_meeting_asks_whether_i_come_and_remembers_my_answer(
    app, client, auth, home, make
):
    circle = home["circle"]
    auth.login(home["paula"].user)  # plans the coming meetings
    meeting = next_meeting(app, circle)
    item = todo(client, circle, "meeting")
    assert item.startswith("Next meeting:") and "Are you coming?" in item
    page = text(client.get(url(circle)))
    assert 'class="todo__item todo__item--due" data-todo="meeting"' in page
    action = f"/circles/{circle.id}/meetings/{meeting.id}/reply"
    token = any_csrf_token(client, url(circle))
    answered = client.post(action, data={"csrf_token": token, "answer": "yes", "next": url(circle)})
    assert answered.status_code == 302 and answered.headers["Location"].endswith(url(circle))
    page = text(client.get(url(circle)))
    assert "Noted: I'm coming." in page, page[page.find("flash") :][:500]
    assert 'data-answer="yes"' in page, element(page, "todo-list")
    assert 'class="todo__item" data-todo="meeting"' in page  # no longer waiting
    # Changing the answer keeps one row and audits the change.
    client.post(action, data={"csrf_token": token, "answer": "substitute"})
    with app.app_context():
        rows = _db.session.execute(select(MeetingReply)).scalars().all()
        assert [(r.membership_id, r.answer) for r in rows] == [(home["paula"].id, "substitute")]
        audit = _db.session.execute(
            select(AuditEntry).where(AuditEntry.entity == "meeting_reply")
        ).scalars()
        assert [(e.action, e.after["answer"]) for e in audit] == [
            ("create", "yes"),
            ("edit", "substitute"),
        ]
    # The meeting page counts the answers.
    shown = text(client.get(f"/circles/{circle.id}/meetings/{meeting.id}"))
    assert "0 coming, 0 not coming, 1 sending a substitute" in shown


def test_a_reply_is_refused_for_a_cancelled_or_begun_meeting_and_bad_answers(
    app, client, auth, home, make
):
    circle = home["circle"]
    cancelled = make.meeting(circle, today(app, circle) + timedelta(days=7), "cancelled", "Ferien")
    begun = make.meeting(circle, today(app, circle) - timedelta(days=7))
    coming = make.meeting(circle, today(app, circle) + timedelta(days=14))
    auth.login(home["paula"].user)
    token = any_csrf_token(client, url(circle))
    for meeting, answer, status, message in (
        (cancelled, "yes", 409, "This meeting was cancelled."),
        (begun, "no", 409, "This meeting has already begun"),
        (coming, "maybe", 422, "Please choose an answer."),
        (coming, "", 422, "Please choose an answer."),
    ):
        response = client.post(
            f"/circles/{circle.id}/meetings/{meeting.id}/reply",
            data={"csrf_token": token, "answer": answer},
        )
        assert response.status_code == status
        assert message in text(response)
    assert (
        client.post(
            f"/circles/{circle.id}/meetings/{coming.id}/reply", data={"answer": "yes"}
        ).status_code
        == 400
    )  # no CSRF token
    with app.app_context():
        assert _db.session.execute(select(MeetingReply)).first() is None


def test_a_meeting_of_another_circle_answers_404(app, client, auth, home, make):
    other = make.circle()
    theirs = make.meeting(other, today(app, other) + timedelta(days=7))
    auth.login(home["paula"].user)
    token = any_csrf_token(client, url(home["circle"]))
    response = client.post(
        f"/circles/{home['circle'].id}/meetings/{theirs.id}/reply",
        data={"csrf_token": token, "answer": "yes"},
    )
    assert response.status_code == 404


def test_one_to_ones_and_dues_show_as_work_then_as_done(app, client, auth, home, make, forms):
    circle, paula = home["circle"], home["paula"]
    auth.login(home["admin"].user)
    plan = forms.submit(
        f"/circles/{circle.id}/dues/admin",
        {"amount": "50", "interval": "month", "joining_fee": "0", "grace_days": "14"},
        action=f"/circles/{circle.id}/dues/plan",
    )
    assert plan.status_code == 302, text(plan)
    make.joined(paula, datetime.now(UTC) - timedelta(days=60))
    # The admin sees one member overdue (Paula joined 60 days ago and never paid; the
    # admin and Fritz joined today and are within the grace days).
    assert "1 member is overdue with dues" in todo(client, circle, "dues-overdue")
    auth.logout()

    auth.login(paula.user)
    assert "Your dues are overdue since" in todo(client, circle, "dues")
    assert "No one-to-one this week yet" in todo(client, circle, "one-to-one")
    day = today(app, circle)
    make.payment(paula, day - timedelta(days=30), day + timedelta(days=30), day)
    recorded = forms.submit(
        f"/circles/{circle.id}/activity",
        {"met-other_id": str(home["fritz"].id), "met-met_on": day.isoformat()},
        action=f"/circles/{circle.id}/one-to-ones",
    )
    assert recorded.status_code == 302, text(recorded)
    assert todo(client, circle, "one-to-one") == "1 one-to-one this week"
    assert todo(client, circle, "dues").startswith("Dues paid through")
    page = text(client.get(url(circle)))
    assert 'todo__item--done" data-todo="dues"' in page
    assert "officer-todo" not in page  # Paula does no officer work


def test_my_scale_leans_to_giving_and_my_score_names_the_step_worth_most(
    app, client, auth, home, make
):
    circle, paula, fritz = home["circle"], home["paula"], home["fritz"]
    day = today(app, circle)
    for back in (1, 8, 15, 40):
        make.slip(paula, fritz, day - timedelta(days=back))
    make.slip(fritz, paula, day - timedelta(days=3))
    make.slip(fritz, paula, day - timedelta(days=400))  # older than twelve months
    make.slip(fritz, paula, day - timedelta(days=2), amount=123_450)  # Fritz thanks Paula
    auth.login(paula.user)
    page = text(client.get(url(circle)))
    scale = element(page, "scale")
    assert 'data-leaning="give"' in page
    assert 'data-scale="given">4<' in page and 'data-scale="received">1<' in page
    assert "€1,234.50" in page and "You give more than you receive" in page
    # In value too: Fritz thanked Paula for €1,234.50, she thanked nobody.
    assert 'data-value-leaning="give"' in page
    assert "you brought others far more than you received: €1,234.50 against €0.00" in page
    assert "<title" in scale
    step = plain(element(page, "score-step"))
    assert step.startswith("The step worth most:") and "more points" in step


def test_officers_see_applications_the_unlocked_report_and_seats_at_risk(
    app, client, auth, home, make, forms
):
    circle = home["circle"]
    make.member(circle, make.user(name="Ada Applicant"), status="applicant")
    day = today(app, circle)
    for weeks in (1, 2, 3, 4):
        meeting = make.meeting(circle, day - timedelta(weeks=weeks, days=1))
        make.attendance(meeting, home["fritz"], "A")
    auth.login(home["admin"].user)
    assert todo(client, circle, "applications") == "1 application waits for a decision"
    assert todo(client, circle, "absences") == "1 member's seat is at risk from absences"
    assert todo(client, circle, "report") == "This week's report is not locked yet"
    start = week_start(circle, day)
    locked = forms.submit(
        f"/circles/{circle.id}/weeks/{start.isoformat()}/report",
        {},
        action=f"/circles/{circle.id}/weeks/{start.isoformat()}/lock",
    )
    assert locked.status_code == 302, text(locked)
    assert todo(client, circle, "report") == "This week's report is locked"
    # A plain member sees none of it.
    auth.logout()
    auth.login(home["paula"].user)
    assert "officer-todo" not in text(client.get(url(circle)))


def test_the_home_page_keeps_to_a_few_statements_at_40_members_and_4000_profiles(
    app, client, auth, home, make, count_queries
):
    circle = home["circle"]
    day = today(app, circle)
    make.meeting(circle, day + timedelta(days=7))
    make.slip(home["fritz"], home["paula"], day)
    counted: dict[str, list[int]] = {"member": [], "admin": []}

    def count(who: str) -> None:
        with count_queries() as statements:
            assert client.get(url(circle)).status_code == 200
        assert statements.count <= 6, statements.statements
        counted[who].append(statements.count)

    # (Four logins in all: the login form takes five a minute.)
    auth.login(home["paula"].user)
    count("member")  # 4 members
    auth.logout()
    auth.login(home["admin"].user)
    count("admin")
    members = [make.member(circle, make.user(name=f"Mitglied {n}")) for n in range(36)]
    for n, member in enumerate(members):
        make.slip(member, home["paula"], day - timedelta(days=n * 9))
    count("admin")  # 40 members, a year of slips
    make.many_circles(circles=100, seats=40)
    count("admin")  # and 4,000 profiles in 100 other circles
    auth.logout()
    auth.login(home["paula"].user)
    count("member")
    # The same number of statements at every size.
    assert len(set(counted["member"])) == 1 and len(set(counted["admin"])) == 1, counted


def test_one_members_score_in_one_statement_equals_the_chapters_count(app, home, make):
    circle, paula, fritz = home["circle"], home["paula"], home["fritz"]
    day = today(app, circle)
    with app.test_request_context():
        window = member_score(_db.session.get(Circle, circle.id), paula).period
    inside = window.start + timedelta(days=20)
    for offset in (0, 7, 14):
        make.slip(paula, fritz, inside + timedelta(days=offset))
    make.slip(fritz, paula, inside, amount=50_000)
    make.slip(paula, fritz, day)  # outside the window
    for n, code in enumerate(("A", "L", "P", "S")):
        make.attendance(make.meeting(circle, inside + timedelta(days=7 * n)), paula, code)
    with app.test_request_context():
        fresh = _db.session.get(Circle, circle.id)
        fresh.late_counts_half = True
        alone = member_score(fresh, _db.session.get(type(paula), paula.id))
        together = next(s for s in chapter_scores(fresh) if s.member.id == paula.id)
        assert [(a.area, a.count, a.points) for a in alone.areas] == [
            (a.area, a.count, a.points) for a in together.areas
        ]
        assert alone.area("referrals").count == 3
        assert alone.area("attendance").count == 1 + 0.5
        assert alone.area("tyfcb").count == 500
        _db.session.rollback()


@pytest.mark.parametrize(
    ("given", "received", "generated", "reported", "pct", "leaning", "value"),
    [
        (0, 0, 0, 0, 80, "even", "even"),
        (5, 4, 100, 100, 80, "even", "even"),  # one referral apart is even
        (10, 8, 899, 100, 80, "even", "even"),  # within a fifth; below the circle's 80 %
        (10, 7, 900, 100, 80, "give", "give"),  # lopsidedness 0.8: the balance pages' rule
        (10, 8, 301, 100, 50, "even", "give"),  # a circle that set 50 % tips sooner
        (2, 9, 100, 10_000, 80, "take", "take"),  # the pharmacist's side of the pair
    ],
)
def test_the_scale_tips_by_count_and_by_the_circles_lopsided_threshold(
    given, received, generated, reported, pct, leaning, value
):
    circle = Circle(lopsided_threshold_pct=pct)
    scale = Scale(
        Period(date(2026, 1, 1), date(2026, 12, 31)),
        given,
        received,
        generated,
        reported,
        lopsided=tips(circle, generated, reported),
    )
    assert (scale.leaning, scale.value_leaning) == (leaning, value)
