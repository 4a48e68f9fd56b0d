"""``flask circle demo``: the demo circle, loaded idempotently, with working logins."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from circle.demo import DEMO_CIRCLE, DEMO_PASSWORD
from circle.extensions import db
from circle.models import Circle, Membership, User

pytestmark = pytest.mark.slow


def _counts(app):
    with app.app_context():
        circle = db.session.execute(select(Circle).where(Circle.name == DEMO_CIRCLE)).scalar_one()
        active = (
            db.session.execute(
                select(Membership).where(
                    Membership.circle_id == circle.id, Membership.status == "active"
                )
            )
            .scalars()
            .all()
        )
        users = db.session.execute(select(func.count(User.id))).scalar_one()
        professions = {m.profession.name for m in active if m.profession}
        statuses = db.session.execute(
            select(Membership.status, func.count()).group_by(Membership.status)
        ).all()
        db.session.remove()
    return len(active), users, professions, dict(statuses)


def test_demo_loads_koeln_sued_once_and_prints_logins(app, auth):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["circle", "demo"])
    assert first.exit_code == 0, first.output
    assert "anna@koeln-sued.example" in first.output
    assert DEMO_PASSWORD in first.output
    seated, users, professions, statuses = _counts(app)
    assert seated >= 20
    assert {"Apotheker", "Fotograf"} <= professions
    assert statuses["waitlisted"] == 1 and statuses["applicant"] == 1

    again = runner.invoke(args=["circle", "demo"])
    assert again.exit_code == 0, again.output
    assert _counts(app) == (seated, users, professions, statuses)

    response = auth.login("jens@koeln-sued.example", DEMO_PASSWORD)
    assert response.status_code == 302


def test_demo_refuses_to_run_in_production(app):
    app.config["CIRCLE_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["circle", "demo"])
    assert result.exit_code != 0
    assert "production" in result.output
    with app.app_context():
        assert db.session.execute(select(func.count(Circle.id))).scalar_one() == 0


def test_demo_year_holds_the_lopsided_pair(app):
    from circle.models import ClosedBusiness, Referral

    result = app.test_cli_runner().invoke(args=["circle", "demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        ids = dict(
            db.session.execute(
                select(User.email, Membership.id)
                .join(Membership.user)
                .where(User.email.in_(["jens@koeln-sued.example", "petra@koeln-sued.example"]))
            ).all()
        )
        photo, pharma = ids["jens@koeln-sued.example"], ids["petra@koeln-sued.example"]

        def count(giver, receiver):
            return db.session.execute(
                select(func.count(Referral.id)).where(
                    Referral.giver_id == giver, Referral.receiver_id == receiver
                )
            ).scalar_one()

        def earned(reporter, thanked):
            return db.session.execute(
                select(func.sum(ClosedBusiness.amount_minor)).where(
                    ClosedBusiness.reporter_id == reporter, ClosedBusiness.thanked_id == thanked
                )
            ).scalar_one()

        to_photo, to_pharma = count(pharma, photo), count(photo, pharma)
        assert to_photo == to_pharma >= 12  # equal in number, every month both ways
        assert 1080 <= earned(photo, pharma) / to_photo / 100 <= 1320  # about 1,200 € each
        assert 4.5 <= earned(pharma, photo) / to_pharma / 100 <= 5.5  # about 5 € each
        total = db.session.execute(select(func.count(Referral.id))).scalar_one()
        assert total >= 52 * 8  # a year of weekly referrals
        db.session.remove()


def test_demo_chapter_has_officers_history_scores_and_dues(app):
    """``make run`` shows a chapter in motion: every colour but grey, one seat at risk,
    locked weeks with the last two open, guests credited, and dues paid, in grace, overdue."""
    from circle.core.weeks import today_for, week_start
    from circle.dues import services as dues
    from circle.meetings import absence
    from circle.models import MembershipRole, WeeklyReport
    from circle.scores import services as scores

    result = app.test_cli_runner().invoke(args=["circle", "demo"])
    assert result.exit_code == 0, result.output
    with app.test_request_context():
        circle = db.session.execute(select(Circle).where(Circle.name == DEMO_CIRCLE)).scalar_one()
        offices = set(
            db.session.execute(
                select(User.email, MembershipRole.role)
                .join(Membership, Membership.id == MembershipRole.membership_id)
                .join(Membership.user)
            ).all()
        )
        assert ("thomas@koeln-sued.example", "vice_president") in offices
        assert ("markus@koeln-sued.example", "secretary_treasurer") in offices

        at_risk = [s.member.user.email for s in absence.standings(circle) if s.at_risk]
        assert at_risk == ["oliver@koeln-sued.example"]

        colours = scores.distribution(scores.chapter_scores(circle))
        assert colours["green"] >= 1 and colours["yellow"] >= 1 and colours["red"] >= 1

        this_week = week_start(circle, today_for(circle))
        locked = set(
            db.session.execute(
                select(WeeklyReport.week_start).where(WeeklyReport.circle_id == circle.id)
            ).scalars()
        )
        assert locked and this_week not in locked
        assert max(locked) < this_week - timedelta(weeks=1)

        states = [status.state for _m, status in dues.dues_list(circle)]
        assert {"paid", "grace", "overdue"} <= set(states)
        db.session.remove()
