"""How a request ends its transaction: one that only read ends with COMMIT, so that
PostgreSQL keeps the statements psycopg prepared (a ROLLBACK drops them, and every page
planned its statements again); one that wrote without committing is rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text

from circle.core.clock import utcnow
from circle.core.memo import Memo
from circle.extensions import db
from circle.models import Profession
from tests.clients import AuthActions
from tests.factories import Factory


def _connections_after(app, path: str) -> set:
    """The database connections that served eight requests of a circle's ``path`` as its
    admin (psycopg prepares a statement on its fifth run), each made afresh: nothing kept
    in memory from the one before (``circle.core.memo``), as after a change."""
    make = Factory(app)
    admin = make.user(name="Anna Admin", email="anna@example.org")
    circle = make.circle(admin=admin)
    client = app.test_client()
    AuthActions(client).login(admin)
    used = set()
    with app.app_context():
        engine = db.engine

    def note(conn, *_args) -> None:
        used.add(conn.connection.dbapi_connection)

    event.listen(engine, "before_cursor_execute", note)
    try:
        for _ in range(8):
            Memo.forget_everything()
            assert client.get(f"/circles/{circle.id}{path}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return used


@pytest.mark.postgres_only
def test_pages_that_only_read_keep_the_prepared_statements(committed_app):
    prepared = []
    for connection in _connections_after(committed_app, "/ledger"):
        prepared += [
            row[0] for row in connection.execute("SELECT statement FROM pg_prepared_statements")
        ]
        connection.rollback()
    assert any("FROM user_sessions" in statement for statement in prepared), prepared
    assert any("FROM member_months" in statement for statement in prepared), prepared


@pytest.mark.postgres_only
def test_the_home_page_plans_its_agenda_once_and_leaves_other_pages_alone(committed_app):
    """The home page's agenda runs on a plan made once (``circle.db.plan_once``), the page
    still ends with COMMIT (its statements stay prepared), and the setting ends with the
    request: the next page on the same connection plans as PostgreSQL chooses."""
    plans = []
    for connection in _connections_after(committed_app, ""):
        assert connection.execute("SHOW plan_cache_mode").fetchone()[0] == "auto"
        plans += connection.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%score_one_to_ones%'"
        ).fetchall()
        connection.rollback()
    assert plans, "the agenda statement was not prepared"
    assert all(generic > 0 and custom == 0 for generic, custom in plans), plans


def _professions(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(Profession.id))).scalar_one()


def test_a_request_that_wrote_without_committing_is_rolled_back(committed_app):
    before = _professions(committed_app)
    with committed_app.test_request_context():
        db.session.add(Profession(name="Flushed", key="flushed"))
        db.session.flush()
    with committed_app.test_request_context():
        db.session.add(Profession(name="Pending", key="pending"))
    with committed_app.test_request_context():
        db.session.execute(
            text("INSERT INTO professions (name, key, created_at) VALUES ('Raw', 'raw', :now)"),
            {"now": utcnow()},
        )
    assert _professions(committed_app) == before
