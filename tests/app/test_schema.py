"""The migrations build exactly the models, and the database itself holds the seat rules."""

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from circle.core.clock import utcnow
from circle.db import Base
from circle.extensions import db as _db
from circle.models import Circle, Membership, User
from tests.apps import make_test_app


def _mapped(name, type_, _parent_names) -> bool:
    """Every table but the search index (derived data; an FTS5 table on SQLite, whose
    shadow tables ``profile_search_*`` come with it), which no model maps."""
    return not (type_ == "table" and name and name.startswith("profile_search"))


def test_migrations_match_the_models(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            # SQLite cannot reflect the expression index on lower(email); checked below.
            warnings.filterwarnings("ignore", message=".*expression-based index.*")
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": _mapped}
            )
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


TABLES = ("users", "professions", "circles", "memberships", "referrals", "closed_business")


def _row_counts(conn) -> dict[str, int]:
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def test_upgrading_a_database_that_holds_data_keeps_every_row(tmp_path):
    """Later revisions rebuild tables (SQLite batch mode); rows pointing at them must survive."""
    from flask_migrate import downgrade, upgrade

    app = make_test_app(f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path)
    with app.app_context():
        upgrade(revision="0002")
        with _db.engine.begin() as conn:  # what `make run` left behind at revision 0002
            conn.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, locale, created_at) VALUES "
                    "(1, 'a@x.org', 'A', '!', 'de', '2026-01-01'), "
                    "(2, 'b@x.org', 'B', '!', 'de', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO professions (id, name, key, created_at) VALUES "
                    "(1, 'Fotograf', 'fotograf', '2026-01-01'), (2, 'Apotheker', 'apotheker', "
                    "'2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO circles (id, name, city, timezone, currency, meeting_weekday, "
                    "meeting_time, seat_limit, created_at) VALUES "
                    "(1, 'K', 'Köln', 'Europe/Berlin', 'EUR', 2, '07:00:00', 40, '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO memberships (id, circle_id, user_id, profession_id, role, status, "
                    "created_at, updated_at) VALUES "
                    "(1, 1, 1, 1, 'admin', 'active', '2026-01-01', '2026-01-01'), "
                    "(2, 1, 2, 2, 'member', 'active', '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO referrals (id, circle_id, giver_id, receiver_id, given_on, kind, "
                    "prospect_name, prospect_phone, prospect_email, note, status, created_at, "
                    "updated_at) VALUES (1, 1, 1, 2, '2026-01-07', 'inside', '', '', '', '', "
                    "'new', '2026-01-07', '2026-01-07')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO closed_business (id, circle_id, thanked_id, reporter_id, "
                    "amount_minor, currency, closed_on, kind, note, created_at, updated_at) VALUES "
                    "(1, 1, 1, 2, 120000, 'EUR', '2026-01-08', 'new', '', '2026-01-08', "
                    "'2026-01-08')"
                )
            )
            before = _row_counts(conn)
        upgrade()
        with _db.engine.connect() as conn:
            assert _row_counts(conn) == before
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        downgrade(revision="0002")
        with _db.engine.connect() as conn:
            assert _row_counts(conn) == before
        _db.engine.dispose()


@pytest.mark.parametrize("minutes", [5, 481])
def test_database_refuses_a_meeting_length_outside_15_to_480_minutes(app, minutes):
    with app.app_context(), pytest.raises(IntegrityError):
        _db.session.add(Circle(name="Kurz", meeting_minutes=minutes))
        _db.session.flush()


def test_database_refuses_a_decided_decline_without_its_reason(app, make):
    circle = make.circle()
    applicant = make.user()
    with app.app_context():
        membership = Membership(
            circle_id=circle.id, user_id=applicant.id, status="declined", role="member"
        )
        membership.profession_id = None
        membership.ended_at = utcnow()
        membership.decided_at = utcnow()
        membership.role = "admin"  # no profession needed for this check
        _db.session.add(membership)
        with pytest.raises(IntegrityError):
            _db.session.flush()
