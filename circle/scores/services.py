"""Member scores ("traffic lights") over the last completed six-month window.

The window is the six full calendar months before the current one in the circle's time
zone (``circle.balance.periods.period_for``). For every area of the point table
(``circle.scores.table``) a member's measure is computed exactly (fractions, no float
drift at the tier edges):

- attendance: absences on the circle's non-cancelled meetings of the window: code A
  counts 1, L counts ½ when ``circle.late_counts_half`` (else 0); P, M and S count 0;
- referrals: referrals given (not voided) per week; weeks = days of the window / 7;
- visitors: visitors the member invited whose *first* visit falls in the window, per
  month (the window's six calendar months);
- one-to-ones: one-to-ones (not voided) the member took part in, per week;
- education: credits per week, one credit = 60 minutes of education (not voided);
- tyfcb: closed business credited to the member (not voided), in the circle's currency.

Members are scored over the whole window even when they joined during it (as BNI's
traffic lights do). The total is the sum of the points, capped at 100; the colour is
green, yellow or red from the circle's thresholds on, else grey.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from circle.balance.periods import period_for
from circle.circles.access import owned, roster
from circle.core.errors import Forbidden, NotFound
from circle.core.money import minor_units
from circle.core.periods import Period
from circle.extensions import db
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
from circle.roles.permissions import roles_of, sees_amounts
from circle.scores.single import measure_columns, raw_from
from circle.scores.table import AREA_LABELS, AREAS, MAX_TOTAL, table_for, tier_reached

COLOURS = ("green", "yellow", "red", "grey")
COLOUR_LABELS = {
    "green": _l("green"),
    "yellow": _l("yellow"),
    "red": _l("red"),
    "grey": _l("grey"),
}
#: Minutes of education that make one credit.
MINUTES_PER_CREDIT = 60


@dataclass
class AreaScore:
    """One area of a member's score: the raw count, the rate, the tier reached, the points."""

    area: str
    #: None when hidden from the reader (another member's closed business amount).
    count: Fraction | None
    rate: Fraction | None
    tier: int | None
    points: int
    max_points: int
    tiers: list[list[float]]
    detail: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The area's translated name."""
        return str(AREA_LABELS[self.area])

    @property
    def threshold(self) -> float | None:
        """The threshold of the tier reached (None below every tier)."""
        return None if self.tier is None else self.tiers[self.tier][0]

    @property
    def next_tier(self) -> list[float] | None:
        """The next better tier to aim for (None at the top)."""
        if self.tier == 0:
            return None
        index = len(self.tiers) if self.tier is None else self.tier
        return self.tiers[index - 1] if index > 0 else None


@dataclass
class MemberScore:
    """A member's score over a window: the areas, the total (≤ 100) and its colour."""

    member: Membership
    period: Period
    weeks: Fraction
    months: int
    areas: list[AreaScore]
    total: int
    colour: str

    @property
    def colour_label(self) -> str:
        """The colour's translated name."""
        return str(COLOUR_LABELS[self.colour])

    def area(self, name: str) -> AreaScore:
        """One area by name."""
        return next(a for a in self.areas if a.area == name)


# --- who may see what -------------------------------------------------------------------


def is_leader(member: Membership) -> bool:
    """Leadership sees everyone's score: the circle's admins and its officers."""
    return member.is_admin or bool(roles_of(member))


def require_leader(member: Membership) -> None:
    """Raise Forbidden unless the member belongs to the circle's leadership."""
    if not is_leader(member):
        raise Forbidden(_("Only the circle's leadership sees every member's score."))


def visible_score(actor: Membership, score: MemberScore) -> MemberScore:
    """``score`` as ``actor`` may see it: another member's closed business amount is hidden
    (count, rate and detail of the ``tyfcb`` area None) unless the actor ``sees_amounts``.

    Points, tier and colour stay: they are the traffic light the leadership runs.
    """
    if score.member.id == actor.id or sees_amounts(actor):
        return score
    areas = [
        replace(area, count=None, rate=None, detail={}) if area.area == "tyfcb" else area
        for area in score.areas
    ]
    return replace(score, areas=areas)


def scored_member(circle: Circle, actor: Membership, member_id: int) -> Membership:
    """An active member whose score the actor may see: themselves, or anyone for leadership.

    Unknown ids and other circles' members are NotFound; a plain member asking for
    someone else's score is Forbidden.
    """
    member = owned(Membership, circle.id, member_id)
    if member is None or member.status != "active":
        raise NotFound(_("Member not found."))
    if member.id != actor.id:
        require_leader(actor)
    return member


# --- the window -------------------------------------------------------------------------


def window(circle: Circle, today: date | None = None) -> Period:
    """The last completed six calendar months before the current one."""
    return period_for(circle, "six_months", today=today)


def colour_of(circle: Circle, total: int) -> str:
    """The traffic light of a total at the circle's thresholds."""
    if total >= circle.score_green_min:
        return "green"
    if total >= circle.score_yellow_min:
        return "yellow"
    if total >= circle.score_red_min:
        return "red"
    return "grey"


# --- measures ---------------------------------------------------------------------------


def _counts(query) -> Counter:
    """``{member id: number}`` from a query of (member id, number) rows."""
    out: Counter = Counter()
    for member_id, number in db.session.execute(query).all():
        if member_id is not None:
            out[member_id] += int(number or 0)  # SUM is a Decimal on PostgreSQL
    return out


def _absences(circle: Circle, ids: list[int], period: Period) -> tuple[dict, Counter]:
    """Absences per member (Fractions) and the codes recorded, on non-cancelled meetings."""
    rows = db.session.execute(
        select(Attendance.membership_id, Attendance.code, func.count())
        .join(
            Meeting,
            (Meeting.circle_id == Attendance.circle_id) & (Meeting.id == Attendance.meeting_id),
        )
        .where(
            Attendance.circle_id == circle.id,
            Attendance.membership_id.in_(ids),
            Meeting.status == "scheduled",
            Meeting.held_on >= period.start,
            Meeting.held_on <= period.end,
        )
        .group_by(Attendance.membership_id, Attendance.code)
    ).all()
    late_weight = Fraction(1, 2) if circle.late_counts_half else Fraction(0)
    absences: dict[int, Fraction] = {i: Fraction(0) for i in ids}
    codes: Counter = Counter()
    for member_id, code, number in rows:
        codes[(member_id, code)] += number
        if code == "A":
            absences[member_id] += number
        elif code == "L":
            absences[member_id] += late_weight * number
    return absences, codes


def _meetings_held(circle: Circle, period: Period) -> int:
    """How many of the circle's meetings in the window took place (not cancelled)."""
    return db.session.execute(
        select(func.count())
        .select_from(Meeting)
        .where(
            Meeting.circle_id == circle.id,
            Meeting.status == "scheduled",
            Meeting.held_on >= period.start,
            Meeting.held_on <= period.end,
        )
    ).scalar_one()


def _visitors(circle: Circle, ids: list[int], period: Period) -> Counter:
    """Visitors each member invited whose first visit lies in the window."""
    first_visit = (
        select(VisitorVisit.visitor_id, func.min(Meeting.held_on).label("first_on"))
        .join(
            Meeting,
            (Meeting.circle_id == VisitorVisit.circle_id) & (Meeting.id == VisitorVisit.meeting_id),
        )
        .where(VisitorVisit.circle_id == circle.id)
        .group_by(VisitorVisit.visitor_id)
        .subquery()
    )
    return _counts(
        select(Visitor.invited_by_id, func.count())
        .join(first_visit, first_visit.c.visitor_id == Visitor.id)
        .where(
            Visitor.circle_id == circle.id,
            Visitor.invited_by_id.in_(ids),
            first_visit.c.first_on >= period.start,
            first_visit.c.first_on <= period.end,
        )
        .group_by(Visitor.invited_by_id)
    )


def measures(circle: Circle, ids: list[int], period: Period) -> dict[int, dict]:
    """The raw numbers of every area for each member: ``{id: {area: count, ...}}``."""
    if not ids:
        return {}
    in_window = {
        Referral: Referral.given_on,
        OneToOne: OneToOne.met_on,
        EducationCredit: EducationCredit.completed_on,
        ClosedBusiness: ClosedBusiness.closed_on,
    }

    def live(model):
        """This circle's entries of the window that were not voided."""
        day = in_window[model]
        return (
            model.circle_id == circle.id,
            model.voided_at.is_(None),
            day >= period.start,
            day <= period.end,
        )

    referrals = _counts(
        select(Referral.giver_id, func.count())
        .where(*live(Referral), Referral.giver_id.in_(ids))
        .group_by(Referral.giver_id)
    )
    one_to_ones = Counter()
    for column in (OneToOne.member_a_id, OneToOne.member_b_id):
        one_to_ones.update(
            _counts(
                select(column, func.count())
                .where(*live(OneToOne), column.in_(ids))
                .group_by(column)
            )
        )
    minutes = _counts(
        select(EducationCredit.membership_id, func.sum(EducationCredit.minutes))
        .where(*live(EducationCredit), EducationCredit.membership_id.in_(ids))
        .group_by(EducationCredit.membership_id)
    )
    tyfcb = _counts(
        select(ClosedBusiness.thanked_id, func.sum(ClosedBusiness.amount_minor))
        .where(
            *live(ClosedBusiness),
            ClosedBusiness.thanked_id.in_(ids),
            ClosedBusiness.currency == circle.currency,
        )
        .group_by(ClosedBusiness.thanked_id)
    )
    visitors = _visitors(circle, ids, period)
    absences, codes = _absences(circle, ids, period)
    return {
        i: {
            "absences": absences[i],
            "codes": {code: codes[(i, code)] for code in ("P", "A", "L", "M", "S")},
            "referrals": referrals[i],
            "visitors": visitors[i],
            "one_to_ones": one_to_ones[i],
            "minutes": minutes[i],
            "tyfcb_minor": tyfcb[i],
        }
        for i in ids
    }


# --- scoring ----------------------------------------------------------------------------


def _months(period: Period) -> int:
    """Calendar months the window spans (six for the default window)."""
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1


def score_from(
    circle: Circle, member: Membership, period: Period, raw: dict, **shared
) -> MemberScore:
    """Turn a member's raw numbers into area points, the capped total and the colour."""
    table = shared.get("table") or table_for(circle)
    weeks = Fraction(period.days, 7)
    months = _months(period)
    digits = minor_units(circle.currency)
    credits = Fraction(raw["minutes"], MINUTES_PER_CREDIT)
    tyfcb = Fraction(raw["tyfcb_minor"], 10**digits)
    numbers = {
        "attendance": (raw["absences"], raw["absences"]),
        "referrals": (Fraction(raw["referrals"]), Fraction(raw["referrals"]) / weeks),
        "visitors": (Fraction(raw["visitors"]), Fraction(raw["visitors"], months)),
        "one_to_ones": (Fraction(raw["one_to_ones"]), Fraction(raw["one_to_ones"]) / weeks),
        "education": (credits, credits / weeks),
        "tyfcb": (tyfcb, tyfcb),
    }
    details = {
        "attendance": {"codes": raw["codes"], "meetings": shared.get("meetings", 0)},
        "education": {"minutes": raw["minutes"]},
        "tyfcb": {"amount_minor": raw["tyfcb_minor"], "currency": circle.currency},
    }
    areas = []
    for area in AREAS:
        tiers = table[area]
        count, rate = numbers[area]
        tier = tier_reached(area, tiers, rate)
        areas.append(
            AreaScore(
                area=area,
                count=count,
                rate=rate,
                tier=tier,
                points=0 if tier is None else int(tiers[tier][1]),
                max_points=max(int(p) for _t, p in tiers),
                tiers=tiers,
                detail=details.get(area, {}),
            )
        )
    total = min(MAX_TOTAL, sum(a.points for a in areas))
    return MemberScore(
        member=member,
        period=period,
        weeks=weeks,
        months=months,
        areas=areas,
        total=total,
        colour=colour_of(circle, total),
    )


def member_score(circle: Circle, member: Membership, today: date | None = None) -> MemberScore:
    """One member's score over the last completed six-month window."""
    period = window(circle, today)
    row = db.session.execute(select(*measure_columns(circle, member.id, period))).one()
    raw, meetings = raw_from(circle, row)
    return score_from(circle, member, period, raw, meetings=meetings)


def chapter_scores(circle: Circle, today: date | None = None) -> list[MemberScore]:
    """Every active member's score (same window), best first, then by name."""
    period = window(circle, today)
    members = roster(circle.id)
    raw = measures(circle, [m.id for m in members], period)
    shared = {"table": table_for(circle), "meetings": _meetings_held(circle, period)}
    scores = [score_from(circle, m, period, raw[m.id], **shared) for m in members]
    scores.sort(key=lambda s: (-s.total, s.member.user.name.casefold()))
    return scores


def best_step(score: MemberScore) -> AreaScore | None:
    """The area whose next tier would add the most points (the first in the table's order
    on a tie); None when every area is at its best tier."""
    best, gain = None, 0
    for area in score.areas:
        upcoming = area.next_tier
        if upcoming is not None and int(upcoming[1]) - area.points > gain:
            best, gain = area, int(upcoming[1]) - area.points
    return best


def distribution(scores: list[MemberScore]) -> dict[str, int]:
    """How many members per colour, every colour listed (green first)."""
    counts = Counter(s.colour for s in scores)
    return {colour: counts.get(colour, 0) for colour in COLOURS}
