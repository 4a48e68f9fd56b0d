"""The pair totals behind the whole-history balance (issue 15): kept equal to the slips
through every write, correction and void, and the balance read from them equal, number
for number, to one computed directly from the raw slips, for random histories and periods.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select, update

from circle.balance import totals
from circle.balance.periods import period_for
from circle.balance.services import compute, lopsided_threshold
from circle.core.checks import EARLIEST
from circle.core.clock import utcnow
from circle.core.periods import Period
from circle.core.weeks import today_for
from circle.imports import export
from circle.imports import services as imports
from circle.models import ClosedBusiness, MemberMonth, Membership, PairTotal, Referral
from circle.referrals import reading
from circle.referrals import services as rs
from tests.imports.support import SLIP_DATE, fixture, make_people


def stored(db, circle_id: int) -> dict[tuple, tuple[int, int]]:
    """The pair totals of a circle as they are: key -> (entries, amount); empty rows left out."""
    rows = db.session.execute(select(PairTotal).where(PairTotal.circle_id == circle_id)).scalars()
    return {
        (t.kind, t.source_id, t.target_id): (t.entries, t.amount_minor)
        for t in rows
        if t.entries or t.amount_minor
    }


def expected_balance(db, circle, period: Period) -> dict:
    """The balance's figures computed directly over the raw slips, without SQL grouping."""
    members = {
        m.id: m
        for m in db.session.execute(
            select(Membership).where(
                Membership.circle_id == circle.id,
                Membership.status.in_(("active", "left", "removed")),
            )
        ).scalars()
    }
    previous = period.previous()
    given, received = defaultdict(int), defaultdict(int)
    generated, earned = defaultdict(int), defaultdict(int)
    before_generated, before_earned = defaultdict(int), defaultdict(int)
    counts, revenue = defaultdict(int), defaultdict(int)
    total = external = 0
    for r in db.session.execute(
        select(Referral).where(Referral.circle_id == circle.id, Referral.voided_at.is_(None))
    ).scalars():
        if period.start <= r.given_on <= period.end:
            given[r.giver_id] += 1
            received[r.receiver_id] += 1
            if r.giver_id in members and r.receiver_id in members:
                counts[(r.giver_id, r.receiver_id)] += 1
    for b in db.session.execute(
        select(ClosedBusiness).where(
            ClosedBusiness.circle_id == circle.id, ClosedBusiness.voided_at.is_(None)
        )
    ).scalars():
        if period.start <= b.closed_on <= period.end:
            generated[b.thanked_id] += b.amount_minor
            earned[b.reporter_id] += b.amount_minor
            if b.thanked_id in members:
                total += b.amount_minor
                if b.reporter_id not in members:
                    external += b.amount_minor
            if b.thanked_id in members and b.reporter_id in members:
                revenue[(b.thanked_id, b.reporter_id)] += b.amount_minor
        elif previous.start <= b.closed_on <= previous.end:
            before_generated[b.thanked_id] += b.amount_minor
            before_earned[b.reporter_id] += b.amount_minor
    threshold = lopsided_threshold(circle)

    def tips(x: int, y: int) -> bool:
        return x + y > 0 and Fraction(abs(x - y), x + y) >= threshold

    scales = {}
    for mid, m in members.items():
        row = (
            given[mid],
            received[mid],
            generated[mid],
            earned[mid],
            before_generated[mid],
            before_earned[mid],
            len({t for (s, t) in counts if s == mid}),
            tips(generated[mid], earned[mid]) and tips(before_generated[mid], before_earned[mid]),
        )
        if m.status == "active" or any(row[:4]):
            scales[mid] = row
    pairs = {}
    for s, t in set(counts) | set(revenue):
        a, b = min(s, t), max(s, t)
        ab, ba = counts[(a, b)], counts[(b, a)]
        rab, rba = revenue[(a, b)], revenue[(b, a)]
        pairs[(a, b)] = (ab, ba, rab, rba, ab > 0 and ba > 0 and tips(rab, rba))
    return {"members": scales, "pairs": pairs, "total": total, "external": external}


def computed_balance(circle, period: Period) -> dict:
    """The same figures as ``compute`` answers them."""
    balance = compute(circle, period)
    return {
        "members": {
            m.member_id: (
                m.given_count,
                m.received_count,
                m.revenue_generated,
                m.revenue_received,
                m.previous_generated,
                m.previous_received,
                m.connections,
                m.tipped,
            )
            for m in balance.members.values()
        },
        "pairs": {
            (p.a, p.b): (
                p.count_a_to_b,
                p.count_b_to_a,
                p.revenue_a_to_b,
                p.revenue_b_to_a,
                p.lopsided,
            )
            for p in balance.pairs
        },
        "total": balance.revenue_total,
        "external": balance.external_revenue,
    }


def random_history(db, make, seed: int, after_each=None):
    """A circle with seven members, one of whom leaves, and a random history: slips on
    random days since 2000 (most in the last three years), corrections that move slips to
    other members, days and amounts, and voids; ``after_each(circle)`` is called after
    every step when given."""
    rng = random.Random(seed)
    circle = db.session.merge(make.circle(admin_profession="Organisation"))
    admin = db.session.execute(
        select(Membership).where(Membership.circle_id == circle.id)
    ).scalar_one()
    seats = [db.session.merge(make.member(circle, profession=f"Beruf {k}")) for k in range(6)]
    people = [admin, *seats]
    today = today_for(circle)

    def day() -> date:
        if rng.random() < 0.15:
            return EARLIEST + timedelta(days=rng.randrange(800))
        return today - timedelta(days=rng.randrange(3 * 365))

    def two():
        giver, receiver = rng.sample(people, 2)
        return giver, receiver

    referrals, business = [], []
    for _ in range(120):
        giver, receiver = two()
        action = rng.random()
        if action < 0.45 or not referrals:
            inputs = [
                rs.ReferralInput(receiver_id=receiver.id, given_on=day(), giver_id=giver.id)
                for _ in range(rng.choice((1, 1, 2)))
            ]
            referrals += rs.give_referrals(circle, admin, inputs, notify=False)
        elif action < 0.75 or not business:
            data = rs.BusinessInput(
                thanked_id=giver.id,
                amount_minor=rng.randrange(1, 500_000),
                closed_on=day(),
                reporter_id=receiver.id,
            )
            business.append(rs.report_closed_business(circle, admin, data, notify=False))
        elif action < 0.82:
            entry = rng.choice(referrals)
            if not entry.is_void:
                rs.correct_referral(
                    circle,
                    admin,
                    entry.id,
                    rs.ReferralInput(receiver_id=receiver.id, given_on=day(), giver_id=giver.id),
                )
        elif action < 0.89:
            entry = rng.choice(business)
            if not entry.is_void:
                data = rs.BusinessInput(
                    thanked_id=giver.id,
                    amount_minor=rng.randrange(1, 500_000),
                    closed_on=day(),
                    reporter_id=receiver.id,
                )
                rs.correct_business(circle, admin, entry.id, data)
        elif action < 0.95:
            entry = rng.choice(referrals)
            if not entry.is_void:
                rs.void_referral(circle, admin, entry.id, "Doppelt")
        else:
            entry = rng.choice(business)
            if not entry.is_void:
                rs.void_business(circle, admin, entry.id, "Falscher Betrag")
        if after_each is not None:
            db.session.flush()
            after_each(circle)
    db.session.flush()
    # A member leaves: the history keeps their slips and the balance shows them.
    db.session.execute(
        update(Membership)
        .where(Membership.id == seats[-1].id)
        .values(status="left", ended_at=utcnow())
    )
    db.session.flush()
    return circle, rng, today


def periods(circle, rng: random.Random, today: date) -> list[Period]:
    """The named periods and random custom ones: from 2000, into the future, mid-history."""
    chosen = [period_for(circle, kind) for kind in ("six_months", "twelve_months", "all")]
    for _ in range(12):
        start = EARLIEST + timedelta(days=rng.randrange((today - EARLIEST).days))
        end = start + timedelta(days=rng.randrange((today - start).days + 400))
        chosen.append(Period(start, end))
    chosen.append(Period(EARLIEST, today))
    chosen.append(Period(EARLIEST + timedelta(days=300), today + timedelta(days=30)))
    chosen.append(Period(today - timedelta(days=3 * 365), today - timedelta(days=5)))
    return chosen


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_totals_follow_every_write_correction_and_void(ctx, db, make, seed):
    circle, _rng, _today = random_history(db, make, seed)
    kept = stored(db, circle.id)
    assert kept  # something flowed
    totals.rebuild(circle.id)
    assert stored(db, circle.id) == kept


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_balance_from_totals_equals_the_raw_slips(ctx, db, make, seed):
    circle, rng, today = random_history(db, make, seed)
    chosen = periods(circle, rng, today)
    assert any(totals.reads_totals(p, today) for p in chosen)
    assert not all(totals.reads_totals(p, today) for p in chosen)
    for period in chosen:
        assert computed_balance(circle, period) == expected_balance(db, circle, period), period


def test_rebuild_repairs_totals_after_writes_around_the_services(ctx, db, make):
    """Slips inserted without the services (as the benchmark's generator does) are missing
    from the totals until ``rebuild``; the whole-history balance is right again after it."""
    circle, _rng, today = random_history(db, make, 7)
    a, b = db.session.execute(
        select(Membership.id)
        .where(Membership.circle_id == circle.id, Membership.status == "active")
        .limit(2)
    ).scalars()
    db.session.add(Referral(circle_id=circle.id, giver_id=a, receiver_id=b, given_on=today))
    db.session.flush()
    whole = Period(EARLIEST, today)
    assert computed_balance(circle, whole) != expected_balance(db, circle, whole)
    assert totals.rebuild(circle.id) > 0
    assert computed_balance(circle, whole) == expected_balance(db, circle, whole)


def test_the_whole_history_costs_the_same_statements(ctx, db, make, count_queries):
    circle, _rng, today = random_history(db, make, 5)
    with count_queries() as short:
        compute(circle, period_for(circle))
    with count_queries() as whole:
        compute(circle, Period(EARLIEST, today))
    assert short.count == whole.count == 2
    assert "pair_totals" in " ".join(whole.statements)
    assert "pair_totals" not in " ".join(short.statements)


def test_imports_add_to_the_totals_external_parties_and_voids_included(ctx, db, make):
    """A BNI report (an outside party, thanks without a reporter) and then the circle's own
    CSV export with a voided slip, imported into a fresh circle: the totals the import kept
    equal the slips summed again, and the whole-history balance equals the raw slips."""
    circle, seats = make_people(make, db)
    imports.commit(circle, None, fixture("bni_slips_metadata.xls"), slip_date=SLIP_DATE)
    names = list(seats)
    day = today_for(circle) - timedelta(days=3)
    for index, name in enumerate(names):
        receiver = seats[names[(index + 1) % len(names)]]
        referral = rs.give_referral(
            circle, seats[name], rs.ReferralInput(receiver_id=receiver.id, given_on=day)
        )
        rs.report_closed_business(
            circle,
            receiver,
            rs.BusinessInput(seats[name].id, 10_000 + index, day, referral_id=referral.id),
            notify=False,
        )
    rs.void_referral(circle, seats[names[0]], referral.id, "Doppelt")
    db.session.flush()
    admin = seats["Anna Schmidt"]
    start, end = export.period(circle, None, None)
    text = export.export_csv(circle, admin, start, end)

    fresh, _seats = make_people(make, db, admin_name="Anna Schmidt")
    summary = imports.commit(fresh, None, text.encode("utf-8"), filename="export.csv")
    assert summary.error_count == 0
    for each in (circle, fresh):
        kept = stored(db, each.id)
        assert any(source is None or target is None for _kind, source, target in kept)
        totals.rebuild(each.id)
        assert stored(db, each.id) == kept
        whole = Period(EARLIEST, today_for(each))
        assert computed_balance(each, whole) == expected_balance(db, each, whole)


# --- the members' months behind the ledger by month ------------------------------------


def months_kept(db, circle_id: int) -> dict[tuple, tuple[int, int, int, int]]:
    """The members' months of a circle as kept: (member, month) -> the four figures."""
    rows = db.session.execute(select(MemberMonth).where(MemberMonth.circle_id == circle_id))
    return {
        (m.membership_id, m.month): (m.given, m.received, m.revenue_generated, m.revenue_received)
        for m in rows.scalars()
        if m.given or m.received or m.revenue_generated or m.revenue_received
    }


def months_of_the_slips(db, circle_id: int) -> dict[tuple, tuple[int, int, int, int]]:
    """The same figures summed in Python over the raw live slips."""
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in db.session.execute(
        select(Referral).where(Referral.circle_id == circle_id, Referral.voided_at.is_(None))
    ).scalars():
        month = r.given_on.replace(day=1)
        if r.giver_id:
            sums[(r.giver_id, month)][0] += 1
        if r.receiver_id:
            sums[(r.receiver_id, month)][1] += 1
    for b in db.session.execute(
        select(ClosedBusiness).where(
            ClosedBusiness.circle_id == circle_id, ClosedBusiness.voided_at.is_(None)
        )
    ).scalars():
        month = b.closed_on.replace(day=1)
        if b.thanked_id:
            sums[(b.thanked_id, month)][2] += b.amount_minor
        if b.reporter_id:
            sums[(b.reporter_id, month)][3] += b.amount_minor
    return {key: tuple(v) for key, v in sums.items() if any(v)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_members_months_follow_every_write_correction_and_void(ctx, db, make, seed):
    circle, _rng, _today = random_history(db, make, seed)
    kept = months_kept(db, circle.id)
    assert kept == months_of_the_slips(db, circle.id)
    totals.rebuild(circle.id)
    assert months_kept(db, circle.id) == kept


@pytest.mark.parametrize("seed", [4, 5])
def test_the_ledger_by_month_equals_the_days_of_the_slips(ctx, db, make, seed):
    """Every member's months, read from the kept months, equal the daily totals folded
    into months (what the ledger read before)."""
    circle, _rng, today = random_history(db, make, seed)
    for member_id in db.session.execute(
        select(Membership.id).where(Membership.circle_id == circle.id)
    ).scalars():
        daily = reading.daily_totals(circle, member_id, EARLIEST, today)
        folded: dict[date, reading.Totals] = defaultdict(reading.Totals)
        for day, t in daily.items():
            into = folded[day.replace(day=1)]
            into.given += t.given
            into.received += t.received
            into.revenue_generated += t.revenue_generated
            into.revenue_received += t.revenue_received
        monthly = reading.monthly_totals(circle, member_id, EARLIEST, today)
        assert {m: t for m, t in monthly.items() if t != reading.Totals()} == dict(folded)


def test_imports_add_to_the_members_months(ctx, db, make):
    """The BNI report's slips (with an outside party) reach the members' months."""
    circle, _seats = make_people(make, db)
    imports.commit(circle, None, fixture("bni_slips_metadata.xls"), slip_date=SLIP_DATE)
    kept = months_kept(db, circle.id)
    assert kept and kept == months_of_the_slips(db, circle.id)
