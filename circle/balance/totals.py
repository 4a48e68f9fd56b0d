"""The pair totals (``circle.models.PairTotal``): kept equal to the slips, and read instead
of them where a period covers most of the history.

Keeping them: every service that writes, corrects or voids a referral or a closed business
calls ``count`` in the same transaction (``-1`` for the entry as it was, ``+1`` for it as
it is now), which adds to the pair's row with one upsert; the import adds its new rows
with ``add_slips``; writers that insert slips around the services (the benchmark and test
history generators) call ``rebuild`` afterwards, which sums the slips again.

Reading them: ``flows`` answers the referral counts or the closed-business sums of a
period as rows whose sum per pair is the exact figure. A short period reads its own slips
(an index range); a long one reads the totals minus the slips before and after it, so
the whole history costs a few hundred total rows and two empty ranges, however many
years or slips the circle has.

The members' months (``circle.models.MemberMonth``) are kept the same way, by the same
calls (``count``, and ``add_slips`` for the import): a member's
referrals given and received and revenue generated and received per calendar month,
which the ledger by month reads instead of the slips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import Select

from circle.core.checks import EARLIEST
from circle.core.periods import Period
from circle.extensions import db
from circle.models import Circle, ClosedBusiness, MemberMonth, PairTotal, Referral
from circle.models.circle import new_stamp

REFERRAL, BUSINESS = "referral", "business"

#: The columns a pair's row is unique by (the upsert's conflict target).
KEY = ("circle_id", "kind", "source_key", "target_key")
#: The columns a member's month is unique by, and the figures it adds up.
MONTH_KEY = ("circle_id", "membership_id", "month")
MONTH_VALUES = ("given", "received", "revenue_generated", "revenue_received")


#: A live slip as the totals see it: (circle, kind, source, target, day, amount), the
#: amount 0 for a referral; source and target are None for a party outside the circle.
Slip = tuple[int, str, int | None, int | None, date, int]


def _slip_of(entry: Referral | ClosedBusiness) -> Slip:
    """An entry as the totals see it."""
    if isinstance(entry, Referral):
        return entry.circle_id, REFERRAL, entry.giver_id, entry.receiver_id, entry.given_on, 0
    return (
        entry.circle_id,
        BUSINESS,
        entry.thanked_id,
        entry.reporter_id,
        entry.closed_on,
        entry.amount_minor,
    )


def count(entries: Iterable[Referral | ClosedBusiness], sign: int) -> None:
    """Add (``sign`` 1) or take away (-1) live entries from their pairs' totals and their
    members' months; voided entries count nowhere and are skipped. Call it with -1 before
    an entry is changed or voided and with 1 once it is written or changed; the services
    only flush."""
    add_slips([_slip_of(entry) for entry in entries if entry.voided_at is None], sign)


def add_slips(slips: Iterable[Slip], sign: int = 1) -> None:
    """Add (``sign`` 1) or take away (-1) live slips to their pairs' totals and their
    members' months, an upsert each (nothing where they cancel out). ``count`` for
    entries of the ORM; writers that insert rows without it (the import) call this."""
    slips = list(slips)
    # First, so that every writer of slips locks the circle's row before its pairs' rows.
    new_stamps({circle_id for circle_id, *_ in slips})
    pairs: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    months: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for circle_id, kind, source, target, day, amount in slips:
        pair = pairs[(circle_id, kind, source, target)]
        pair[0] += sign
        pair[1] += sign * amount
        # A referral: the giver's given, the receiver's received; closed business: the
        # thanked member's revenue generated, the reporter's revenue received.
        figure = sign if kind == REFERRAL else sign * amount
        sides = ((source, 0), (target, 1)) if kind == REFERRAL else ((source, 2), (target, 3))
        for member_id, index in sides:
            if member_id is not None:
                months[(circle_id, member_id, day.replace(day=1))][index] += figure
    pair_rows = [
        {
            "circle_id": circle_id,
            "kind": kind,
            "source_id": source,
            "target_id": target,
            "source_key": source or 0,
            "target_key": target or 0,
            "entries": entries,
            "amount_minor": amount,
        }
        for (circle_id, kind, source, target), (entries, amount) in pairs.items()
        if entries or amount
    ]
    _apply(PairTotal, KEY, ("entries", "amount_minor"), pair_rows)
    month_rows = [
        {
            "circle_id": circle_id,
            "membership_id": member_id,
            "month": month,
            **dict(zip(MONTH_VALUES, values, strict=True)),
        }
        for (circle_id, member_id, month), values in months.items()
        if any(values)
    ]
    _apply(MemberMonth, MONTH_KEY, MONTH_VALUES, month_rows)


def new_stamps(circle_ids: Iterable[int] | None) -> None:
    """Give the circles (all with None) a new ``slips_stamp``: a balance kept under the old
    one (``circle.balance.services.compute``) is not used again. Every change to the slips calls it
    in its own transaction (``add_slips``, ``rebuild``)."""
    if circle_ids is None:
        circle_ids = db.session.scalars(select(Circle.id)).all()
    rows = [{"key_id": circle_id, "stamp": new_stamp()} for circle_id in sorted(circle_ids)]
    if not rows:
        return
    table = Circle.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("key_id"))
        .values(slips_stamp=bindparam("stamp")),
        rows,
    )
    # A circle already loaded in this session shows its new stamp too.
    for row in rows:
        loaded = db.session.identity_map.get(identity_key(Circle, row["key_id"]))
        if loaded is not None:
            set_committed_value(loaded, "slips_stamp", row["stamp"])


def _apply(model, key: tuple[str, ...], values: tuple[str, ...], rows: list[dict]) -> None:
    """Add each row's ``values`` to the row of ``model`` with its ``key``: rows that only
    add in one upsert (a new key gets its row), rows that take away in one update (their
    row exists, as the entries were counted in; the checks keep it from going below zero,
    whereas an insert's proposed row would fail them first)."""
    more, less = [], []
    for row in rows:
        (more if all(row[name] >= 0 for name in values) else less).append(row)
    table = model.__table__
    if more:
        upsert = (pg_insert if _dialect() == "postgresql" else sqlite_insert)(model)
        db.session.execute(
            upsert.on_conflict_do_update(
                index_elements=list(key),
                set_={name: table.c[name] + upsert.excluded[name] for name in values},
            ),
            more,
        )
    if less:
        db.session.execute(
            update(table)
            .where(*(table.c[name] == bindparam(f"key_{name}") for name in key))
            .values({name: table.c[name] + bindparam(name) for name in values}),
            [{**row, **{f"key_{name}": row[name] for name in key}} for row in less],
        )


# --- a member's months --------------------------------------------------------------------


def _month_start(column):
    """The first day of a date column's month, in SQL."""
    if _dialect() == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return func.date(column, "start of month")


def _rebuild_member_months(circle_id: int | None) -> None:
    """Sum the live slips into the members' months again (one circle or all)."""
    scope = [] if circle_id is None else [MemberMonth.circle_id == circle_id]
    db.session.execute(delete(MemberMonth).where(*scope))
    zero, one = literal(0, BigInteger), literal(1, BigInteger)

    def side(model, member, day, given, received, generated, earned):
        where = [model.voided_at.is_(None), member.is_not(None)]
        if circle_id is not None:
            where.append(model.circle_id == circle_id)
        return select(
            model.circle_id.label("circle_id"),
            member.label("membership_id"),
            _month_start(day).label("month"),
            given.label("given"),
            received.label("received"),
            generated.label("generated"),
            earned.label("earned"),
        ).where(*where)

    amount = ClosedBusiness.amount_minor
    sides = union_all(
        side(Referral, Referral.giver_id, Referral.given_on, one, zero, zero, zero),
        side(Referral, Referral.receiver_id, Referral.given_on, zero, one, zero, zero),
        side(
            ClosedBusiness,
            ClosedBusiness.thanked_id,
            ClosedBusiness.closed_on,
            zero,
            zero,
            amount,
            zero,
        ),
        side(
            ClosedBusiness,
            ClosedBusiness.reporter_id,
            ClosedBusiness.closed_on,
            zero,
            zero,
            zero,
            amount,
        ),
    ).subquery()
    db.session.execute(
        insert(MemberMonth).from_select(
            [*MONTH_KEY, *MONTH_VALUES],
            select(
                sides.c.circle_id,
                sides.c.membership_id,
                sides.c.month,
                func.sum(sides.c.given),
                func.sum(sides.c.received),
                func.sum(sides.c.generated),
                func.sum(sides.c.earned),
            ).group_by(sides.c.circle_id, sides.c.membership_id, sides.c.month),
        )
    )


def _dialect() -> str:
    """The name of the session's database dialect."""
    return db.session.get_bind().dialect.name


def rebuild(circle_id: int | None = None) -> int:
    """Sum the live slips into the totals and the members' months again, for one circle
    or all; returns the pair rows.

    For bulk writes that bypass the services (imports, generated histories) and for
    ``flask circle rebuild-balance-totals``; the caller commits.
    """
    new_stamps(None if circle_id is None else [circle_id])
    _rebuild_member_months(circle_id)
    scope = [] if circle_id is None else [PairTotal.circle_id == circle_id]
    db.session.execute(delete(PairTotal).where(*scope))
    columns = [
        "circle_id",
        "kind",
        "source_id",
        "target_id",
        "source_key",
        "target_key",
        "entries",
        "amount_minor",
    ]
    referrals = select(
        Referral.circle_id,
        literal(REFERRAL),
        Referral.giver_id,
        Referral.receiver_id,
        func.coalesce(Referral.giver_id, 0),
        func.coalesce(Referral.receiver_id, 0),
        func.count(),
        literal(0, Integer),
    ).where(Referral.voided_at.is_(None))
    business = select(
        ClosedBusiness.circle_id,
        literal(BUSINESS),
        ClosedBusiness.thanked_id,
        ClosedBusiness.reporter_id,
        func.coalesce(ClosedBusiness.thanked_id, 0),
        func.coalesce(ClosedBusiness.reporter_id, 0),
        func.count(),
        func.sum(ClosedBusiness.amount_minor),
    ).where(ClosedBusiness.voided_at.is_(None))
    if circle_id is not None:
        referrals = referrals.where(Referral.circle_id == circle_id)
        business = business.where(ClosedBusiness.circle_id == circle_id)
    referrals = referrals.group_by(Referral.circle_id, Referral.giver_id, Referral.receiver_id)
    business = business.group_by(
        ClosedBusiness.circle_id, ClosedBusiness.thanked_id, ClosedBusiness.reporter_id
    )
    for part in (referrals, business):
        db.session.execute(insert(PairTotal).from_select(columns, part))
    return db.session.scalar(select(func.count()).select_from(PairTotal).where(*scope)) or 0


def reads_totals(period: Period, today: date) -> bool:
    """True when the days outside ``period`` (from 2000 to today) are fewer than those in
    it: then the totals minus the slips outside cost less than the slips inside."""
    if period.start > period.end:
        return False
    outside = (period.start - EARLIEST).days + max(0, (today - period.end).days)
    return outside < period.days


def flows(kind: str, name: str, whole: bool, current: int) -> list[Select]:
    """Statements of ``(kind, source, target, current, value)`` rows whose sum per
    ``(source, target)`` is the flow of ``kind`` in a period: referral counts per (giver,
    receiver), or closed-business sums per (thanked, reporter); ``current`` is passed
    through (1: the period, 0: the one before it). The circle is the bound parameter
    ``circle_id``, the period's days ``<name>_start`` and ``<name>_end`` (``flow_params``),
    so that a caller builds the statement once per shape: ``whole`` (``reads_totals``)
    reads the totals less the slips before and after the period, else the period's slips."""
    circle_id = bindparam("circle_id", type_=Integer)
    start = bindparam(f"{name}_start", type_=Date)
    end = bindparam(f"{name}_end", type_=Date)
    if not whole:
        return [_slips(circle_id, kind, start, end, current, 1)]
    value = PairTotal.entries if kind == REFERRAL else PairTotal.amount_minor
    totals = select(
        literal(kind),
        PairTotal.source_id,
        PairTotal.target_id,
        literal(current, Integer),
        value,
    ).where(PairTotal.circle_id == circle_id, PairTotal.kind == kind)
    return [
        totals,
        _slips(circle_id, kind, None, start, current, -1),
        _slips(circle_id, kind, end, None, current, -1),
    ]


def flow_params(name: str, period: Period) -> dict[str, date]:
    """The bound days of a period for ``flows(..., name, ...)``."""
    return {f"{name}_start": period.start, f"{name}_end": period.end}


def _slips(circle_id, kind: str, start, end, current: int, sign: int) -> Select:
    """The live slips of ``kind`` grouped by pair, ``sign`` times their count or sum:
    from ``start`` to ``end`` inclusive when ``sign`` is 1; strictly before ``end`` (start
    None) or strictly after ``start`` (end None) when it is -1."""
    model = Referral if kind == REFERRAL else ClosedBusiness
    source, target, day = (
        (Referral.giver_id, Referral.receiver_id, Referral.given_on)
        if kind == REFERRAL
        else (ClosedBusiness.thanked_id, ClosedBusiness.reporter_id, ClosedBusiness.closed_on)
    )
    value = func.count() if kind == REFERRAL else func.sum(ClosedBusiness.amount_minor)
    if sign == 1:
        within = [day >= start, day <= end]
    elif start is None:
        within = [day < end]
    else:
        within = [day > start]
    return (
        select(
            literal(kind),
            source,
            target,
            literal(current, Integer),
            value * literal(sign, Integer),
        )
        .where(model.circle_id == circle_id, model.voided_at.is_(None), *within)
        .group_by(source, target)
    )
