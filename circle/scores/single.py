"""A member's raw score numbers as columns of a single statement.

Every area's number is a scalar subquery: for one member (my score, the circle home page)
the subqueries take the member's id and cost one round trip, even alongside the other
numbers of the home page; for the whole chapter they take ``Membership.id`` and are
correlated to each row of the roster, so every member's numbers come in the same one
statement as the roster itself, at 4 members or 40 and whatever the history. The
counting rules are in the docstring of ``circle.scores.services``; a test compares one
member's numbers with the chapter's for the same data.
"""

from __future__ import annotations

from fractions import Fraction

from sqlalchemy import ColumnElement, and_, func, or_, select

from circle.core.periods import Period
from circle.db import count_where, sum_where
from circle.models import (
    Attendance,
    Circle,
    ClosedBusiness,
    EducationCredit,
    Meeting,
    OneToOne,
    Referral,
    Visitor,
    VisitorVisit,
)

CODES = ("P", "A", "L", "M", "S")


def measure_columns(
    circle: Circle, member_id: int | ColumnElement, period: Period
) -> list[ColumnElement]:
    """The member's raw numbers over ``period`` as labelled scalar subqueries
    (``score_referrals``, ``score_one_to_ones`` … ``score_meetings``); ``raw_from`` reads
    them back from the result row. ``member_id`` is a member's id, or ``Membership.id``
    of a statement over memberships (the subqueries then count for each row)."""

    def live(model, day) -> tuple:
        return (
            model.circle_id == circle.id,
            model.voided_at.is_(None),
            day >= period.start,
            day <= period.end,
        )

    held = (
        Meeting.circle_id == circle.id,
        Meeting.status == "scheduled",
        Meeting.held_on >= period.start,
        Meeting.held_on <= period.end,
    )
    first_visit = (
        select(func.min(Meeting.held_on))
        .select_from(VisitorVisit)
        .join(
            Meeting,
            and_(
                Meeting.circle_id == VisitorVisit.circle_id, Meeting.id == VisitorVisit.meeting_id
            ),
        )
        .where(VisitorVisit.circle_id == circle.id, VisitorVisit.visitor_id == Visitor.id)
        .correlate(Visitor)
        .scalar_subquery()
    )
    columns = [
        count_where(
            Referral, *live(Referral, Referral.given_on), Referral.giver_id == member_id
        ).label("score_referrals"),
        count_where(
            OneToOne,
            *live(OneToOne, OneToOne.met_on),
            or_(OneToOne.member_a_id == member_id, OneToOne.member_b_id == member_id),
        ).label("score_one_to_ones"),
        sum_where(
            EducationCredit.minutes,
            *live(EducationCredit, EducationCredit.completed_on),
            EducationCredit.membership_id == member_id,
        ).label("score_minutes"),
        sum_where(
            ClosedBusiness.amount_minor,
            *live(ClosedBusiness, ClosedBusiness.closed_on),
            ClosedBusiness.thanked_id == member_id,
            ClosedBusiness.currency == circle.currency,
        ).label("score_tyfcb"),
        count_where(
            Visitor,
            Visitor.circle_id == circle.id,
            Visitor.invited_by_id == member_id,
            first_visit >= period.start,
            first_visit <= period.end,
        ).label("score_visitors"),
        count_where(Meeting, *held).label("score_meetings"),
    ]
    for code in CODES:
        columns.append(
            select(func.count())
            .select_from(Attendance)
            .join(
                Meeting,
                and_(
                    Meeting.circle_id == Attendance.circle_id, Meeting.id == Attendance.meeting_id
                ),
            )
            .where(
                *held,
                Attendance.circle_id == circle.id,
                Attendance.membership_id == member_id,
                Attendance.code == code,
            )
            .scalar_subquery()
            .label(f"score_code_{code}")
        )
    return columns


def raw_from(circle: Circle, row) -> tuple[dict, int]:
    """The raw numbers ``score_from`` takes, and the meetings held, from a result row
    that carried ``measure_columns``."""
    values = row._mapping
    codes = {code: int(values[f"score_code_{code}"]) for code in CODES}
    late_weight = Fraction(1, 2) if circle.late_counts_half else Fraction(0)
    raw = {
        "absences": Fraction(codes["A"]) + late_weight * codes["L"],
        "codes": codes,
        "referrals": int(values["score_referrals"]),
        "visitors": int(values["score_visitors"]),
        "one_to_ones": int(values["score_one_to_ones"]),
        "minutes": int(values["score_minutes"] or 0),  # SUM is a Decimal on PostgreSQL
        "tyfcb_minor": int(values["score_tyfcb"] or 0),
    }
    return raw, int(values["score_meetings"])
