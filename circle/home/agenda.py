"""What to do now in a circle: the numbers behind the circle's home page.

A member's agenda (referrals waiting for my status, won referrals not yet thanked for, my
next meeting and my answer, this week's one-to-ones, my dues, my give-and-take scale,
my score, the circle's seats taken) is one statement: a row of scalar subqueries over my
own membership, with the next meeting and the dues plan joined in. The officers' agenda
(applications waiting, this week's report unlocked, seats at risk, overdue dues) is a
second one, asked only of those whose roles do that work. Both cost the same at 4 members
or 40 and at any length of history (every subquery is bounded by a window or an index).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import Select, and_, bindparam, case, exists, func, or_, select

from circle.balance.services import tips
from circle.core.clock import utcnow
from circle.core.periods import Period, add_months
from circle.core.weeks import today_for, week_start
from circle.db import count_where, plan_once, sum_where
from circle.dues.services import DuesStatus, status_of
from circle.extensions import db
from circle.meetings.absence import window_start
from circle.models import (
    Attendance,
    Circle,
    ClosedBusiness,
    DuesPlan,
    Invitation,
    Meeting,
    MeetingReply,
    Membership,
    OneToOne,
    Payment,
    Referral,
    Visitor,
    WeeklyReport,
)
from circle.models.invitation import first_seat_freed, reserving
from circle.roles.permissions import can
from circle.scores.services import MemberScore, score_from, window
from circle.scores.single import measure_columns, measure_params, raw_from

#: How far back my give-and-take scale looks (months, up to today).
SCALE_MONTHS = 12


@dataclass(frozen=True)
class Scale:
    """My give and take over a period: referrals both ways and the revenue they brought."""

    period: Period
    given: int
    received: int
    revenue_generated: int  # minor units credited to me (others thanked me)
    revenue_received: int  # minor units I reported (I thanked others)
    lopsided: bool = False  # the revenue both ways tips by the circle's threshold

    @property
    def leaning(self) -> str:
        """``give`` when I gave clearly more referrals than I received, ``take`` for the
        reverse, ``even`` otherwise (within one referral or a fifth of the larger)."""
        gap = self.given - self.received
        if abs(gap) <= max(1, max(self.given, self.received) // 5):
            return "even"
        return "give" if gap > 0 else "take"

    @property
    def value_leaning(self) -> str:
        """The same for the revenue: ``give`` when what I brought others outweighs what they
        brought me by the circle's lopsided threshold (``lopsided`` is set from it),
        ``take`` for the reverse, else ``even`` — the pharmacist and the photographer."""
        if not self.lopsided:
            return "even"
        return "give" if self.revenue_generated > self.revenue_received else "take"


@dataclass(frozen=True)
class MemberAgenda:
    """A member's to-dos and standing in one circle today."""

    today: date
    week: tuple[date, date]
    open_received: int
    won_unthanked: int
    next_meeting: Meeting | None
    answer: str | None
    one_to_ones_this_week: int
    dues: DuesStatus
    plan: DuesPlan | None
    seats_taken: int  # active seats plus seats reserved for invitees
    visitors_invited: int  # every visitor I brought, ever
    #: When the first seat reserved for an invitee is freed (its invitation expires; None
    #: without any): ``seats_taken`` holds until then.
    reservations_end: datetime | None
    scale: Scale
    score: MemberScore


@dataclass(frozen=True)
class OfficerAgenda:
    """The officers' to-dos; None where the reader's roles do not include that work."""

    applications: int | None
    report_week: date
    report_locked: bool | None
    seats_at_risk: int | None
    dues_overdue: int | None

    @property
    def anything(self) -> bool:
        """True when at least one item is the reader's work."""
        return any(
            value is not None
            for value in (
                self.applications,
                self.report_locked,
                self.seats_at_risk,
                self.dues_overdue,
            )
        )


def member_agenda(circle: Circle, me: Membership, now: datetime | None = None) -> MemberAgenda:
    """My agenda in ``circle`` (one statement). The next meeting is the first one not yet
    begun (during a meeting, the following one)."""
    now = now or utcnow()
    today = today_for(circle, now)
    week = (week_start(circle, today), week_start(circle, today) + timedelta(days=6))
    scale_period = Period(add_months(today, 1 - SCALE_MONTHS), today, "custom")
    score_period = window(circle, today)
    params = {
        "home_circle_id": circle.id,
        "home_member_id": me.id,
        "home_currency": circle.currency,
        "home_today": today,
        "home_now": now,
        "home_week_start": week[0],
        "home_week_end": week[1],
        "home_scale_start": scale_period.start,
        "home_scale_end": scale_period.end,
        **measure_params(circle, me.id, score_period),
    }
    plan_once(db.session)  # and the officers' agenda after it
    row = db.session.execute(_member_statement(), params).one()
    (
        open_received,
        won_unthanked,
        one_to_ones,
        paid_through,
        given,
        received,
        generated,
        reported,
        meeting,
        answer,
        plan,
        seated,
        reserved,
        visitors,
        reservations_end,
    ) = tuple(row)[:15]
    raw, meetings = raw_from(circle, row)
    return MemberAgenda(
        today=today,
        week=week,
        open_received=open_received,
        won_unthanked=won_unthanked,
        next_meeting=meeting,
        answer=answer,
        one_to_ones_this_week=one_to_ones,
        dues=status_of(plan, me, paid_through, today),
        plan=plan,
        seats_taken=seated + reserved,
        visitors_invited=visitors,
        reservations_end=reservations_end,
        scale=Scale(
            scale_period,
            given,
            received,
            int(generated),
            int(reported),
            lopsided=tips(circle, int(generated), int(reported)),
        ),
        score=score_from(circle, me, score_period, raw, meetings=meetings),
    )


@cache
def _member_statement() -> Select:
    """The statement of ``member_agenda``, built once per process: every value is a bound
    parameter (building it per request cost more than running it)."""
    circle_id, me_id = bindparam("home_circle_id"), bindparam("home_member_id")
    scale_start, scale_end = bindparam("home_scale_start"), bindparam("home_scale_end")
    now = bindparam("home_now")

    def referrals(*conditions):
        return (Referral.circle_id == circle_id, Referral.voided_at.is_(None), *conditions)

    def business(*conditions):
        return (
            ClosedBusiness.circle_id == circle_id,
            ClosedBusiness.voided_at.is_(None),
            ClosedBusiness.currency == bindparam("home_currency"),
            ClosedBusiness.closed_on >= scale_start,
            ClosedBusiness.closed_on <= scale_end,
            *conditions,
        )

    in_scale = (Referral.given_on >= scale_start, Referral.given_on <= scale_end)
    # A closed business for the referral, looked up by its index for each of my won
    # referrals. As a scalar subquery with LIMIT, not NOT EXISTS: PostgreSQL's generic plan
    # for the prepared statement turned NOT EXISTS into a hash anti-join over every closed
    # business of the circle (30,000 rows, 8 ms at ten slips a member a week).
    thanked = (
        select(ClosedBusiness.id)
        .where(
            ClosedBusiness.circle_id == circle_id,
            ClosedBusiness.referral_id == Referral.id,
            ClosedBusiness.voided_at.is_(None),
        )
        .limit(1)
        .scalar_subquery()
    )
    next_meeting = (
        select(Meeting.id)
        .where(
            Meeting.circle_id == circle_id,
            Meeting.status == "scheduled",
            Meeting.held_on >= bindparam("home_today"),  # (the index) and not yet begun:
            Meeting.starts_at > now,
        )
        .order_by(Meeting.held_on)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            count_where(
                Referral, *referrals(Referral.receiver_id == me_id, Referral.status == "new")
            ),
            count_where(
                Referral,
                *referrals(
                    Referral.receiver_id == me_id, Referral.status == "won", thanked.is_(None)
                ),
            ),
            count_where(
                OneToOne,
                OneToOne.circle_id == circle_id,
                OneToOne.voided_at.is_(None),
                OneToOne.met_on >= bindparam("home_week_start"),
                OneToOne.met_on <= bindparam("home_week_end"),
                or_(OneToOne.member_a_id == me_id, OneToOne.member_b_id == me_id),
            ),
            select(func.max(Payment.period_end))
            .where(Payment.circle_id == circle_id, Payment.membership_id == me_id)
            .scalar_subquery(),
            count_where(Referral, *referrals(Referral.giver_id == me_id, *in_scale)),
            count_where(Referral, *referrals(Referral.receiver_id == me_id, *in_scale)),
            sum_where(ClosedBusiness.amount_minor, *business(ClosedBusiness.thanked_id == me_id)),
            sum_where(ClosedBusiness.amount_minor, *business(ClosedBusiness.reporter_id == me_id)),
            Meeting,
            select(MeetingReply.answer)
            .where(
                MeetingReply.circle_id == circle_id,
                MeetingReply.membership_id == me_id,
                MeetingReply.meeting_id == next_meeting,
            )
            .scalar_subquery(),
            DuesPlan,
            count_where(
                Membership,
                Membership.circle_id == circle_id,
                Membership.status == "active",
                Membership.profession_id.is_not(None),
            ),
            count_where(Invitation, Invitation.circle_id == circle_id, *reserving(now)),
            count_where(Visitor, Visitor.circle_id == circle_id, Visitor.invited_by_id == me_id),
            first_seat_freed(circle_id, now),
            *measure_columns(),
        )
        .select_from(Membership)
        .outerjoin(Meeting, and_(Meeting.circle_id == circle_id, Meeting.id == next_meeting))
        .outerjoin(DuesPlan, and_(DuesPlan.circle_id == circle_id, DuesPlan.archived_at.is_(None)))
        .where(Membership.circle_id == circle_id, Membership.id == me_id)
    )


def officer_agenda(
    circle: Circle, me: Membership, plan: DuesPlan | None, now: datetime | None = None
) -> OfficerAgenda:
    """The officers' agenda as far as ``me`` does that work (one statement, none when
    ``me`` does none of it)."""
    today = today_for(circle, now)
    report_week = week_start(circle, today)
    wanted = {
        "applications": can(me, "approve_applications"),
        "report": can(me, "lock_weekly_report"),
        "risk": can(me, "view_absence_risk"),
        "dues": can(me, "manage_dues") and plan is not None,
    }
    names = tuple(name for name, asked in wanted.items() if asked)
    if not names:
        return OfficerAgenda(None, report_week, None, None, None)
    params = {
        "officer_circle_id": circle.id,
        "officer_report_week": report_week,
        "officer_today": today,
        "officer_risk_start": window_start(today, circle.absence_window_months),
        "officer_risk_halves": 2 * circle.absence_limit,
    }
    if plan is not None:
        params["officer_paid_before"] = today - timedelta(days=plan.grace_days + 1)
        params["officer_joined_before"] = datetime.combine(
            today - timedelta(days=plan.grace_days), time(), UTC
        )
    statement = _officer_statement(names, bool(circle.late_counts_half))
    values = dict(zip(names, db.session.execute(statement, params).one(), strict=True))
    return OfficerAgenda(
        applications=values.get("applications"),
        report_week=report_week,
        report_locked=bool(values["report"]) if "report" in values else None,
        seats_at_risk=values.get("risk"),
        dues_overdue=values.get("dues"),
    )


@cache
def _officer_statement(names: tuple[str, ...], late_counts_half: bool) -> Select:
    """The statement of ``officer_agenda`` for the items asked (``names``), built once
    per process with every value a bound parameter (building it per request cost about
    as much as running it)."""
    circle_id = bindparam("officer_circle_id")
    columns = {
        "applications": lambda: count_where(
            Membership, Membership.circle_id == circle_id, Membership.status == "applicant"
        ),
        "report": lambda: exists().where(
            WeeklyReport.circle_id == circle_id,
            WeeklyReport.week_start == bindparam("officer_report_week"),
        ),
        "risk": lambda: _at_risk(circle_id, late_counts_half),
        "dues": lambda: _overdue(circle_id),
    }
    return select(*(columns[name]() for name in names))


def _at_risk(circle_id, late_counts_half: bool):
    """How many seat holders have more absences in the window than the circle allows
    (the rule of ``circle.meetings.absence``: A counts 1, L ½ where late counts half),
    counted in halves so the database compares whole numbers."""
    whens = [(Attendance.code == "A", 2)]
    if late_counts_half:
        whens.append((Attendance.code == "L", 1))
    halves = case(*whens, else_=0)
    over = (
        select(Attendance.membership_id)
        .join(
            Meeting,
            and_(Meeting.circle_id == Attendance.circle_id, Meeting.id == Attendance.meeting_id),
        )
        .join(
            Membership,
            and_(
                Membership.circle_id == Attendance.circle_id,
                Membership.id == Attendance.membership_id,
            ),
        )
        .where(
            Attendance.circle_id == circle_id,
            Attendance.code.in_(("A", "L")),
            Meeting.status == "scheduled",
            Meeting.held_on > bindparam("officer_risk_start"),
            Meeting.held_on <= bindparam("officer_today"),
            Membership.status == "active",
            Membership.profession_id.is_not(None),
        )
        .group_by(Attendance.membership_id)
        .having(func.sum(halves) > bindparam("officer_risk_halves"))
        .subquery()
    )
    return select(func.count()).select_from(over).scalar_subquery()


def _overdue(circle_id):
    """How many active members' dues are overdue (``circle.dues.services.status_of``: the
    first unpaid day plus the plan's grace days lies before today)."""
    last_paid = (
        select(func.max(Payment.period_end))
        .where(Payment.circle_id == circle_id, Payment.membership_id == Membership.id)
        .correlate(Membership)
        .scalar_subquery()
    )
    paid_before = bindparam("officer_paid_before")
    joined_before = bindparam("officer_joined_before")
    return count_where(
        Membership,
        Membership.circle_id == circle_id,
        Membership.status == "active",
        or_(
            and_(last_paid.is_not(None), last_paid < paid_before),
            and_(last_paid.is_(None), Membership.joined_at < joined_before),
            and_(
                last_paid.is_(None),
                Membership.joined_at.is_(None),
                Membership.created_at < joined_before,
            ),
        ),
    )
