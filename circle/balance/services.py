"""The balance of give and take: pair balances, lopsided pairs, member scales, network roles.

Everything is aggregated in SQL (GROUP BY over the indexed ``(circle_id, ..., date)``
columns) in a fixed number of queries, whatever the size of the circle or the length of
its history:

1. the circle's memberships (names and professions),
2. in one statement (UNION ALL), referral counts grouped by (giver, receiver) for the
   period and closed-business sums grouped by (thanked, reporter) for the period and the
   one before it (a member whose scale tips in two consecutive periods is flagged); a
   period that covers most of the history reads the pair totals less the slips outside
   it instead of its own slips (``circle.balance.totals``), so the whole history costs
   the same few hundred rows at 10,000 slips or 100,000, at 5 years or 25.

Python only folds those groups (at most members² of them) into the views below.
Lopsidedness of a pair: ``L = |rAB - rBA| / (rAB + rBA)`` where ``rAB`` is the revenue B
earned thanks to A; 0 is balanced, 1 one-sided, undefined without revenue either way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache

from sqlalchemy import func, select, union_all
from sqlalchemy.sql import Select

from circle.balance import totals
from circle.balance.totals import BUSINESS, REFERRAL
from circle.core.periods import Period
from circle.core.weeks import today_for
from circle.extensions import db
from circle.models import Circle, Membership, Profession, User


@dataclass
class MemberBalance:
    """One member's scale for the period: counts and revenue both ways."""

    member_id: int
    name: str
    profession: str
    active: bool
    given_count: int = 0
    received_count: int = 0
    revenue_generated: int | None = 0  # minor units others earned thanks to this member
    revenue_received: int | None = 0  # minor units this member earned thanks to others
    previous_generated: int | None = 0  # the same two for the period before
    previous_received: int | None = 0
    connections: int = 0  # how many different members this member gave to
    tipped: bool = False  # the scale tips beyond the threshold in this and the previous period

    @property
    def lopsidedness(self) -> Fraction | None:
        """How far the member's revenue scale tips (None without revenue, or hidden)."""
        if self.revenue_generated is None or self.revenue_received is None:
            return None
        return lopsidedness(self.revenue_generated, self.revenue_received)


@dataclass
class PairBalance:
    """Two members (``a < b`` by id) and what flowed between them."""

    a: int
    b: int
    count_a_to_b: int = 0
    count_b_to_a: int = 0
    revenue_a_to_b: int | None = 0  # what b earned thanks to a (None: hidden from the viewer)
    revenue_b_to_a: int | None = 0  # what a earned thanks to b
    lopsided: bool | None = False

    @property
    def lopsidedness(self) -> Fraction | None:
        """L of the pair's revenue (None without revenue either way, or when hidden)."""
        if self.revenue_a_to_b is None or self.revenue_b_to_a is None:
            return None
        return lopsidedness(self.revenue_a_to_b, self.revenue_b_to_a)

    @property
    def revenue_gap(self) -> int | None:
        """How far apart the two revenues are, in minor units (None when hidden)."""
        if self.revenue_a_to_b is None or self.revenue_b_to_a is None:
            return None
        return abs(self.revenue_a_to_b - self.revenue_b_to_a)

    def involves(self, member_id: int) -> bool:
        """True when ``member_id`` is one of the two."""
        return member_id in (self.a, self.b)


@dataclass
class Roles:
    """Network roles: connectors, concentration, repeat referrers."""

    connectors: list[MemberBalance] = field(default_factory=list)
    top_givers: list[MemberBalance] = field(default_factory=list)
    top_three_share: Fraction | None = None  # share of the circle's revenue through the top 3
    repeat_pairs: list[tuple[int, int, int]] = field(default_factory=list)  # giver, receiver, n


@dataclass
class Balance:
    """Everything the balance pages and the API show for one period."""

    circle: Circle
    period: Period
    threshold: Fraction
    members: dict[int, MemberBalance]
    pairs: list[PairBalance]
    roles: Roles
    revenue_total: int | None  # all closed business credited to members in the period
    external_revenue: int | None  # credited to members by unknown or outside reporters

    def lopsided_pairs(self) -> list[PairBalance]:
        """Pairs where both gave and L ≥ threshold, the largest revenue gap first."""
        return sorted(
            (p for p in self.pairs if p.lopsided),
            key=lambda p: (-(p.revenue_gap or 0), p.a, p.b),
        )

    def member(self, member_id: int) -> MemberBalance:
        """A member's scale (former members who appear in the period are included)."""
        return self.members[member_id]


def lopsidedness(x: int, y: int) -> Fraction | None:
    """``|x - y| / (x + y)`` exactly; None when both are zero."""
    if x + y == 0:
        return None
    return Fraction(abs(x - y), x + y)


def lopsided_threshold(circle: Circle) -> Fraction:
    """From which lopsidedness on the circle calls revenue between two sides lopsided."""
    return Fraction(circle.lopsided_threshold_pct, 100)


def tips(circle: Circle, x: int, y: int) -> bool:
    """True when revenue ``x`` against ``y`` is lopsided by the circle's threshold."""
    value = lopsidedness(x, y)
    return value is not None and value >= lopsided_threshold(circle)


def compute(circle: Circle, period: Period) -> Balance:
    """The balance of a circle for a period, in two SQL statements."""
    previous = period.previous()
    threshold = lopsided_threshold(circle)
    members = _members(circle)
    pairs: dict[tuple[int, int], PairBalance] = {}
    receivers: dict[int, set[int]] = defaultdict(set)
    repeat: list[tuple[int, int, int]] = []
    revenue_total = external = 0

    statement, params = _flows(circle, period, previous)
    for kind, source, target, is_current, value in db.session.execute(statement, params):
        value = int(value)
        if kind == REFERRAL:
            giver, receiver, count = source, target, value
            if giver in members:
                members[giver].given_count += count
            if receiver in members:
                members[receiver].received_count += count
            if giver in members and receiver in members:
                _pair(pairs, giver, receiver, count=count)
                receivers[giver].add(receiver)
                if count >= 2:
                    repeat.append((giver, receiver, count))
            continue
        thanked, reporter, amount = source, target, value
        if not is_current:
            if thanked in members:
                members[thanked].previous_generated += amount
            if reporter in members:
                members[reporter].previous_received += amount
            continue
        if thanked in members:
            members[thanked].revenue_generated += amount
            revenue_total += amount
            if reporter not in members:
                external += amount
        if reporter in members:
            members[reporter].revenue_received += amount
        if thanked in members and reporter in members:
            _pair(pairs, thanked, reporter, revenue=amount)

    # L >= threshold, compared in integers: |x - y| * den >= num * (x + y), x + y > 0
    # (the same as the Fractions, without making one for each of hundreds of pairs).
    num, den = threshold.numerator, threshold.denominator

    def beyond(x: int, y: int) -> bool:
        """True when revenue ``x`` against ``y`` reaches the threshold."""
        return x + y > 0 and abs(x - y) * den >= num * (x + y)

    for member in members.values():
        member.connections = len(receivers.get(member.member_id, ()))
        member.tipped = beyond(member.revenue_generated, member.revenue_received) and beyond(
            member.previous_generated, member.previous_received
        )
    for pair in pairs.values():
        pair.lopsided = (
            pair.count_a_to_b > 0
            and pair.count_b_to_a > 0
            and beyond(pair.revenue_a_to_b, pair.revenue_b_to_a)
        )

    seen = [
        m
        for m in members.values()
        if m.active
        or m.given_count
        or m.received_count
        or m.revenue_generated
        or m.revenue_received
    ]
    return Balance(
        circle=circle,
        period=period,
        threshold=threshold,
        members={m.member_id: m for m in seen},
        pairs=sorted(pairs.values(), key=lambda p: (p.a, p.b)),
        roles=_roles(seen, revenue_total, repeat),
        revenue_total=revenue_total,
        external_revenue=external,
    )


def _flows(circle: Circle, period: Period, previous: Period) -> tuple[Select, dict]:
    """One statement for both flows of the period, as ``(kind, source, target, current,
    value)`` rows: referral counts per (giver, receiver) in the period (``REFERRAL``), and
    closed-business sums per (thanked, reporter) in the period (``current`` 1) and in the
    one before it (0) (``BUSINESS``). Each is read from the slips of its period or, for a
    period that covers most of the history, from the pair totals less the slips outside
    it (``circle.balance.totals``); pairs whose flow comes to nothing are left out, as
    they are when only the slips are read. The statement and its bound parameters."""
    today = today_for(circle)
    shape = (totals.reads_totals(period, today), totals.reads_totals(previous, today))
    params = {
        "circle_id": circle.id,
        **totals.flow_params("now", period),
        **totals.flow_params("before", previous),
    }
    return _flows_statement(*shape), params


@cache
def _flows_statement(whole: bool, whole_before: bool) -> Select:
    """``_flows``' statement for one shape, built once per process (building it took
    longer than running it)."""
    parts = [
        *totals.flows(REFERRAL, "now", whole, 1),
        *totals.flows(BUSINESS, "now", whole, 1),
        *totals.flows(BUSINESS, "before", whole_before, 0),
    ]
    rows = union_all(*parts).subquery()
    kind, source, target, current, value = rows.c
    total = func.sum(value)
    return (
        select(kind, source, target, current, total)
        .group_by(kind, source, target, current)
        .having(total != 0)
    )


def _members(circle: Circle) -> dict[int, MemberBalance]:
    """Every membership that can appear in slips: active ones and former members."""
    rows = db.session.execute(
        select(Membership.id, User.name, Profession.name, Membership.status)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Profession, Profession.id == Membership.profession_id)
        .where(
            Membership.circle_id == circle.id,
            Membership.status.in_(("active", "left", "removed")),
        )
        .order_by(Membership.id)
    )
    return {
        member_id: MemberBalance(
            member_id=member_id,
            name=name,
            profession=profession or "",
            active=status == "active",
        )
        for member_id, name, profession, status in rows
    }


def _pair(
    pairs: dict[tuple[int, int], PairBalance],
    source: int,
    target: int,
    *,
    count: int = 0,
    revenue: int = 0,
) -> None:
    """Add a flow from ``source`` to ``target`` (revenue: what target earned thanks to source)."""
    forward = source < target
    key = (source, target) if forward else (target, source)
    pair = pairs.get(key)
    if pair is None:
        pair = pairs[key] = PairBalance(a=key[0], b=key[1])
    if forward:
        pair.count_a_to_b += count
        pair.revenue_a_to_b += revenue
    else:
        pair.count_b_to_a += count
        pair.revenue_b_to_a += revenue


def _roles(
    members: list[MemberBalance], revenue_total: int, repeat: list[tuple[int, int, int]]
) -> Roles:
    """Connectors (most different receivers), the top three givers' share, repeat referrers."""
    connectors = sorted(
        (m for m in members if m.connections), key=lambda m: (-m.connections, m.name)
    )
    givers = sorted(
        (m for m in members if m.revenue_generated),
        key=lambda m: (-m.revenue_generated, m.name),
    )
    top = givers[:3]
    share = (
        Fraction(sum(m.revenue_generated for m in top), revenue_total) if revenue_total else None
    )
    return Roles(
        connectors=connectors,
        top_givers=top,
        top_three_share=share,
        repeat_pairs=sorted(repeat, key=lambda r: (-r[2], r[0], r[1])),
    )
