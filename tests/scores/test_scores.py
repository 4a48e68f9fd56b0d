"""Member scores: a hand-computed member, the window's edges, colours at the thresholds,
the point table and its editor, who sees which score."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from circle.core.clock import utcnow
from circle.core.errors import ValidationFailed
from circle.extensions import db
from circle.models import (
    Attendance,
    AuditEntry,
    Circle,
    ClosedBusiness,
    EducationCredit,
    Meeting,
    Membership,
    OneToOne,
    Referral,
    User,
    Visitor,
    VisitorVisit,
)
from circle.scores import services
from circle.scores.table import DEFAULT_TABLE, tier_reached, validate_table
from tests.pages import submit, text

TODAY = date(2025, 7, 15)  # window: 2025-01-01 .. 2025-06-30, 181 days


@pytest.fixture
def world(make):
    """Anna (admin), Bernd and Clara in one circle; Olga's circle beside it."""
    anna = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=anna, name="Kreis Köln")
    bernd = make.member(circle, make.user(name="Bernd Bau", locale="en"), profession="Bau")
    clara = make.member(circle, make.user(name="Clara Coach", locale="en"), profession="Coach")
    other = make.circle(admin=make.user(name="Olga Other", locale="en"), name="Kreis Bonn")
    return {"circle": circle, "anna": anna, "bernd": bernd, "clara": clara, "other": other}


class Log:
    """Write a member's activity straight into the tables (inside ``ctx``)."""

    def __init__(self, circle: Circle, member: Membership, partner: Membership):
        self.circle, self.member, self.partner = circle, member, partner
        self.meetings: dict[date, Meeting] = {}

    def referral(self, day: date, voided: bool = False) -> None:
        """A referral from the member to the partner."""
        db.session.add(
            Referral(
                circle_id=self.circle.id,
                giver_id=self.member.id,
                receiver_id=self.partner.id,
                given_on=day,
                kind="inside",
                hotness=3,
                voided_at=utcnow() if voided else None,
                void_reason="falsch" if voided else None,
            )
        )

    def meeting(self, day: date, cancelled: bool = False) -> Meeting:
        """The circle's meeting on ``day`` (made once)."""
        if day not in self.meetings:
            meeting = Meeting(
                circle_id=self.circle.id,
                held_on=day,
                starts_at=datetime(day.year, day.month, day.day, 6, tzinfo=UTC),
                status="cancelled" if cancelled else "scheduled",
                cancelled_at=utcnow() if cancelled else None,
            )
            db.session.add(meeting)
            db.session.flush()
            self.meetings[day] = meeting
        return self.meetings[day]

    def attendance(self, day: date, code: str, cancelled: bool = False) -> None:
        """The member's attendance code at the meeting on ``day``."""
        meeting = self.meeting(day, cancelled)
        db.session.add(
            Attendance(
                circle_id=self.circle.id,
                meeting_id=meeting.id,
                membership_id=self.member.id,
                code=code,
                substitute_name="Sabine Vertretung" if code == "S" else "",
            )
        )

    def visitor(self, *days: date) -> None:
        """A visitor the member invited, visiting on ``days``."""
        visitor = Visitor(circle_id=self.circle.id, name="Gast", invited_by_id=self.member.id)
        db.session.add(visitor)
        db.session.flush()
        for day in days:
            db.session.add(
                VisitorVisit(
                    circle_id=self.circle.id, visitor_id=visitor.id, meeting_id=self.meeting(day).id
                )
            )

    def one_to_one(self, day: date, voided: bool = False) -> None:
        """A one-to-one of the member with the partner."""
        a, b = sorted((self.member.id, self.partner.id))
        db.session.add(
            OneToOne(
                circle_id=self.circle.id,
                member_a_id=a,
                member_b_id=b,
                met_on=day,
                voided_at=utcnow() if voided else None,
                void_reason="falsch" if voided else None,
            )
        )

    def credit(self, day: date, minutes: int) -> None:
        """An education credit of the member."""
        db.session.add(
            EducationCredit(
                circle_id=self.circle.id,
                membership_id=self.member.id,
                topic="Podcast",
                minutes=minutes,
                completed_on=day,
            )
        )

    def thanked(self, day: date, amount_minor: int) -> None:
        """Closed business the partner reports, credited to the member."""
        db.session.add(
            ClosedBusiness(
                circle_id=self.circle.id,
                thanked_id=self.member.id,
                reporter_id=self.partner.id,
                amount_minor=amount_minor,
                currency="EUR",
                closed_on=day,
            )
        )


def loaded(world):
    """The circle and Bernd's and Clara's memberships inside the test's session."""
    circle = db.session.get(Circle, world["circle"].id)
    return (
        circle,
        db.session.get(Membership, world["bernd"].id),
        db.session.get(Membership, world["clara"].id),
    )


def wednesdays(start: date, count: int) -> list[date]:
    """``count`` consecutive weekly days from ``start``."""
    return [start + timedelta(weeks=n) for n in range(count)]


# --- a hand-computed member ------------------------------------------------------------


def test_score_of_a_hand_computed_member(ctx, world):
    circle, bernd, clara = loaded(world)
    circle.late_counts_half = True
    log = Log(circle, bernd, clara)
    days = wednesdays(date(2025, 1, 8), 25)  # 8 Jan .. 25 Jun, all inside the window

    # Referrals: 20 inside the window; one voided and two just outside do not count.
    for day in days[:20]:
        log.referral(day)
    log.referral(days[0], voided=True)
    log.referral(date(2024, 12, 31))
    log.referral(date(2025, 7, 1))
    # Visitors: 4 first visits in the window; one came first in December (not counted).
    for day in days[:4]:
        log.visitor(day)
    log.visitor(date(2024, 12, 18), days[5])
    # One-to-ones: 7, plus a voided one.
    for day in days[:7]:
        log.one_to_one(day)
    log.one_to_one(days[8], voided=True)
    # Education: 13 x 120 minutes = 1560 minutes = 26 credits.
    for day in days[:13]:
        log.credit(day, 120)
    # Attendance: A, A, L (half), M, S, P; an A at a cancelled meeting and one in July.
    for day, code in zip(days[10:16], "AALMSP", strict=True):
        log.attendance(day, code)
    log.attendance(days[20], "A", cancelled=True)
    log.attendance(date(2025, 7, 2), "A")
    # Closed business credited: 1,800.00 + 1,200.00 = 3,000.00 EUR.
    log.thanked(days[1], 180000)
    log.thanked(days[2], 120000)
    db.session.flush()

    score = services.member_score(circle, bernd, today=TODAY)

    assert (score.period.start, score.period.end) == (date(2025, 1, 1), date(2025, 6, 30))
    weeks = Fraction(181, 7)  # 31+28+31+30+31+30 days = 181 days = 25.857 weeks
    assert score.weeks == weeks and score.months == 6
    referrals = score.area("referrals")
    # 20 / 25.857 = 0.7735 per week: at least 0.75 → 15 points
    assert (referrals.count, referrals.rate, referrals.points) == (20, 20 / weeks, 15)
    visitors = score.area("visitors")
    # 4 visitors / 6 months = 0.667 per month: at least 0.5 → 10 points
    assert (visitors.count, visitors.rate, visitors.points) == (4, Fraction(2, 3), 10)
    one_to_ones = score.area("one_to_ones")
    # 7 / 25.857 = 0.2707 per week: at least 0.25 → 5 points
    assert (one_to_ones.count, one_to_ones.points) == (7, 5)
    education = score.area("education")
    # 1560 minutes / 60 = 26 credits; 26 / 25.857 = 1.0055 per week: at least 1 → 20 points
    assert (education.count, education.rate, education.points) == (26, 26 / weeks, 20)
    attendance = score.area("attendance")
    # A + A + ½ L = 2.5 absences (M, S and the cancelled meeting's A do not count):
    # at most 3 → 5 points
    assert (attendance.count, attendance.points) == (Fraction(5, 2), 5)
    tyfcb = score.area("tyfcb")
    # 3,000.00 EUR: at least 2,500 → 5 points
    assert (tyfcb.count, tyfcb.points) == (3000, 5)
    # 15 + 10 + 5 + 20 + 5 + 5 = 60: yellow (50 ≤ 60 < 70)
    assert score.total == 60 and score.colour == "yellow"

    # Without "late counts half" the L is no absence: 2 absences → at most 2 → 10 points.
    circle.late_counts_half = False
    again = services.member_score(circle, bernd, today=TODAY)
    assert again.area("attendance").count == 2 and again.area("attendance").points == 10
    assert again.total == 65


def test_the_window_ends_are_inclusive_and_nothing_outside_counts(ctx, world):
    circle, bernd, clara = loaded(world)
    log = Log(circle, bernd, clara)
    for day in (date(2025, 1, 1), date(2025, 6, 30)):
        log.referral(day)
        log.one_to_one(day)
        log.credit(day, 60)
    for day in (date(2024, 12, 31), date(2025, 7, 1), date(2025, 7, 15)):
        log.referral(day)
        log.one_to_one(day)
        log.credit(day, 60)
    db.session.flush()
    score = services.member_score(circle, bernd, today=TODAY)
    counts = {a.area: a.count for a in score.areas}
    assert counts["referrals"] == counts["one_to_ones"] == 2
    assert counts["education"] == 2
    # On the first of a month the window moves on by a whole month.
    moved = services.member_score(circle, bernd, today=date(2025, 8, 1))
    assert (moved.period.start, moved.period.end) == (date(2025, 2, 1), date(2025, 7, 31))
    assert moved.area("referrals").count == 3  # 30 Jun, 1 Jul, 15 Jul


def test_a_member_with_nothing_logged_scores_only_attendance(ctx, world):
    circle, bernd, _clara = loaded(world)
    score = services.member_score(circle, bernd, today=TODAY)
    assert [(a.area, a.points) for a in score.areas] == [
        ("attendance", 20),
        ("referrals", 0),
        ("visitors", 0),
        ("one_to_ones", 0),
        ("education", 0),
        ("tyfcb", 0),
    ]
    assert score.total == 20 and score.colour == "grey"


def test_the_total_is_capped_at_100(ctx, world):
    circle, bernd, clara = loaded(world)
    log = Log(circle, bernd, clara)
    for day in wednesdays(date(2025, 1, 1), 26):
        log.referral(day)
        log.one_to_one(day)
        log.credit(day, 60)
    for day in wednesdays(date(2025, 1, 1), 6):
        log.visitor(day)
    log.thanked(date(2025, 3, 3), 1_000_000)
    db.session.flush()
    score = services.member_score(circle, bernd, today=TODAY)
    # 20 x 5 areas + 10 for 10,000.00 EUR thanked = 110, capped at 100
    assert sum(a.points for a in score.areas) == 110
    assert score.total == 100 and score.colour == "green"


# --- colours and tiers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "colour"),
    [(100, "green"), (70, "green"), (69, "yellow"), (50, "yellow"), (49, "red"), (30, "red"),
     (29, "grey"), (0, "grey")],
)  # fmt: skip
def test_colours_at_the_default_thresholds(total, colour):
    circle = Circle(score_green_min=70, score_yellow_min=50, score_red_min=30)
    assert services.colour_of(circle, total) == colour


def test_colours_follow_the_circles_thresholds():
    circle = Circle(score_green_min=90, score_yellow_min=60, score_red_min=0)
    assert [services.colour_of(circle, t) for t in (90, 89, 60, 59, 0)] == [
        "green",
        "yellow",
        "yellow",
        "red",
        "red",
    ]


def test_tiers_are_reached_exactly_at_their_threshold():
    referrals = DEFAULT_TABLE["referrals"]
    assert tier_reached("referrals", referrals, Fraction(1)) == 0
    assert tier_reached("referrals", referrals, Fraction(3, 4)) == 1
    assert tier_reached("referrals", referrals, Fraction(3, 4) - Fraction(1, 10**9)) == 2
    assert tier_reached("referrals", referrals, Fraction(1, 5)) is None
    attendance = DEFAULT_TABLE["attendance"]
    assert tier_reached("attendance", attendance, Fraction(0)) == 0
    assert tier_reached("attendance", attendance, Fraction(1, 2)) == 1
    assert tier_reached("attendance", attendance, Fraction(3)) == 3
    assert tier_reached("attendance", attendance, Fraction(7, 2)) is None


def test_point_tables_are_validated(app):
    with app.test_request_context():
        table = validate_table({"referrals": [["0,5", "10"], [1, 20]]})
        assert table["referrals"] == [[1, 20], [0.5, 10]]  # best first
        assert table["attendance"] == DEFAULT_TABLE["attendance"]  # left out: default
        for bad, message in [
            ({"referrals": []}, "between 1 and 6 tiers"),
            ({"referrals": [[1, 20], [1, 10]]}, "only once"),
            ({"referrals": [[1, 10], [0.5, 20]]}, "harder tier"),
            ({"attendance": [[0, 5], [3, 20]]}, "harder tier"),
            ({"referrals": [["eins", 20]]}, "Please enter a number."),
            ({"referrals": [[-1, 20]]}, "from 0 to"),
            ({"referrals": [[1, 101]]}, "from 0 to 100"),
            ({"referrals": [[1, 2.5]]}, "whole numbers"),
            ({"tyfcb": [["2500,50", 5]]}, "whole currency units"),  # money: no fractions
            ({"golf": [[1, 20]]}, "Unknown area"),
            ([], "must be an object"),
        ]:
            with pytest.raises(ValidationFailed, match=message):
                validate_table(bad)


def test_a_circles_own_table_changes_the_points(ctx, world):
    circle, bernd, clara = loaded(world)
    log = Log(circle, bernd, clara)
    for day in wednesdays(date(2025, 1, 8), 13):  # 13 / 25.857 = 0.503 per week
        log.referral(day)
    db.session.flush()
    assert services.member_score(circle, bernd, today=TODAY).area("referrals").points == 10
    circle.score_table = validate_table({"referrals": [[0.5, 25]]})
    assert services.member_score(circle, bernd, today=TODAY).area("referrals").points == 25


# --- pages -------------------------------------------------------------------------------


def test_a_member_sees_their_score_and_why(app, client, auth, world):
    circle, bernd = world["circle"], world["bernd"]
    auth.login(bernd.user)
    response = client.get(f"/circles/{circle.id}/score")
    body = text(response)
    assert response.status_code == 200
    assert "My score" in body and "20 of 100 points" in body
    assert "0 absences" in body and "tier 1 reached: at most 0 absences" in body
    assert "0 referrals given" in body and "below every tier" in body
    assert "next: at least 0.25 per week for 5 points" in body
    # Another member's score, the chapter view and the table editor are not for members.
    assert client.get(f"/circles/{circle.id}/scores/{world['clara'].id}").status_code == 403
    assert client.get(f"/circles/{circle.id}/scores").status_code == 403
    assert client.get(f"/circles/{circle.id}/scores/table").status_code == 403
    assert client.get(f"/circles/{world['other'].id}/score").status_code == 404


def test_leadership_sees_the_chapter_and_each_member(app, client, auth, world, make):
    circle, clara = world["circle"], world["clara"]
    host = make.officer(clara, "visitor_host")
    auth.login(host.user)
    chapter = client.get(f"/circles/{circle.id}/scores")
    body = text(chapter)
    assert chapter.status_code == 200
    assert "Scores of the chapter" in body and "Bernd Bau" in body and "Anna Admin" in body
    # Nobody logged anything: everyone has 20 points (attendance) and is grey.
    assert 'data-colour="grey">3<' in body.replace("\n", "")
    assert client.get(f"/circles/{circle.id}/scores/{world['bernd'].id}").status_code == 200
    # Another circle's member is not found; editing the table needs edit_settings.
    assert client.get(f"/circles/{circle.id}/scores/999999").status_code == 404
    assert client.get(f"/circles/{circle.id}/scores/table").status_code == 403
    assert "/scores/table" not in body


def test_the_table_editor_saves_a_valid_table_and_refuses_a_bad_one(app, client, auth, world):
    circle = world["circle"]
    auth.login(world["anna"])
    page = f"/circles/{circle.id}/scores/table"
    form = text(client.get(page))
    assert 'value="0.75"' in form  # the user's locale: 0,75 in German
    bad = submit(client, page, page, {"referrals_0_at": "1", "referrals_0_points": "5"})
    assert bad.status_code == 422
    assert "Referrals given: a harder tier cannot give fewer points than an easier one." in text(
        bad
    )
    crossed = submit(client, page, page, {"green_min": "40", "yellow_min": "50"})
    assert crossed.status_code == 422
    assert "The thresholds must rise from red to yellow to green." in text(crossed)
    with app.app_context():
        stored = db.session.get(Circle, circle.id)
        assert stored.score_table is None and stored.score_green_min == 70

    done = submit(
        client,
        page,
        page,
        {"referrals_3_at": "", "referrals_3_points": "", "green_min": "80", "red_min": "20"},
    )
    assert done.status_code == 302
    with app.app_context():
        stored = db.session.get(Circle, circle.id)
        assert stored.score_table["referrals"] == [[1, 20], [0.75, 15], [0.5, 10]]
        assert (stored.score_green_min, stored.score_yellow_min, stored.score_red_min) == (
            80,
            50,
            20,
        )
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.entity == "circle")
        ).scalar_one()
        assert entry.action == "edit" and entry.after["score_green_min"] == 80


def test_the_chapter_shows_every_change_made_after_it_was_seen(app, client, auth, world):
    """The chapter's rows are kept between views: an absence recorded, a new name and
    another language each show on the next view."""
    circle, bernd = world["circle"], world["bernd"]
    auth.login(world["anna"])
    page = f"/circles/{circle.id}/scores"

    def bernds_row() -> str:
        body = text(client.get(page)).replace("\n", "")
        start = body.index(f'data-member="{bernd.id}"')
        return body[start : body.index("</tr>", start)]

    assert 'data-total="20"' in bernds_row() and "Bernd Bau" in bernds_row()
    with app.app_context():
        day = services.window(db.session.get(Circle, circle.id)).start
        log = Log(db.session.get(Circle, circle.id), db.session.get(Membership, bernd.id), None)
        for week in range(3):
            log.attendance(day + timedelta(weeks=week), "A")
        db.session.commit()
    assert 'data-total="20"' not in bernds_row()
    with app.app_context():
        db.session.get(Membership, bernd.id).user.name = "Bernd Neu"
        db.session.commit()
    assert "Bernd Neu" in bernds_row() and ">grey<" in bernds_row()
    with app.app_context():
        db.session.get(User, world["anna"].id).locale = "de"
        db.session.commit()
    assert ">Grau<" in bernds_row()
