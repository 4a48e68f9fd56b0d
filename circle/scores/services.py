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
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from circle.balance.periods import period_for
from circle.circles.access import owned, roster_query
from circle.core.errors import Forbidden, NotFound
from circle.core.money import minor_units
from circle.core.periods import Period
from circle.extensions import Labels, db
from circle.models import (
    Circle,
    Membership,
)
from circle.roles.permissions import roles_of, sees_amounts
from circle.scores.single import CIRCLE_ID, measure_columns, measure_params, raw_from
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


_AREA_NAMES = Labels(lambda: AREA_LABELS)
_COLOUR_NAMES = Labels(lambda: COLOUR_LABELS)


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
        return _AREA_NAMES(self.area)

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
        return _COLOUR_NAMES(self.colour)

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
    row = db.session.execute(_member_statement(), measure_params(circle, member.id, period)).one()
    raw, meetings = raw_from(circle, row)
    return score_from(circle, member, period, raw, meetings=meetings)


@cache
def _member_statement() -> Select:
    """One member's numbers (built once per process; ``measure_params`` fills it)."""
    return select(*measure_columns())


@cache
def _chapter_statement() -> Select:
    """The roster with every member's numbers (built once per process)."""
    return roster_query(CIRCLE_ID).add_columns(*measure_columns(per_row=True))


def chapter_scores(circle: Circle, today: date | None = None) -> list[MemberScore]:
    """Every active member's score (same window), best first, then by name.

    One statement: the roster with every member's numbers as correlated columns.
    """
    period = window(circle, today)
    rows = db.session.execute(_chapter_statement(), measure_params(circle, None, period)).all()
    table = table_for(circle)
    scores = []
    for row in rows:
        raw, meetings = raw_from(circle, row)
        scores.append(score_from(circle, row[0], period, raw, table=table, meetings=meetings))
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
