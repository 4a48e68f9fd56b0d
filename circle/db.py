"""The declarative base, naming convention, time and money helpers.

Constraint names follow one convention so that Alembic revisions are
deterministic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import g, has_app_context
from sqlalchemy import ColumnElement, DateTime, MetaData, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model; its metadata carries the naming convention.

    A circle table keyed by a serial ``id`` maps ``id`` alone as its identity; on
    PostgreSQL its primary key is ``(id, circle_id)`` (migration 0023, so that Citus can
    distribute it by ``circle_id``), on SQLite the rowid ``id``.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite keeps no zone; PostgreSQL uses ``timestamptz``. Either way Python sees
    an aware UTC datetime, so comparisons never mix naive and aware values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Refuse naive datetimes and convert aware ones to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Attach UTC to values read back from backends that drop the zone."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Turn on foreign keys (off by default in SQLite) and a busy timeout."""
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
        # Let SQLAlchemy, not the driver, open transactions (see _sqlite_begin): without
        # this, pysqlite's implicit BEGIN breaks SAVEPOINTs and nested transactions.
        dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """Emit BEGIN ourselves on SQLite (the SQLAlchemy recipe for working SAVEPOINTs).

    ``IMMEDIATE`` takes the write lock up front: a deferred transaction that reads and then
    writes fails at once with "database is locked" when another writer got there first
    (busy_timeout cannot help a lock upgrade), whereas an immediate one waits its turn.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


#: ``Session.info`` key: the session flushed a change in its current transaction.
_WROTE = "circle_wrote"


@event.listens_for(Session, "after_flush")
def _note_write(session, _flush_context) -> None:
    """Remember that this transaction changed rows (``wrote``)."""
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement_write(state) -> None:
    """An INSERT, UPDATE or DELETE sent through ``session.execute`` writes too (a text
    statement counts as one: an extra commit is harmless, a lost write is not)."""
    if not state.is_select:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_write(session, transaction) -> None:
    """A new transaction starts without writes."""
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def wrote(session) -> bool:
    """True when ``session`` flushed a change in its current transaction (a commit is
    then needed to keep it; a transaction that only read can go on or end unsent)."""
    return bool(session.info.get(_WROTE))


def end_reading(scoped: scoped_session) -> None:
    """End a transaction that only read with COMMIT instead of leaving it to the pool's
    ROLLBACK. psycopg forgets its prepared statements on every rollback, so a request
    that ended in one made PostgreSQL plan each statement of the next request again
    (0.3-0.5 ms a statement, more than running it). A transaction that wrote, holds
    unflushed changes or failed is left alone: it is rolled back as before."""
    if not scoped.registry.has():
        return
    session = scoped()
    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active or transaction.nested:
        return
    if wrote(session) or session.new or session.dirty or session.deleted:
        return
    try:
        session.commit()
    except Exception:  # the connection went away: the rollback that follows cleans up
        session.rollback()


def plan_once(session) -> None:
    """On PostgreSQL, plan the prepared statements of the rest of this transaction once per
    connection (a generic plan) instead of on every execution.

    For a statement of many subqueries over a few rows (the home page's agenda) the planner
    keeps choosing plans made for each execution's values, and making one costs more than
    running it: 3.1 ms an execution against 0.9-1.0 ms with the generic plan, at five and
    at ten times the slips. Not for every statement: on the balance and score pages at
    ten times the slips the plans made per execution are the faster ones. ``SET LOCAL``
    ends with the transaction; sent to the connection, it does not count as a write.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")


#: ``flask.g`` flag: a request boundary (``circle.web.boundary``) holds the transaction and
#: commits it once at the end of the request.
IN_BOUNDARY = "circle_boundary"


@contextmanager
def unit_of_work(session) -> Iterator[None]:
    """Commit once when the block succeeds; roll back everything when it raises.

    This is the single transaction boundary of a request: services only flush. Inside a
    request boundary, which commits once at its end, the block is a savepoint instead.
    """
    if has_app_context() and g.get(IN_BOUNDARY):
        with session.begin_nested():
            yield
        return
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def count_where(model, *conditions) -> ColumnElement:
    """``(SELECT count(*) FROM model WHERE …)`` as a column of a larger statement."""
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


def sum_where(column, *conditions) -> ColumnElement:
    """``(SELECT coalesce(sum(column), 0) FROM … WHERE …)`` as a column."""
    return select(func.coalesce(func.sum(column), 0)).where(*conditions).scalar_subquery()


def add_once(session, row) -> bool:
    """Add ``row`` unless a unique key already holds its twin: False then (a savepoint keeps
    the rest of the transaction). For "once per member and week/day" records, where a
    second run or a second worker must find the first one's row and do nothing."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True
