"""A balance computed once is kept in memory under the circle's ``slips_stamp`` (issue 15)
and never shown stale: every write, correction, void, import and rebuild gives the circle
a new stamp in its own transaction; names, statuses and the threshold are read fresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from circle.balance import totals
from circle.balance.periods import period_for
from circle.balance.services import compute
from circle.core.clock import utcnow
from circle.core.periods import Period
from circle.imports import services as imports
from circle.models import Circle, Membership, User
from circle.referrals import services as rs
from tests.balance.test_balance_totals import computed_balance, expected_balance, random_history
from tests.imports.support import SLIP_DATE, fixture, make_people


def stamp(db, circle_id: int) -> int:
    """The circle's stamp as the database holds it."""
    return db.session.scalar(select(Circle.slips_stamp).where(Circle.id == circle_id))


def chosen(circle) -> list[Period]:
    """The default period, the whole history and a custom year."""
    six, whole = period_for(circle, "six_months"), period_for(circle, "all")
    return [six, whole, Period(whole.end - timedelta(days=400), whole.end)]


@pytest.mark.parametrize("seed", [4, 5])
def test_a_kept_balance_follows_every_write_correction_and_void(ctx, db, make, seed):
    """After every step of a random history each period's balance is computed twice (the
    second from memory) and both equal the raw slips."""
    steps = []

    def check(circle):
        for period in chosen(circle):
            expected = expected_balance(db, circle, period)
            assert computed_balance(circle, period) == expected, (len(steps), period)
            assert computed_balance(circle, period) == expected, (len(steps), period)
        steps.append(stamp(db, circle.id))

    random_history(db, make, seed, after_each=check)
    assert len(steps) == 120
    assert len(set(steps)) > 100  # nearly every step changed the slips, and the stamp


def statements_of(db, call) -> list[str]:
    """The SQL that ``call()`` sends, counted without forgetting what is kept (unlike the
    ``count_queries`` fixture)."""
    seen: list[str] = []

    def note(*args):
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def give(circle, giver, receiver, day) -> None:
    """One referral through the service."""
    rs.give_referrals(
        circle,
        giver,
        [rs.ReferralInput(receiver_id=receiver.id, given_on=day, giver_id=giver.id)],
        notify=False,
    )


def test_a_kept_balance_costs_one_statement_until_the_slips_change(ctx, db, make, count_queries):
    circle, people = make_people(make, db)
    admin, *seats = people.values()
    period = period_for(circle, "six_months")
    with count_queries() as cold:
        first = computed_balance(circle, period)
    kept = statements_of(db, lambda: computed_balance(circle, period))
    assert len(kept) == 1 < cold.count  # the members with the stamp; no flows
    assert computed_balance(circle, period) == first

    before = stamp(db, circle.id)
    give(circle, admin, seats[0], period.end)
    assert stamp(db, circle.id) != before
    assert computed_balance(circle, period) == expected_balance(db, circle, period) != first


def test_names_statuses_and_the_threshold_are_read_fresh(ctx, db, make):
    circle, people = make_people(make, db)
    admin, *seats = people.values()
    period = period_for(circle, "six_months")
    give(circle, admin, seats[0], period.end)
    give(circle, seats[0], admin, period.end)
    for thanked, reporter, amount in ((admin, seats[0], 10_000), (seats[0], admin, 9_000)):
        rs.report_closed_business(
            circle,
            admin,
            rs.BusinessInput(
                thanked_id=thanked.id,
                amount_minor=amount,
                closed_on=period.end,
                reporter_id=reporter.id,
            ),
            notify=False,
        )
    balance = compute(circle, period)
    assert balance.pairs[0].lopsided is False  # 10 % apart, the threshold is higher
    user = db.session.get(User, seats[0].user_id)
    user.name = "Neuer Name"
    db.session.execute(
        update(Circle).where(Circle.id == circle.id).values(lopsided_threshold_pct=5)
    )
    db.session.execute(
        update(Membership)
        .where(Membership.id == seats[1].id)
        .values(status="left", ended_at=utcnow())
    )
    db.session.flush()
    circle = db.session.get(Circle, circle.id)
    db.session.refresh(circle)
    again = compute(circle, period)
    assert again.member(seats[0].id).name == "Neuer Name"
    assert again.pairs[0].lopsided is True
    assert seats[1].id not in again.members  # left, and nothing in the period


def test_imports_and_rebuilds_give_a_new_stamp(ctx, db, make):
    circle, _seats = make_people(make, db)
    periods = chosen(circle)
    before = [computed_balance(circle, period) for period in periods]
    stamps = [stamp(db, circle.id)]
    imports.commit(circle, None, fixture("bni_slips_metadata.xls"), slip_date=SLIP_DATE)
    stamps.append(stamp(db, circle.id))
    whole = Period(periods[1].start, max(periods[1].end, SLIP_DATE))
    for period in [*periods, whole]:
        assert computed_balance(circle, period) == expected_balance(db, circle, period)
    assert computed_balance(circle, whole) != before[1]
    totals.rebuild(circle.id)
    stamps.append(stamp(db, circle.id))
    assert len(set(stamps)) == 3


def test_a_write_rolled_back_leaves_the_kept_balance_right(ctx, db, make):
    """A transaction that wrote a slip and computed the balance, then rolled back: the
    figures it kept belong to a stamp that never committed."""
    circle, people = make_people(make, db)
    admin, seat, *_ = people.values()
    period = period_for(circle, "six_months")
    first = computed_balance(circle, period)
    with pytest.raises(RuntimeError), db.session.begin_nested():
        give(circle, admin, seat, period.end)
        assert computed_balance(circle, period) != first
        raise RuntimeError("stop")
    assert computed_balance(circle, period) == first == expected_balance(db, circle, period)
