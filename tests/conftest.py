"""Shared fixtures: an app per test inside a rolled-back transaction, clients, factories.

The database is chosen by ``TEST_DATABASE_URL`` (``make test`` runs the suite once on
SQLite and once on PostgreSQL). Its schema is built once per run by the Alembic
revisions, exactly as ``flask db upgrade`` does in production.
"""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from circle import create_app
from circle.auth import passwords
from circle.core import security
from circle.core.memo import Memo
from circle.extensions import db as _db
from circle.extensions import limiter
from tests.apps import (
    BACKEND_URL,
    in_one_transaction,
    is_postgres_url,
    make_test_app,
    wipe,
)
from tests.clients import ApiClient, AuthActions
from tests.factories import CHEAP_DUMMY_HASH, CHEAP_HASHER, Factory
from tests.mail.support import delivered
from tests.pages import Forms


def pytest_collection_modifyitems(config, items):
    """Browser tests are slow too; PostgreSQL-only tests stay out of the SQLite run."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
    if is_postgres_url(BACKEND_URL):
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres_only") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A database with the schema of the newest revision, made fresh for this run."""
    if is_postgres_url(BACKEND_URL):
        engine = create_engine(BACKEND_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        url = BACKEND_URL
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    app = create_app({"CIRCLE_ENV": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    return url


@pytest.fixture(autouse=True)
def password_cost(request, monkeypatch):
    """argon2id at minimal cost for every test not marked ``real_password_cost``.

    A login with the production parameters spends 0.2 s of CPU; hundreds of tests log in
    to test what comes after. The tests of the parameters themselves, of rehashing and of
    equal work per login branch are marked and run with the real hasher.
    """
    if request.node.get_closest_marker("real_password_cost"):
        return
    monkeypatch.setattr(security, "_hasher", CHEAP_HASHER)
    monkeypatch.setattr(passwords, "_dummy_hash", lambda: CHEAP_DUMMY_HASH)


@pytest.fixture(scope="module")
def cheap_hashing():
    """argon2id at minimal cost for a module's shared world, made before the tests' fixtures."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hasher", CHEAP_HASHER)
        patch.setattr(passwords, "_dummy_hash", lambda: CHEAP_DUMMY_HASH)
        yield


@pytest.fixture(scope="module")
def demo_app(database_url, tmp_path_factory, cheap_hashing):
    """An app with the demo loaded (``flask circle demo``) once for the module, rolled back
    at its end; the module's tests only read it."""
    app = make_test_app(database_url, tmp_path_factory.mktemp("demo"), RATELIMIT_ENABLED=False)
    with in_one_transaction(app):
        result = app.test_cli_runner().invoke(args=["circle", "demo"])
        assert result.exit_code == 0, result.output
        yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture(scope="session")
def shared_app(database_url, tmp_path_factory):
    """The one app of the test session (creating an app compiles ~770 URL rules: 0.3 s)."""
    app = make_test_app(database_url, tmp_path_factory.mktemp("app"))
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def app(shared_app, tmp_path):
    """The session's app, fresh for this test: its own transaction, outbox and rate limits.

    Every request and factory of the test runs inside one transaction that is rolled back
    at the end; the app's configuration and extensions are restored afterwards, so a test
    may change them freely.
    """
    app = shared_app
    config, extensions = dict(app.config), dict(app.extensions)
    app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    # Fresh in-memory counters under this app's settings (another app may have been made).
    limiter.init_app(app)
    with in_one_transaction(app):
        yield app
    app.config.clear()
    app.config.update(config)
    app.extensions.clear()
    app.extensions.update(extensions)


@pytest.fixture
def own_app(database_url, tmp_path):
    """An app of its own, for a test that changes what ``create_app`` set up (routes)."""
    app = make_test_app(database_url, tmp_path)
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The SQLAlchemy extension, for tests that query inside ``ctx``."""
    return _db


@pytest.fixture
def ctx(app):
    """A request context for service-level tests (not combined with ``client``)."""
    with app.test_request_context():
        yield
        _db.session.remove()


@pytest.fixture
def client(app):
    """A test client with cookies."""
    return app.test_client()


@pytest.fixture
def make(app) -> Factory:
    """Factories that commit rows into the test transaction."""
    return Factory(app)


@pytest.fixture
def outbox(app):
    """Read the mails written to the test outbox, oldest first, after delivering what the
    mail outbox holds (what the worker does after each commit; tests run without one)."""
    return lambda: delivered(app)


@pytest.fixture
def forms(client) -> Forms:
    """Form submission helper bound to ``client``."""
    return Forms(client)


@pytest.fixture
def auth(client) -> AuthActions:
    """Login helper bound to ``client``."""
    return AuthActions(client)


@pytest.fixture
def api(app, client) -> ApiClient:
    """An API client; call ``api.as_user(user)`` to authenticate."""
    return ApiClient(app, client)


# --- committed data (concurrency and browser tests) --------------------------------


@pytest.fixture
def committed_app(database_url, tmp_path):
    """An app that really commits (no wrapping transaction); every row is wiped afterwards."""
    app = make_test_app(database_url, tmp_path, RATELIMIT_ENABLED=False)
    yield app
    with app.app_context():
        _db.session.remove()
        wipe(_db.engine)
        _db.engine.dispose()


class QueryCounter:
    """Counts the SQL statements sent to the database while active; values kept in memory
    (``circle.core.memo``) are forgotten on entering, so that what is counted is the path
    after a change, never a value kept from an earlier call."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _count(self, conn, cursor, statement, *args):
        # The test transaction's savepoints are harness, not queries of the code under test.
        if statement.split(None, 1)[0].upper() in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
            return
        self.count += 1
        self.statements.append(statement)

    def __enter__(self):
        from sqlalchemy import event

        self.count = 0
        self.statements: list[str] = []
        Memo.forget_everything()
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._count)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as q: ...; q.count`` counts statements on the app's database."""

    def counter():
        with app.app_context():
            engine = _db.engine
        return QueryCounter(engine)

    return counter
