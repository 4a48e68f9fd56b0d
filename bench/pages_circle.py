"""The circle of the pages benchmark (``bench/pages.py``): a chapter with years of history.

40 members with real professions and demo profiles (wishes and a photo; the search index
rebuilt), the first an admin who is also the president, the second a plain member; both
can log in and hold an API token. Every week of the history has a meeting with
attendance for every member, referrals and closed business (``bench.support``), about
twelve one-to-ones and six education credits; the week's report is locked (all but the
last two weeks); a meeting around Christmas is cancelled; every other week a visitor
comes; a yearly dues plan is paid by every member every year (one is overdue now).

Volume goes in by bulk inserts, each with the audit entries its service would have
written (same entity, action, actor and snapshot fields, dated on the day of the entry);
the handful of roles, profiles, visitors, dues plan and payments go through the services.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from sqlalchemy import insert, select, text

from bench.support import PROFESSIONS, add_history, make_circle
from circle.auth.services import create_api_token
from circle.core.clock import utcnow
from circle.core.weeks import today_for, week_start
from circle.db import unit_of_work
from circle.dues import services as dues
from circle.extensions import db
from circle.meetings.schedule import WEEKS_AHEAD, meeting_start
from circle.models import (
    Attendance,
    AuditEntry,
    Circle,
    EducationCredit,
    Meeting,
    Membership,
    OneToOne,
    WeeklyReport,
)
from circle.profiles.demo import load_demo_profiles
from circle.profiles.search import rebuild
from circle.roles import services as roles
from circle.visitors import services as visitors

ADMIN_EMAIL = "pages-admin@example.org"
MEMBER_EMAIL = "bench1@example.org"  # make_circle's second login
ONE_TO_ONES_PER_WEEK = 12
CREDITS_PER_WEEK = 6
DUES_MINOR = 60_000
TOPICS = ("Podcast: Empfehlungsmarketing", "Workshop Präsentation", "Buch: Networking")
#: Attendance codes by cumulative share: 3 % absent, 3 % late, 2 % substitute, 1 % medical.
CODES = (("A", 0.03), ("L", 0.06), ("S", 0.08), ("M", 0.09))
GUEST_TRADES = ("Tischlerei", "Optiker", "Bestattungen", "Webdesign", "Friseur", "Gartenbau")


@dataclass
class Built:
    """What the pages need to know about the circle that was built."""

    circle_id: int
    admin_id: int
    member_id: int
    other_id: int  # a fellow member whose profile and score are opened
    admin_token: str
    member_token: str
    first: date
    today: date
    week: date  # the first day of this week
    counts: dict[str, int] = field(default_factory=dict)


def at(day: date, hour: int = 8) -> datetime:
    """An aware UTC time on ``day`` (when a bulk entry's audit entry was written)."""
    return datetime.combine(day, clock(hour), tzinfo=UTC)


def build(app, years: int, per_week: float, seed: int = 1) -> Built:
    """Build the circle: ``years`` of weekly history with ``per_week`` referrals a week."""
    rng = random.Random(seed)
    with app.test_request_context():
        with unit_of_work(db.session):
            joined = utcnow() - timedelta(days=round(years * 365.25) + 14)
            circle_id, members = make_circle(
                ADMIN_EMAIL,
                name="Kreis Seiten",
                professions=PROFESSIONS,
                logins=2,
                joined_at=joined,
            )
            circle = db.session.get(Circle, circle_id)
            today = today_for(circle)
            first = week_start(circle, today - timedelta(days=round(years * 365.25)))
            week = week_start(circle, today)
            seats = [db.session.get(Membership, member_id) for member_id in members]
            admin = seats[0]
            roles.grant(circle, admin, admin.id, "president")
            load_demo_profiles([(seat.user, PROFESSIONS[n]) for n, seat in enumerate(seats)])
            rebuild(db.session.connection())
            referrals, business = add_history(circle_id, members, first, today, per_week, seed)
            audit_slips(circle_id)
            users = {seat.id: seat.user_id for seat in seats}
            meetings = add_meetings(circle, first, today, admin)
            held = [m for m in meetings if m.held_on < today and m.status == "scheduled"]
            counts = {
                "referrals": referrals,
                "closed business": business,
                "meetings": len(meetings),
                "attendance": add_attendance(circle_id, held, users, admin.user_id, rng),
                "locks": add_locks(circle, today, admin),
                "one-to-ones": add_one_to_ones(circle_id, users, first, today, rng),
                "credits": add_credits(circle_id, users, first, today, rng),
                "visitors": add_visitors(circle, admin, held, members, rng),
                "payments": add_dues(circle, admin, members, first, today),
            }
            admin_token = create_api_token(admin.user, "bench pages")[1]
            member_token = create_api_token(seats[1].user, "bench pages")[1]
        settle()
        with unit_of_work(db.session):
            counts["audit entries"] = db.session.execute(
                select(db.func.count()).select_from(AuditEntry)
            ).scalar_one()
    return Built(
        circle_id,
        members[0],
        members[1],
        members[2],
        admin_token,
        member_token,
        first,
        today,
        week,
        counts,
    )


def settle() -> None:
    """VACUUM ANALYZE the database, as autovacuum does on a database in use: fresh planner
    statistics, and a visibility map that lets PostgreSQL answer from an index alone (right
    after a bulk load it must visit every table row the index names, and then plans the
    scores' attendance as a scan of the whole table)."""
    db.session.remove()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("VACUUM ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE")


def audit_slips(circle_id: int) -> None:
    """The audit entries the referral services write: each slip and closed business
    created (by the giver, by the reporter), a receiver's status move, a void."""
    snapshot = (
        "json_build_object('giver_id', r.giver_id, 'receiver_id', r.receiver_id, "
        "'given_on', to_char(r.given_on, 'YYYY-MM-DD'), 'kind', r.kind, 'hotness', r.hotness, "
        "'sphere', r.sphere, 'prospect_name', r.prospect_name, 'prospect_phone', "
        "r.prospect_phone, 'prospect_email', r.prospect_email, 'note', r.note, 'status', 'new')"
    )
    columns = "circle_id, entity, entity_id, action, actor_id, before, after, created_at"
    day = "(r.given_on + time '08:00') AT TIME ZONE 'UTC'"
    joins = (
        "FROM referrals r JOIN memberships g ON g.circle_id = r.circle_id AND g.id = r.giver_id "
        "JOIN memberships v ON v.circle_id = r.circle_id AND v.id = r.receiver_id "
        "WHERE r.circle_id = :circle"
    )
    statements = [
        f"SELECT r.circle_id, 'referral', r.id, 'create', g.user_id, NULL, {snapshot}, {day} "
        f"{joins}",
        "SELECT r.circle_id, 'referral', r.id, 'status', v.user_id, "
        "json_build_object('status', 'new'), json_build_object('status', r.status), "
        f"{day} + interval '7 days' {joins} AND r.status <> 'new'",
        "SELECT r.circle_id, 'referral', r.id, 'void', g.user_id, NULL, "
        f"json_build_object('void_reason', r.void_reason), {day} + interval '1 day' "
        f"{joins} AND r.voided_at IS NOT NULL",
        "SELECT b.circle_id, 'closed_business', b.id, 'create', p.user_id, NULL, "
        "json_build_object('thanked_id', b.thanked_id, 'reporter_id', b.reporter_id, "
        "'referral_id', b.referral_id, 'amount_minor', b.amount_minor, 'currency', b.currency, "
        "'closed_on', to_char(b.closed_on, 'YYYY-MM-DD'), 'kind', b.kind, 'note', b.note), "
        "(b.closed_on + time '09:00') AT TIME ZONE 'UTC' FROM closed_business b "
        "JOIN memberships p ON p.circle_id = b.circle_id AND p.id = b.reporter_id "
        "WHERE b.circle_id = :circle",
    ]
    for statement in statements:
        db.session.execute(
            text(f"INSERT INTO audit_entries ({columns}) {statement}"), {"circle": circle_id}
        )


def add_audit(circle_id: int, entity: str, action: str, rows: list[tuple]) -> None:
    """Bulk-insert audit entries: ``(entity_id, actor user id, after, created_at[, before])``."""
    if rows:
        db.session.execute(
            insert(AuditEntry),
            [
                {
                    "circle_id": circle_id,
                    "entity": entity,
                    "entity_id": entity_id,
                    "action": action,
                    "actor_id": actor_id,
                    "before": before[0] if before else None,
                    "after": after,
                    "created_at": created_at,
                }
                for entity_id, actor_id, after, created_at, *before in rows
            ],
        )


def add_meetings(circle: Circle, first: date, today: date, admin: Membership) -> list[Meeting]:
    """A meeting every week from ``first`` to ``WEEKS_AHEAD`` weeks ahead; the one in
    Christmas week of each past year is cancelled (audited as the service does)."""
    last = week_start(circle, today) + timedelta(weeks=WEEKS_AHEAD)
    days = [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    rows = []
    for day in days:
        holiday = day.month == 12 and 22 <= day.day <= 28 and day < today
        rows.append(
            {
                "circle_id": circle.id,
                "held_on": day,
                "starts_at": meeting_start(circle, day),
                "duration_minutes": circle.meeting_minutes,
                "place": circle.meeting_place,
                "video_link": circle.meeting_link,
                "status": "cancelled" if holiday else "scheduled",
                "cancel_reason": "Feiertag" if holiday else "",
                "cancelled_at": at(day - timedelta(days=14)) if holiday else None,
            }
        )
    db.session.execute(insert(Meeting), rows)
    meetings = list(
        db.session.execute(
            select(Meeting).where(Meeting.circle_id == circle.id).order_by(Meeting.held_on)
        ).scalars()
    )
    add_audit(
        circle.id,
        "meeting",
        "cancel",
        [
            (
                m.id,
                admin.user_id,
                {"cancel_reason": m.cancel_reason, "status": "cancelled"},
                at(m.held_on - timedelta(days=14)),
                {"cancel_reason": "", "status": "scheduled"},
            )
            for m in meetings
            if m.status == "cancelled"
        ],
    )
    return meetings


def add_attendance(
    circle_id: int, held: list[Meeting], users: dict[int, int], recorder: int, rng
) -> int:
    """Attendance of every member at every meeting held: mostly P, some A, L, S, M."""
    rows = []
    for meeting in held:
        for member_id in users:
            roll = rng.random()
            code = next((c for c, share in CODES if roll < share), "P")
            rows.append(
                {
                    "circle_id": circle_id,
                    "meeting_id": meeting.id,
                    "membership_id": member_id,
                    "code": code,
                    "substitute_name": "Vertretung aus dem Team" if code == "S" else "",
                    "recorded_by_id": recorder,
                    "created_at": at(meeting.held_on, 9),
                }
            )
    if not rows:
        return 0
    ids = db.session.execute(
        insert(Attendance).returning(Attendance.id, sort_by_parameter_order=True), rows
    ).scalars()
    add_audit(
        circle_id,
        "attendance",
        "record",
        [
            (
                entry_id,
                recorder,
                {k: row[k] for k in ("membership_id", "code", "substitute_name")},
                row["created_at"],
            )
            for entry_id, row in zip(ids, rows, strict=True)
        ],
    )
    return len(rows)


def add_locks(circle: Circle, today: date, admin: Membership) -> int:
    """Every week's report locked by the president, but the last two weeks'."""
    open_from = week_start(circle, today) - timedelta(weeks=1)
    starts = list(
        db.session.execute(
            select(Meeting.held_on).where(
                Meeting.circle_id == circle.id, Meeting.held_on < open_from
            )
        ).scalars()
    )
    rows = [
        {
            "circle_id": circle.id,
            "week_start": week_start(circle, day),
            "locked_by_id": admin.id,
            "locked_at": at(day + timedelta(days=7)),
        }
        for day in starts
    ]
    if not rows:
        return 0
    ids = db.session.execute(
        insert(WeeklyReport).returning(WeeklyReport.id, sort_by_parameter_order=True), rows
    ).scalars()
    add_audit(
        circle.id,
        "weekly_report",
        "lock",
        [
            (
                lock_id,
                admin.user_id,
                {"week_start": row["week_start"].isoformat()},
                row["locked_at"],
            )
            for lock_id, row in zip(ids, rows, strict=True)
        ],
    )
    return len(rows)


def _weeks(first: date, today: date) -> list[date]:
    """The first day of every week from ``first`` up to ``today``."""
    return [first + timedelta(weeks=n) for n in range((today - first).days // 7 + 1)]


def add_one_to_ones(circle_id: int, users: dict[int, int], first: date, today: date, rng) -> int:
    """About twelve one-to-ones a week between random pairs (once per pair and day)."""
    members = list(users)
    seen, rows = set(), []
    for week in _weeks(first, today):
        for _ in range(ONE_TO_ONES_PER_WEEK):
            a, b = sorted(rng.sample(members, 2))
            met_on = min(today, week + timedelta(days=rng.randrange(7)))
            if (a, b, met_on) in seen:
                continue
            seen.add((a, b, met_on))
            rows.append(
                {
                    "circle_id": circle_id,
                    "member_a_id": a,
                    "member_b_id": b,
                    "met_on": met_on,
                    "note": "",
                    "created_by_id": users[a],
                    "created_at": at(met_on, 18),
                }
            )
    ids = db.session.execute(
        insert(OneToOne).returning(OneToOne.id, sort_by_parameter_order=True), rows
    ).scalars()
    fields = ("member_a_id", "member_b_id", "note")
    add_audit(
        circle_id,
        "one_to_one",
        "create",
        [
            (
                entry_id,
                row["created_by_id"],
                {**{k: row[k] for k in fields}, "met_on": row["met_on"].isoformat()},
                row["created_at"],
            )
            for entry_id, row in zip(ids, rows, strict=True)
        ],
    )
    return len(rows)


def add_credits(circle_id: int, users: dict[int, int], first: date, today: date, rng) -> int:
    """About six education credits a week, each a member's own entry."""
    members = list(users)
    rows = []
    for week in _weeks(first, today):
        for member_id in rng.sample(members, CREDITS_PER_WEEK):
            done = min(today, week + timedelta(days=rng.randrange(7)))
            rows.append(
                {
                    "circle_id": circle_id,
                    "membership_id": member_id,
                    "topic": rng.choice(TOPICS),
                    "minutes": rng.choice((30, 45, 60)),
                    "completed_on": done,
                    "created_by_id": users[member_id],
                    "created_at": at(done, 20),
                }
            )
    ids = db.session.execute(
        insert(EducationCredit).returning(EducationCredit.id, sort_by_parameter_order=True), rows
    ).scalars()
    add_audit(
        circle_id,
        "education_credit",
        "create",
        [
            (
                entry_id,
                row["created_by_id"],
                {
                    "membership_id": row["membership_id"],
                    "topic": row["topic"],
                    "minutes": row["minutes"],
                    "completed_on": row["completed_on"].isoformat(),
                },
                row["created_at"],
            )
            for entry_id, row in zip(ids, rows, strict=True)
        ],
    )
    return len(rows)


def add_visitors(circle: Circle, admin: Membership, held: list[Meeting], members, rng) -> int:
    """A visitor every other week, invited by a member (the service); some come twice."""
    made = 0
    for n, meeting in enumerate(held[::2]):
        visitor = visitors.record_visitor(
            circle,
            admin,
            name=f"Gast {n + 1}",
            profession=GUEST_TRADES[n % len(GUEST_TRADES)],
            invited_by_id=rng.choice(members[1:]),
            meeting_id=meeting.id,
            company=f"Gast {n + 1} GmbH",
            email=f"gast{n + 1}@example.org",
        )
        later = held.index(meeting) + 1
        if n % 5 == 0 and later < len(held):
            visitors.add_visit(circle, admin, visitor.id, held[later].id)
        made += 1
    return made


def add_dues(
    circle: Circle, admin: Membership, members: list[int], first: date, today: date
) -> int:
    """A yearly plan of 600 €, paid by every member for every year (the service); the last
    member has not paid this year and is overdue."""
    plan = dues.set_plan(circle, admin, dues.PlanInput(amount_minor=DUES_MINOR, interval="year"))
    made = 0
    for year in range(first.year, today.year + 1):
        start = date(year, 1, 1)
        paid_on = min(start + timedelta(days=10), today)
        for member_id in members:
            if year == today.year and member_id == members[-1]:
                continue
            dues.record_manual_payment(
                circle,
                admin,
                member_id,
                DUES_MINOR,
                start,
                dues.period_end(plan, start),
                paid_on,
                reference=f"Überweisung {year}",
            )
            made += 1
    return made


def logins() -> dict[str, str]:
    """The e-mail address each role logs in with."""
    return {"member": MEMBER_EMAIL, "admin": ADMIN_EMAIL}
