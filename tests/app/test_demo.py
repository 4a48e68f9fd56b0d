"""``flask circle demo``: the demo circle, loaded idempotently, with working logins."""

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
