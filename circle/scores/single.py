"""A member's raw score numbers as columns of a single statement.

Referrals, education and closed business are scalar subqueries on the member's id, each
read through an index on (circle, member, day) over the window alone. Attendance,
visitors and one-to-ones are counted once over the window, grouped by member, in
materialised CTEs that each column looks its member up in. For one member (my score,
the circle home page) the counts are restricted to that member; for the whole chapter
``member_id`` is ``Membership.id`` and every member's numbers come in the same one
statement as the roster itself, at 4 members or 40 and whatever the history. The
counting rules are in the docstring of ``circle.scores.services``; a test compares one
member's numbers with the chapter's for the same data.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

from sqlalchemy import ColumnElement, and_, bindparam, func, select, union_all

from circle.core.periods import Period
from circle.db import count_where, sum_where
from circle.models import (
    Attendance,
    Circle,
    ClosedBusiness,
    EducationCredit,
    Meeting,
    Membership,
    OneToOne,
    Referral,
    Visitor,
    VisitorVisit,
)

CODES = ("P", "A", "L", "M", "S")


#: The values a statement of ``measure_columns`` takes (``measure_params`` fills them).
CIRCLE_ID = bindparam("score_circle_id")
MEMBER_ID = bindparam("score_member_id")
START = bindparam("score_start")
END = bindparam("score_end")
CURRENCY = bindparam("score_currency")


def measure_params(circle: Circle, member_id: int | None, period: Period) -> dict:
    """The values for ``measure_columns``: the circle, the member (None for every row of
    the roster) and the window."""
    params = {
        "score_circle_id": circle.id,
        "score_start": period.start,
        "score_end": period.end,
        "score_currency": circle.currency,
    }
    if member_id is not None:
        params["score_member_id"] = member_id
    return params


@cache
def measure_columns(per_row: bool = False) -> tuple[ColumnElement, ...]:
    """A member's raw numbers over a window as labelled scalar subqueries
    (``score_referrals``, ``score_one_to_ones`` … ``score_meetings``); ``raw_from`` reads
    them back from the result row. The member is ``score_member_id``, or with ``per_row``
    ``Membership.id`` of a statement over memberships (the subqueries then count for each
    row). Built once per process: every value is a bound parameter (``measure_params``),
    because building these expressions cost more than running them."""
    member_id = Membership.id if per_row else MEMBER_ID

    def live(model, day) -> tuple:
        return (
            model.circle_id == CIRCLE_ID,
            model.voided_at.is_(None),
            day >= START,
            day <= END,
        )

    held = (
        Meeting.circle_id == CIRCLE_ID,
        Meeting.status == "scheduled",
        Meeting.held_on >= START,
        Meeting.held_on <= END,
    )
    one = not per_row

    def only(column) -> tuple:
        """Restrict a grouped count to the one member asked for (none for the roster)."""
        return (column == member_id,) if one else ()

    def per_member(cte, column: str) -> ColumnElement:
        """The member's figure from a grouped count (0 when the member has no row)."""
        found = select(cte.c[column]).where(cte.c.member_id == member_id).scalar_subquery()
        return func.coalesce(found, 0)

    # Attendance, visitors and one-to-ones are counted once over the window for everyone
    # (or the one member) and grouped by member: a correlated count per member and code
    # read each member's whole attendance history again, 40 members x 5 codes per page.
    # MATERIALIZED keeps PostgreSQL from folding a grouped count back into each row.
    attendance = (
        select(
            Attendance.membership_id.label("member_id"),
            *(func.count().filter(Attendance.code == code).label(code) for code in CODES),
        )
        .join(
            Meeting,
            and_(Meeting.circle_id == Attendance.circle_id, Meeting.id == Attendance.meeting_id),
        )
        .where(*held, Attendance.circle_id == CIRCLE_ID, *only(Attendance.membership_id))
        .group_by(Attendance.membership_id)
        .cte("score_attendance")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    first_visits = (
        select(VisitorVisit.visitor_id, func.min(Meeting.held_on).label("first_on"))
        .join(
            Meeting,
            and_(
                Meeting.circle_id == VisitorVisit.circle_id, Meeting.id == VisitorVisit.meeting_id
            ),
        )
        .where(VisitorVisit.circle_id == CIRCLE_ID)
        .group_by(VisitorVisit.visitor_id)
        .subquery()
    )
    visitors = (
        select(Visitor.invited_by_id.label("member_id"), func.count().label("n"))
        .join(first_visits, first_visits.c.visitor_id == Visitor.id)
        .where(
            Visitor.circle_id == CIRCLE_ID,
            first_visits.c.first_on >= START,
            first_visits.c.first_on <= END,
            *only(Visitor.invited_by_id),
        )
        .group_by(Visitor.invited_by_id)
        .cte("score_visitors")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    sides = union_all(
        select(OneToOne.member_a_id.label("member_id")).where(
            *live(OneToOne, OneToOne.met_on), *only(OneToOne.member_a_id)
        ),
        select(OneToOne.member_b_id.label("member_id")).where(
            *live(OneToOne, OneToOne.met_on), *only(OneToOne.member_b_id)
        ),
    ).subquery()
    # A one-to-one has two different members (member_a_id < member_b_id): each side once.
    one_to_ones = (
        select(sides.c.member_id, func.count().label("n"))
        .group_by(sides.c.member_id)
        .cte("score_one_to_ones")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    columns = [
        count_where(
            Referral, *live(Referral, Referral.given_on), Referral.giver_id == member_id
        ).label("score_referrals"),
        per_member(one_to_ones, "n").label("score_one_to_ones"),
        sum_where(
            EducationCredit.minutes,
            *live(EducationCredit, EducationCredit.completed_on),
            EducationCredit.membership_id == member_id,
        ).label("score_minutes"),
        sum_where(
            ClosedBusiness.amount_minor,
            *live(ClosedBusiness, ClosedBusiness.closed_on),
            ClosedBusiness.thanked_id == member_id,
            ClosedBusiness.currency == CURRENCY,
        ).label("score_tyfcb"),
        per_member(visitors, "n").label("score_visitors"),
        count_where(Meeting, *held).label("score_meetings"),
    ]
    columns += [per_member(attendance, code).label(f"score_code_{code}") for code in CODES]
    return tuple(columns)


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
