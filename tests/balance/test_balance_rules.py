"""The balance of give and take, computed by hand for a small circle (service level)."""

from datetime import date
from fractions import Fraction

import pytest

from circle.balance.periods import period_for
from circle.balance.services import compute, lopsidedness
from circle.core.periods import Period
from circle.referrals import services as rs

JUNE = Period(date(2026, 6, 1), date(2026, 6, 30))


@pytest.fixture
def four(make, db):
    """A, B, C, D with a dozen referrals and revenue both ways, one voided of each."""
    circle = db.session.merge(make.circle(admin_profession=None))
    a, b, c, d = (
        db.session.merge(make.member(circle, make.user(name=n), profession=p))
        for n, p in (("A", "Fotograf"), ("B", "Apotheker"), ("C", "Maler"), ("D", "Bäcker"))
    )

    def give(giver, receiver, day):
        return rs.give_referral(
            circle, giver, rs.ReferralInput(receiver_id=receiver.id, given_on=day)
        )

    def thank(reporter, thanked, cents, day):
        return rs.report_closed_business(
            circle, reporter, rs.BusinessInput(thanked.id, cents, day), notify=False
        )

    june = date(2026, 6, 10)
    give(a, b, june), give(a, b, june), give(b, a, june), give(a, c, june)
    give(c, d, june), give(d, c, june)
    voided = give(a, d, june)
    rs.void_referral(circle, a, voided.id, "Doppelt")
    give(a, b, date(2026, 7, 1))  # after the period
    give(b, a, date(2026, 5, 31))  # before the period
    thank(b, a, 100_000, june)  # B earned 1.000,00 € thanks to A
    thank(a, b, 1_000, june)  # A earned 10,00 € thanks to B
    thank(d, c, 50_000, june)
    thank(c, d, 45_000, june)
    wrong = thank(b, a, 9_900, june)
    rs.void_business(circle, b, wrong.id, "Falscher Betrag")
    thank(b, a, 80_000, date(2026, 5, 20))  # the period before: A's scale tipped then too
    return circle, a, b, c, d


def test_pairs_count_both_ways_and_leave_voided_and_outside_entries_out(ctx, four):
    circle, a, b, c, d = four
    balance = compute(circle, JUNE)
    pairs = {(p.a, p.b): p for p in balance.pairs}
    ab = pairs[(min(a.id, b.id), max(a.id, b.id))]
    a_first = ab.a == a.id
    assert (ab.count_a_to_b, ab.count_b_to_a) == ((2, 1) if a_first else (1, 2))
    assert (ab.revenue_a_to_b, ab.revenue_b_to_a) == (
        (100_000, 1_000) if a_first else (1_000, 100_000)
    )
    assert ab.lopsidedness == Fraction(99_000, 101_000)
    assert ab.lopsided
    cd = pairs[(min(c.id, d.id), max(c.id, d.id))]
    assert cd.lopsidedness == Fraction(5_000, 95_000) and not cd.lopsided
    ac = pairs[(min(a.id, c.id), max(a.id, c.id))]
    assert ac.lopsidedness is None and not ac.lopsided  # no revenue either way
    assert (min(a.id, d.id), max(a.id, d.id)) not in pairs  # only a voided slip


def test_lopsided_pairs_need_both_sides_to_have_given(ctx, four):
    circle, a, b, *_ = four
    lopsided = compute(circle, JUNE).lopsided_pairs()
    assert [(p.a, p.b) for p in lopsided] == [(min(a.id, b.id), max(a.id, b.id))]
    assert lopsided[0].revenue_gap == 99_000


def test_member_scales_and_the_two_period_flag(ctx, four):
    circle, *_ = four
    balance = compute(circle, JUNE)
    got = {
        m.name: (m.given_count, m.received_count, m.revenue_generated, m.revenue_received)
        for m in balance.members.values()
        if m.name in "ABCD"
    }
    assert got == {
        "A": (3, 1, 100_000, 1_000),
        "B": (1, 2, 1_000, 100_000),
        "C": (1, 2, 50_000, 45_000),
        "D": (1, 1, 45_000, 50_000),
    }
    tipped = {m.name for m in balance.members.values() if m.tipped}
    assert tipped == {"A", "B"}  # both tipped in June and in the 30 days before


def test_network_roles(ctx, four):
    circle, a, b, *_ = four
    roles = compute(circle, JUNE).roles
    assert [(m.name, m.connections) for m in roles.connectors][:1] == [("A", 2)]
    assert [m.name for m in roles.top_givers] == ["A", "C", "D"]
    assert roles.top_three_share == Fraction(195_000, 196_000)
    assert roles.repeat_pairs == [(a.id, b.id, 2)]


def test_the_analysis_takes_two_statements_whatever_the_size(ctx, four, count_queries, make, db):
    circle, *_ = four
    with count_queries() as small:
        compute(circle, JUNE)
    for i in range(36):
        make.member(circle, profession=f"Beruf {i}")
    with count_queries() as large:
        compute(circle, JUNE)
    assert small.count == large.count == 2, large.statements  # members; both flows


def test_lopsidedness_is_exact():
    assert lopsidedness(0, 0) is None
    assert lopsidedness(5, 5) == 0
    assert lopsidedness(120_000, 500) == Fraction(119_500, 120_500)
    assert lopsidedness(7, 0) == 1


def test_default_period_is_the_last_six_completed_months(make, ctx):
    circle = make.circle()
    six = period_for(circle, today=date(2026, 11, 22))
    assert (six.start, six.end) == (date(2026, 5, 1), date(2026, 10, 31))
    twelve = period_for(circle, "twelve_months", today=date(2026, 1, 5))
    assert (twelve.start, twelve.end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert six.previous() == Period(date(2025, 11, 1), date(2026, 4, 30), "six_months")


def test_members_see_counts_and_only_their_own_pairs_revenue(ctx, four, db):
    from circle.balance.visibility import visible_balance

    circle, a, b, c, _d = four
    full = compute(circle, JUNE)
    seen = visible_balance(full, c)
    assert {p.count_a_to_b + p.count_b_to_a for p in seen.pairs} == {
        p.count_a_to_b + p.count_b_to_a for p in full.pairs
    }
    for pair in seen.pairs:
        if pair.involves(c.id):
            assert pair.revenue_a_to_b is not None
        else:
            assert pair.revenue_a_to_b is None and pair.lopsided is None
    assert seen.members[c.id].revenue_generated == 50_000
    assert seen.members[a.id].revenue_generated is None
    assert seen.lopsided_pairs() == []  # the A/B pair is not C's business
    assert seen.roles.top_three_share is None and seen.revenue_total is None
    assert not any(m.tipped for m in seen.members.values())
    assert visible_balance(full, b).lopsided_pairs()[0].involves(a.id)

    circle.revenue_open_to_members = True
    opened = visible_balance(compute(circle, JUNE), c)
    assert opened.members[a.id].revenue_generated == 100_000
    assert len(opened.lopsided_pairs()) == 1
