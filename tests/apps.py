"""How the tests make apps and databases: the backend ``TEST_DATABASE_URL`` names, an app
configured for tests, one transaction around everything an app does (rolled back at the
end), and wiping the rows of tests that really commit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from circle import create_app
from circle.config import _normalise_database_url
from circle.db import Base
from circle.extensions import db as _db
from circle.mail.outbox import deliver_due
from circle.mail.send import deliver

BACKEND_URL = _normalise_database_url(os.environ.get("TEST_DATABASE_URL", ""))


def is_postgres_url(url: str) -> bool:
    """True when ``url`` names a PostgreSQL database."""
    return url.startswith("postgresql")


def make_test_app(database_url: str, tmp_path: Path, **overrides):
    """Create an app configured for tests on ``database_url``."""
    config = {
        "CIRCLE_ENV": "test",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "SERVER_NAME": "circle.test",
        "BASE_URL": "http://circle.test",
        "PREFERRED_URL_SCHEME": "http",
    }
    config.update(overrides)
    return create_app(config)


@contextmanager
def in_one_transaction(app) -> Iterator[None]:
    """Run everything the app does inside one transaction, rolled back at the end.

    The app's sessions join the transaction through savepoints, so a request's commit or
    rollback stays inside it and nothing reaches the database.
    """
    with app.app_context():
        engine = _db.engine
        connection = engine.connect()
        transaction = connection.begin()
        _db.engines[None] = connection
    try:
        yield
    finally:
        with app.app_context():
            _db.session.remove()
            transaction.rollback()
            connection.close()
            _db.engines[None] = engine


def wipe(engine) -> None:
    """Delete every row so committed tests leave the database as they found it."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


def is_postgres(app) -> bool:
    """True when the app talks to PostgreSQL."""
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"


def deliver_pending(app):
    """Deliver the mail outbox's due mails, as the worker does after each commit (the
    tests run without a worker: ``QUEUE_DISPATCH`` is off); what the run did."""
    with app.app_context():
        run = deliver_due(deliver)
        _db.session.remove()
    return run
