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

from sqlalchemy import bindparam, func, select, union_all
from sqlalchemy.sql import Select

from circle.balance import totals
from circle.balance.totals import BUSINESS, REFERRAL
from circle.core.memo import Memo
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
    #: Everything the numbers depend on (the slips' stamp, the period, the threshold, the
    #: memberships and their statuses; not the names): equal keys, equal numbers.
    key: tuple = ()

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


@dataclass(frozen=True)
class _Figures:
    """What ``compute`` derives from the slips, by membership id, kept under the circle's
    ``slips_stamp``: each member's numbers in ``MemberBalance`` field order from
    ``given_count`` to ``tipped``; the pairs (never changed once made: they are shared by
    every balance made from these figures); repeat referrers, most referrals first; the
    revenue credited to members and the part of it reported from outside."""

    members: dict[int, tuple[int, int, int, int, int, int, int, bool]]
    pairs: tuple[PairBalance, ...]
    repeat: tuple[tuple[int, int, int], ...]
    revenue_total: int
    external: int


#: The figures of the balances computed last, in this server's memory (``_Figures``).
FIGURES_KEPT = 64
_kept: Memo[_Figures] = Memo(FIGURES_KEPT)


def compute(circle: Circle, period: Period) -> Balance:
    """The balance of a circle for a period, in two SQL statements.

    The figures are kept in memory under everything they depend on: the circle and its
    ``slips_stamp`` (new with every slip written, corrected or voided), the period and
    the one before it, the lopsidedness threshold and the memberships that can appear
    in slips; names and statuses are read fresh every time.
    """
    previous = period.previous()
    threshold = lopsided_threshold(circle)
    stamp, members = _members(circle)
    key = (
        circle.id,
        stamp,
        period.start,
        period.end,
        previous.start,
        previous.end,
        threshold,
        tuple(members),
    )
    figures = _kept.get(key, lambda: _fold(circle, period, previous, threshold, members))
    for member_id, numbers in figures.members.items():
        member = members[member_id]
        (
            member.given_count,
            member.received_count,
            member.revenue_generated,
            member.revenue_received,
            member.previous_generated,
            member.previous_received,
            member.connections,
            member.tipped,
        ) = numbers
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
        pairs=list(figures.pairs),
        roles=_roles(seen, figures.revenue_total, list(figures.repeat)),
        revenue_total=figures.revenue_total,
        external_revenue=figures.external,
        key=(key, tuple(m.member_id for m in seen if m.active)),
    )


def _fold(
    circle: Circle,
    period: Period,
    previous: Period,
    threshold: Fraction,
    members: dict[int, MemberBalance],
) -> _Figures:
    """Read the flows of the period (``_flows``) and fold them into ``_Figures`` for
    ``members`` (whose numbers it leaves alone)."""
    numbers = {member_id: [0, 0, 0, 0, 0, 0, 0, False] for member_id in members}
    given, received, generated, earned, previous_generated, previous_earned = range(6)
    pairs: dict[tuple[int, int], PairBalance] = {}
    receivers: dict[int, set[int]] = defaultdict(set)
    repeat: list[tuple[int, int, int]] = []
    revenue_total = external = 0

    statement, params = _flows(circle, period, previous)
    for kind, source, target, is_current, value in db.session.execute(statement, params):
        value = int(value)
        source_numbers, target_numbers = numbers.get(source), numbers.get(target)
        if kind == REFERRAL:
            if source_numbers is not None:
                source_numbers[given] += value
            if target_numbers is not None:
                target_numbers[received] += value
            if source_numbers is not None and target_numbers is not None:
                _pair(pairs, source, target, count=value)
                receivers[source].add(target)
                if value >= 2:
                    repeat.append((source, target, value))
            continue
        # Closed business: ``source`` is the thanked member, ``target`` the reporter.
        if not is_current:
            if source_numbers is not None:
                source_numbers[previous_generated] += value
            if target_numbers is not None:
                target_numbers[previous_earned] += value
            continue
        if source_numbers is not None:
            source_numbers[generated] += value
            revenue_total += value
            if target_numbers is None:
                external += value
        if target_numbers is not None:
            target_numbers[earned] += value
        if source_numbers is not None and target_numbers is not None:
            _pair(pairs, source, target, revenue=value)

    # L >= threshold, compared in integers: |x - y| * den >= num * (x + y), x + y > 0
    # (the same as the Fractions, without making one for each of hundreds of pairs).
    num, den = threshold.numerator, threshold.denominator

    def beyond(x: int, y: int) -> bool:
        """True when revenue ``x`` against ``y`` reaches the threshold."""
        return x + y > 0 and abs(x - y) * den >= num * (x + y)

    for member_id, figures in numbers.items():
        figures[6] = len(receivers.get(member_id, ()))
        figures[7] = beyond(figures[generated], figures[earned]) and beyond(
            figures[previous_generated], figures[previous_earned]
        )
    for pair in pairs.values():
        pair.lopsided = (
            pair.count_a_to_b > 0
            and pair.count_b_to_a > 0
            and beyond(pair.revenue_a_to_b, pair.revenue_b_to_a)
        )
    return _Figures(
        members={member_id: tuple(figures) for member_id, figures in numbers.items()},
        pairs=tuple(sorted(pairs.values(), key=lambda p: (p.a, p.b))),
        repeat=tuple(sorted(repeat, key=lambda r: (-r[2], r[0], r[1]))),
        revenue_total=revenue_total,
        external=external,
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


def _members(circle: Circle) -> tuple[int, dict[int, MemberBalance]]:
    """The circle's ``slips_stamp`` as it is now (read with the members, as the circle
    object at hand may have been loaded before a change) and every membership that can
    appear in slips: active ones and former members."""
    rows = db.session.execute(_members_statement(), {"balance_circle": circle.id}).all()
    stamp = rows[0][0] if rows else None
    return stamp, {
        member_id: MemberBalance(
            member_id=member_id,
            name=name,
            profession=profession or "",
            active=status == "active",
        )
        for _stamp, member_id, name, profession, status in rows
    }


@cache
def _members_statement() -> Select:
    """The statement of ``_members`` (built once per process; every balance page and the
    API read it)."""
    return (
        select(Circle.slips_stamp, Membership.id, User.name, Profession.name, Membership.status)
        .join(Membership, Membership.circle_id == Circle.id)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Profession, Profession.id == Membership.profession_id)
        .where(
            Circle.id == bindparam("balance_circle"),
            Membership.status.in_(("active", "left", "removed")),
        )
        .order_by(Membership.id)
    )


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
    """Connectors (most different receivers), the top three givers' share, repeat referrers
    (``repeat``: sorted already, most referrals first)."""
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
        repeat_pairs=repeat,
    )
