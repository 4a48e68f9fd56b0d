"""The migrations build exactly the models, and the database itself holds the seat rules."""

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from circle.db import Base, utcnow
from circle.extensions import db as _db
from circle.models import Circle, Membership, User


def test_migrations_match_the_models(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            # SQLite cannot reflect the expression index on lower(email); checked below.
            warnings.filterwarnings("ignore", message=".*expression-based index.*")
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_email_uniqueness_ignores_case_in_the_database(app, make):
    make.user(email="Max@Example.org")
    with app.app_context(), pytest.raises(IntegrityError):
        _db.session.add(User(email="max@example.ORG", name="Twin", password_hash="x", locale="de"))
        _db.session.flush()


def _membership(circle_id, user_id, profession_id, status="active", role="member"):
    return Membership(
        circle_id=circle_id,
        user_id=user_id,
        profession_id=profession_id,
        role=role,
        status=status,
        joined_at=utcnow(),
        ended_at=utcnow() if status in ("left", "removed", "declined") else None,
    )


def test_database_refuses_a_second_active_seat_for_a_profession(app, make):
    circle = make.circle()
    holder = make.member(circle, profession="Fotograf")
    other = make.user()
    with app.app_context(), pytest.raises(IntegrityError):
        _db.session.add(_membership(circle.id, other.id, holder.profession_id))
        _db.session.flush()


def test_database_allows_the_profession_again_once_the_seat_ended(app, make):
    circle = make.circle()
    holder = make.member(circle, profession="Fotograf", status="removed")
    other = make.user()
    with app.app_context():
        _db.session.add(_membership(circle.id, other.id, holder.profession_id))
        _db.session.flush()
        assert (
            _db.session.execute(
                text("SELECT count(*) FROM memberships WHERE profession_id = :p"),
                {"p": holder.profession_id},
            ).scalar_one()
            == 2
        )


def test_database_refuses_two_live_memberships_of_one_user(app, make):
    circle = make.circle()
    seat = make.member(circle, profession="Fotograf")
    other_profession = make.profession("Apotheker")
    with app.app_context(), pytest.raises(IntegrityError):
        _db.session.add(
            _membership(circle.id, seat.user_id, other_profession.id, status="applicant")
        )
        _db.session.flush()


@pytest.mark.parametrize("limit", [0, 41])
def test_database_refuses_a_seat_limit_outside_1_to_40(app, limit):
    with app.app_context(), pytest.raises(IntegrityError):
        _db.session.add(Circle(name="Zu groß", seat_limit=limit))
        _db.session.flush()


def test_invitation_cannot_name_an_inviter_of_another_circle(app, make):
    from datetime import timedelta

    from circle.models import Invitation

    first = make.circle()
    second = make.circle()
    with app.app_context():
        foreign_admin = _db.session.execute(
            text("SELECT id FROM memberships WHERE circle_id = :c"), {"c": second.id}
        ).scalar_one()
        profession = make.profession("Fotograf")
        _db.session.add(
            Invitation(
                circle_id=first.id,
                email="x@example.org",
                profession_id=profession.id,
                invited_by_id=foreign_admin,
                token_hash="0" * 64,
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        with pytest.raises(IntegrityError):
            _db.session.flush()


def test_a_referral_cannot_join_members_of_two_circles(app, make):
    from datetime import date

    from circle.models import Referral

    first, second = make.circle(), make.circle()
    here = make.member(first, profession="Fotograf")
    there = make.member(second, profession="Apotheker")
    with app.app_context(), pytest.raises(IntegrityError):
        _db.session.add(
            Referral(
                circle_id=first.id,
                giver_id=here.id,
                receiver_id=there.id,
                given_on=date(2026, 1, 7),
                kind="inside",
                hotness=3,
            )
        )
        _db.session.flush()


def test_closed_business_amounts_are_positive_in_the_database(app, make):
    from datetime import date

    from circle.models import ClosedBusiness

    circle = make.circle()
    a = make.member(circle, profession="Fotograf")
    b = make.member(circle, profession="Apotheker")
    with app.app_context(), pytest.raises(IntegrityError):
        _db.session.add(
            ClosedBusiness(
                circle_id=circle.id,
                thanked_id=a.id,
                reporter_id=b.id,
                amount_minor=0,
                currency="EUR",
                closed_on=date(2026, 1, 7),
            )
        )
        _db.session.flush()
