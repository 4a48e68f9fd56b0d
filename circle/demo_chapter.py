"""Demo data for running the chapter: officers, half a year of meetings and attendance,
visitors, one-to-ones, education credits, locked weekly reports and the dues ledger.

Loaded by ``circle.demo.load_demo`` through the real services (no mails), once.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from circle.activity import services as activity
from circle.core.clock import utcnow
from circle.core.weeks import today_for, week_start
from circle.dues import services as dues
from circle.extensions import db
from circle.meetings import report
from circle.meetings import services as meetings
from circle.meetings.locks import lock_of
from circle.meetings.schedule import ensure_meetings
from circle.models import Attendance, Circle, Membership
from circle.roles import services as roles
from circle.visitors import services as visitors

#: Who holds which office (demo login → roles); Anna, the organiser, is the president.
OFFICERS = {
    "anna": ("president",),
    "thomas": ("vice_president",),
    "markus": ("secretary_treasurer",),
    "laura": ("membership_committee",),
    "katrin": ("visitor_host", "membership_committee"),
}
#: A member who missed too often: four absences in the last six months put the seat at risk.
OFTEN_ABSENT = "oliver"
#: Members who have not paid this year's dues: one in grace, one overdue.
UNPAID = ("frank", "tobias")
HISTORY_WEEKS = 32  # more than the score's window: the six months before this one
#: Members who bring a guest about once a month (the score's visitor area).
HOSTS = ("jens", "laura", "sabine")
GUEST_TRADES = ("Tischlerei", "Optiker", "Bestattungen", "Webdesign", "Friseur", "Gartenbau")
DUES_MINOR = 60_000  # 600 € a year


def load_demo_chapter(circle: Circle, actor: Membership, seed: int = 11) -> None:
    """Officers, meetings with attendance, visitors, activity, locks and dues (idempotent)."""
    if db.session.execute(
        select(Attendance.id).where(Attendance.circle_id == circle.id).limit(1)
    ).first():
        return
    rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not security  # nosec B311
    seats = _seats(circle)
    _officers(circle, actor, seats)
    today = today_for(circle)
    for seat in seats.values():  # the demo chapter has met for years, not since today
        seat.joined_at = min(seat.joined_at or utcnow(), utcnow() - timedelta(days=2 * 365))
    first = week_start(circle, today) - timedelta(weeks=HISTORY_WEEKS)
    held = ensure_meetings(circle, today=first, weeks_ahead=HISTORY_WEEKS + 12)
    past = [m for m in held if m.held_on <= today]
    holiday = past[len(past) // 2]
    meetings.cancel_meeting(circle, actor, holiday.id, "Feiertag")
    absences = {m.id for m in rng.sample([m for m in past if m.id != holiday.id], 4)}
    for meeting in past:
        if meeting.id != holiday.id:
            _attendance(circle, actor, meeting, seats, absences, rng)
    _visitors(circle, actor, seats, past, holiday)
    _activity(circle, seats, first, today, rng)
    for meeting in past[:-2]:  # the last two weeks are still open for late slips
        if lock_of(circle, week_start(circle, meeting.held_on)) is None:
            report.lock_week(circle, actor, meeting.held_on)
    _dues(circle, actor, seats, today)


def _seats(circle: Circle) -> dict[str, Membership]:
    """Active seats by demo login."""
    return {
        m.user.email.split("@")[0]: m
        for m in db.session.execute(
            select(Membership).where(
                Membership.circle_id == circle.id, Membership.status == "active"
            )
        ).scalars()
    }


def _officers(circle: Circle, actor: Membership, seats: dict[str, Membership]) -> None:
    """Hand out the offices."""
    for login, offices in OFFICERS.items():
        for office in offices:
            roles.grant(circle, actor, seats[login].id, office)


def _attendance(circle, actor, meeting, seats, absences, rng) -> None:
    """Mostly present; a few late, medical or sent a substitute; one member often absent."""
    items = []
    for login, seat in seats.items():
        if seat.profession_id is None:
            continue
        code, substitute = "P", ""
        roll = rng.random()
        if login == OFTEN_ABSENT and meeting.id in absences:
            code = "A"
        elif roll < 0.04:
            code = "L"
        elif roll < 0.06:
            code, substitute = "S", "Vertretung aus dem Team"
        elif roll < 0.07:
            code = "M"
        items.append(meetings.AttendanceInput(seat.id, code, substitute))
    meetings.record_attendance(circle, actor, meeting.id, items, notify=False)


def _visitors(circle, actor, seats, past, holiday) -> None:
    """Guests credited to their inviters: one came twice; three members bring one a month."""
    open_meetings = [m for m in past if m.id != holiday.id]
    guests = (
        ("Lena Vogel", "Vogel Catering", "Catering", "melanie", "lena.vogel@example.org"),
        ("Paul Berger", "Berger Sanitär", "Sanitär", "frank", ""),
        ("Mia Roth", "Roth Yoga", "Yoga", "claudia", "mia.roth@example.org"),
    )
    for n, (name, company, profession, inviter, address) in enumerate(guests):
        visitor = visitors.record_visitor(
            circle,
            actor,
            name=name,
            profession=profession,
            invited_by_id=seats[inviter].id,
            meeting_id=open_meetings[-(3 + 4 * n)].id,
            company=company,
            email=address,
        )
        if n == 0:
            visitors.add_visit(circle, actor, visitor.id, open_meetings[-2].id)
    for h, host in enumerate(HOSTS):
        for k, meeting in enumerate(open_meetings[h::4]):
            visitors.record_visitor(
                circle,
                actor,
                name=f"Gast {h * 20 + k + 1}",
                profession=GUEST_TRADES[(h * 7 + k) % len(GUEST_TRADES)],
                invited_by_id=seats[host].id,
                meeting_id=meeting.id,
            )


def _activity(circle, seats, first: date, today: date, rng) -> None:
    """One-to-ones between random pairs and education credits, over the half year."""
    members = [s for s in seats.values() if s.profession_id is not None]
    keen = members[: len(members) // 2]  # the first half meets every week; others less
    day = first
    while day <= today:
        for member in members:
            if member in keen or rng.random() < 0.4:
                other = rng.choice([m for m in members if m.id != member.id])
                try:
                    with db.session.begin_nested():
                        activity.record_one_to_one(
                            circle, member, activity.OneToOneInput(other.id, day, "")
                        )
                except activity.AlreadyRecorded:
                    pass
            if rng.random() < (0.8 if member in keen else 0.3):
                topic = rng.choice(
                    ("Podcast: Empfehlungsmarketing", "Workshop Präsentation", "Buch: Networking")
                )
                activity.add_education_credit(
                    circle, member, activity.CreditInput(topic, rng.choice((30, 45, 60)), day)
                )
        day += timedelta(weeks=1)


def _dues(circle, actor, seats, today: date) -> None:
    """A yearly plan of 600 €, paid by bank transfer; one member is in grace, one overdue."""
    plan = dues.set_plan(circle, actor, dues.PlanInput(amount_minor=DUES_MINOR, interval="year"))
    this_year = today.replace(month=1, day=1)
    lapsed = {UNPAID[0]: today - timedelta(days=5), UNPAID[1]: today - timedelta(days=60)}
    for login, seat in seats.items():
        if login in lapsed:
            end = lapsed[login]
            period_start = end.replace(year=end.year - 1) + timedelta(days=1)
        else:
            period_start, end = this_year, dues.period_end(plan, this_year)
        dues.record_manual_payment(
            circle,
            actor,
            seat.id,
            DUES_MINOR,
            period_start,
            end,
            min(period_start + timedelta(days=10), today),
            reference=f"Überweisung {seat.user.name}",
        )
