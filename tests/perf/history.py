"""Grow a circle of the isolation world into a full one, in bulk: 40 members and ten years
of weekly slips, thanks, meetings with attendance, one-to-ones, education, dues, visitors,
locked weeks and audit entries (a few thousand rows, inserted in well under a second)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import insert, select

from circle.balance.totals import rebuild as rebuild_pair_totals
from circle.core.clock import utcnow
from circle.extensions import db
from circle.meetings.schedule import meeting_start
from circle.models import (
    Attendance,
    AuditEntry,
    Circle,
    ClosedBusiness,
    EducationCredit,
    Meeting,
    Membership,
    MembershipRole,
    OneToOne,
    Payment,
    Profession,
    Referral,
    User,
    Visitor,
    VisitorVisit,
    WeeklyReport,
)
from circle.profiles.search import refresh

STATUSES = ("new", "contacted", "won", "lost")
CODES = ("P", "P", "L", "A", "M", "S")
#: What the audit trail records, the kinds with fields some readers may not see among them.
ENTITIES = ("referral", "closed_business", "payment", "membership", "meeting", "visitor")


def _ids(model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` into ``model``'s table in one statement; their new ids, in order."""
    return list(db.session.execute(insert(model).returning(model.id), rows).scalars())


def _newcomers(circle: Circle, count: int, since) -> list[int]:
    """``count`` active members (each with a profession of their own) who joined ``since``."""
    suffix = f"{circle.id}-{count}"
    professions = _ids(
        Profession,
        [{"name": f"Wachstum {suffix} {n}", "key": f"wachstum {suffix} {n}"} for n in range(count)],
    )
    users = _ids(
        User,
        [
            {
                "email": f"wachstum{suffix}-{n}@example.org",
                "stored_name": f"Wachstum Mitglied {n}",
                "password_hash": "x",
                "locale": "en",
            }
            for n in range(count)
        ],
    )
    seats = _ids(
        Membership,
        [
            {
                "circle_id": circle.id,
                "user_id": user_id,
                "profession_id": profession_id,
                "role": "member",
                "status": "active",
                "joined_at": since,
            }
            for user_id, profession_id in zip(users, professions, strict=True)
        ],
    )
    refresh(db.session.connection(), users)
    return seats


def _slips(circle: Circle, seats: list[int], days: list[date]) -> None:
    """Two referrals a week (one of them voided now and then) and one thank-you."""
    referrals = []
    for week, day in enumerate(days):
        for k in (1, 2):
            giver, receiver = seats[week % len(seats)], seats[(week * 7 + k) % len(seats)]
            if giver == receiver:
                receiver = seats[(week + k) % len(seats)]
            void = week % 50 == 3 and k == 1
            referrals.append(
                {
                    "circle_id": circle.id,
                    "giver_id": giver,
                    "receiver_id": receiver,
                    "given_on": day,
                    "kind": ("inside", "outside")[week % 2],
                    "hotness": 1 + week % 5,
                    "status": STATUSES[(week + k) % 4],
                    "prospect_name": f"Kunde {week}",
                    "voided_at": utcnow() if void else None,
                    "void_reason": "Tippfehler" if void else None,
                }
            )
    referral_ids = _ids(Referral, referrals)
    db.session.execute(
        insert(ClosedBusiness),
        [
            {
                "circle_id": circle.id,
                "thanked_id": row["giver_id"],
                "reporter_id": row["receiver_id"],
                "referral_id": referral_id if week % 3 else None,
                "amount_minor": 10_000 + 137 * week,
                "currency": circle.currency,
                "closed_on": row["given_on"],
                "kind": ("new", "repeat")[week % 2],
            }
            for week, (row, referral_id) in enumerate(
                zip(referrals[::2], referral_ids[::2], strict=True)
            )
        ],
    )
    rebuild_pair_totals(circle.id)  # the rows bypassed the services that keep the totals


def _meetings(circle: Circle, seats: list[int], days: list[date], admin_seat: int) -> None:
    """A meeting every fourth week (one in twenty cancelled) with everyone's attendance, a
    visitor at every tenth, and a locked report for each of the last 20 weeks."""
    held = days[1::4]
    meetings = _ids(
        Meeting,
        [
            {
                "circle_id": circle.id,
                "held_on": day,
                "starts_at": meeting_start(circle, day),
                "status": "cancelled" if n % 20 == 7 else "scheduled",
                "cancel_reason": "Feiertag" if n % 20 == 7 else "",
                "cancelled_at": utcnow() if n % 20 == 7 else None,
            }
            for n, day in enumerate(held)
        ],
    )
    attendance = []
    for n, meeting_id in enumerate(meetings):
        for m, seat in enumerate(seats):
            code = CODES[(n + m) % len(CODES)]
            attendance.append(
                {
                    "circle_id": circle.id,
                    "meeting_id": meeting_id,
                    "membership_id": seat,
                    "code": code,
                    "substitute_name": "Sam Stellvertreter" if code == "S" else "",
                }
            )
    db.session.execute(insert(Attendance), attendance)
    visitors = _ids(
        Visitor,
        [
            {
                "circle_id": circle.id,
                "name": f"Gast {n}",
                "profession_name": "Gärtnerei",
                "invited_by_id": seats[n % len(seats)],
            }
            for n in range(len(meetings[::10]))
        ],
    )
    db.session.execute(
        insert(VisitorVisit),
        [
            {"circle_id": circle.id, "visitor_id": visitor, "meeting_id": meeting}
            for visitor, meeting in zip(visitors, meetings[::10], strict=True)
        ],
    )
    db.session.execute(
        insert(WeeklyReport),
        [
            {"circle_id": circle.id, "week_start": day, "locked_by_id": admin_seat}
            for day in days[1:21]
        ],
    )


def _activity(circle: Circle, seats: list[int], days: list[date], admin_user: int) -> None:
    """A one-to-one every week, an education credit every other week, yearly dues for
    everyone, two more officers and an audit entry per week."""
    db.session.execute(
        insert(OneToOne),
        [
            {
                "circle_id": circle.id,
                "member_a_id": min(seats[w % len(seats)], seats[(w + 3) % len(seats)]),
                "member_b_id": max(seats[w % len(seats)], seats[(w + 3) % len(seats)]),
                "met_on": day,
            }
            for w, day in enumerate(days)
        ],
    )
    db.session.execute(
        insert(EducationCredit),
        [
            {
                "circle_id": circle.id,
                "membership_id": seats[w % len(seats)],
                "topic": f"Buch {w}",
                "minutes": 30 + w % 90,
                "completed_on": day,
            }
            for w, day in enumerate(days[::2])
        ],
    )
    years = sorted({day.year for day in days})
    db.session.execute(
        insert(Payment),
        [
            {
                "circle_id": circle.id,
                "membership_id": seat,
                "source": "manual",
                "amount_minor": 60_000,
                "currency": circle.currency,
                "period_start": date(year, 1, 1),
                "period_end": date(year, 12, 31),
                "paid_on": date(year, 1, 15),
            }
            for seat in seats
            for year in years[:-1]
        ],
    )
    db.session.execute(
        insert(MembershipRole),
        [
            {"circle_id": circle.id, "membership_id": seats[-1], "role": "president"},
            {"circle_id": circle.id, "membership_id": seats[-2], "role": "secretary_treasurer"},
        ],
    )
    db.session.execute(
        insert(AuditEntry),
        [
            {
                "circle_id": circle.id,
                "entity": ENTITIES[w % len(ENTITIES)],
                "entity_id": w + 1,
                "action": "create",
                "actor_id": admin_user,
                "after": {"note": f"Eintrag {w}"},
            }
            for w in range(len(days))
        ],
    )


def grow(app, circle_id: int, today: date, members: int = 40, years: int = 10) -> None:
    """Fill the circle up to ``members`` active members and ``years`` years of history that
    ends last week (this week's objects of the isolation world stay as they are)."""
    with app.app_context():
        circle = db.session.get(Circle, circle_id)
        current = [
            m.id for m in circle_members(circle_id) if m.status == "active" and m.role != "admin"
        ]
        admin = next(m for m in circle_members(circle_id) if m.role == "admin")
        since = utcnow() - timedelta(days=365 * years + 30)
        seats = current + _newcomers(circle, members - 1 - len(current), since)
        days = [today - timedelta(weeks=w) for w in range(1, 52 * years + 1)]
        _slips(circle, [admin.id, *seats], days)
        _meetings(circle, [admin.id, *seats], days, admin.id)
        _activity(circle, [admin.id, *seats], days, admin.user_id)
        db.session.commit()
        db.session.remove()


def circle_members(circle_id: int) -> list[Membership]:
    """Every membership of the circle, oldest first."""
    return list(
        db.session.execute(
            select(Membership).where(Membership.circle_id == circle_id).order_by(Membership.id)
        ).scalars()
    )
