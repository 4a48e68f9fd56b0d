"""Dues status over time and manual payments (service level)."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from circle.core.errors import Forbidden, ValidationFailed
from circle.dues import services as ds
from circle.models import Membership


@pytest.fixture
def circle_with_plan(make, db):
    admin = make.user(name="Tina Treasurer")
    circle = db.session.merge(make.circle(admin=admin))
    actor = db.session.execute(
        select(Membership).where(Membership.circle_id == circle.id, Membership.role == "admin")
    ).scalar_one()
    member = db.session.merge(make.member(circle, make.user(name="Max Mitglied")))
    member.joined_at = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    ds.set_plan(circle, actor, ds.PlanInput(amount_minor=60_000, interval="year", grace_days=14))
    return circle, actor, member


def test_status_moves_from_paid_to_grace_to_overdue_and_back(ctx, circle_with_plan):
    circle, actor, member = circle_with_plan
    plan = ds.current_plan(circle)
    assert ds.status_of(plan, member, None, date(2026, 1, 20)).state == "grace"
    assert ds.status_of(plan, member, None, date(2026, 1, 25)).state == "overdue"
    ds.record_manual_payment(
        circle,
        actor,
        member.id,
        60_000,
        date(2026, 1, 10),
        date(2027, 1, 9),
        date(2026, 1, 26),
        reference="Überweisung 4711",
    )
    last = ds.paid_through(circle)[member.id]
    assert last == date(2027, 1, 9)
    assert ds.status_of(plan, member, last, date(2026, 6, 1)).state == "paid"
    assert ds.status_of(plan, member, last, date(2027, 1, 9)).state == "paid"
    grace = ds.status_of(plan, member, last, date(2027, 1, 24))  # 14th day of grace
    assert (grace.state, grace.due_since) == ("grace", date(2027, 1, 10))
    assert ds.status_of(plan, member, last, date(2027, 1, 25)).state == "overdue"


def test_without_a_plan_there_are_no_dues(ctx, make, db):
    circle = db.session.merge(make.circle())
    member = db.session.merge(make.member(circle))
    assert ds.status_of(ds.current_plan(circle), member, None, date(2026, 5, 1)).state == "no_plan"


def test_a_new_plan_archives_the_old_one(ctx, circle_with_plan):
    circle, actor, _member = circle_with_plan
    old = ds.current_plan(circle)
    new = ds.set_plan(circle, actor, ds.PlanInput(amount_minor=5_000, interval="month"))
    assert ds.current_plan(circle).id == new.id and old.archived_at is not None


def test_periods_follow_the_calendar():
    plan = ds.DuesPlan(interval="month")
    assert ds.period_end(plan, date(2026, 1, 31)) == date(2026, 2, 27)
    assert ds.period_end(plan, date(2026, 3, 1)) == date(2026, 3, 31)
    plan.interval = "year"
    assert ds.period_end(plan, date(2024, 2, 29)) == date(2025, 2, 27)
    assert ds.period_end(plan, date(2026, 1, 10)) == date(2027, 1, 9)


def test_manual_payments_are_for_admins_and_checked(ctx, circle_with_plan):
    circle, actor, member = circle_with_plan
    with pytest.raises(Forbidden):
        ds.record_manual_payment(
            circle, member, member.id, 100, date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 2)
        )
    with pytest.raises(ValidationFailed):
        ds.record_manual_payment(
            circle, actor, member.id, 0, date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 2)
        )
    with pytest.raises(ValidationFailed):
        ds.record_manual_payment(
            circle, actor, member.id, 100, date(2026, 2, 1), date(2026, 1, 31), date(2026, 1, 2)
        )
    assert ds.paid_through(circle) == {}
