"""Ready for a distributed PostgreSQL (Citus, issue 16, item 8), read from the catalog.

Citus shards a table by one column and checks a key only inside one shard, so it
distributes a table only when its primary key and every unique key contain the
distribution column, and a foreign key between two distributed tables only when both
sides carry it at the same place. Circle distributes every table that carries
``circle_id`` by it, and ``circles`` itself by ``id``, all in one colocation group: a
circle's rows, whatever the table, sit on one node, and its joins, keys and transactions
stay there.

What has no ``circle_id`` is classified here by name: a *reference table* (a copy on
every node, joined by the circle tables; it may point only at reference tables) or a
*local table* (kept on the coordinator alone, pointing at nothing distributed). A new
table that is neither a circle table nor named below fails the test until someone decides.

``scripts/citus.sql`` distributes the tables; the last test reads it and checks that it
names every table as classified here, with the right column, referenced tables first.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.postgres_only

#: The tenant: distributed by its own id, the value every circle table's circle_id holds.
ANCHOR = "circles"
#: Platform-wide tables, copied to every node: people, the profession list, what belongs
#: to a person rather than to a circle (profile, pictures, logins, tokens), and Stripe's
#: events (an event names its circle only inside its payload).
REFERENCE_TABLES = frozenset(
    {
        "users",
        "professions",
        "profiles",
        "profile_images",
        "referral_wishes",
        "user_sessions",
        "remember_tokens",
        "api_tokens",
        "recovery_codes",
        "stripe_events",
    }
)
#: Tables on the coordinator only: Alembic's version, and the mail outbox (its circle_id
#: may be empty - a password reset is about no circle - and the worker claims mails of
#: every circle at once with FOR UPDATE SKIP LOCKED, which Citus runs only on one shard).
LOCAL_TABLES = frozenset({"alembic_version", "outbox_mails"})

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "citus.sql"

_TABLES = """
SELECT c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
"""
_CIRCLE_COLUMNS = """
SELECT table_name, is_nullable = 'NO', data_type
  FROM information_schema.columns
 WHERE table_schema = current_schema()
   AND (column_name = 'circle_id' OR (table_name = 'circles' AND column_name = 'id'))
"""
#: Primary keys, unique constraints and foreign keys, their columns in key order.
_CONSTRAINTS = """
SELECT con.conname, con.contype, t.relname, r.relname,
       ARRAY(SELECT a.attname
               FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
              ORDER BY k.n) AS columns,
       ARRAY(SELECT a.attname
               FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
              ORDER BY k.n) AS target_columns
  FROM pg_constraint con
  JOIN pg_class t ON t.oid = con.conrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  LEFT JOIN pg_class r ON r.oid = con.confrelid
 WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f')
"""
#: Unique indexes that are no constraint (partial ones, expressions): Citus asks the same.
_UNIQUE_INDEXES = """
SELECT i.relname, t.relname,
       ARRAY(SELECT a.attname
               FROM unnest(x.indkey::int2[]) AS k(attnum)
               JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum)
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE n.nspname = current_schema() AND x.indisunique
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                    WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x'))
"""


class Catalog:
    """What the schema holds, read once from PostgreSQL's catalog."""

    def __init__(self, conn) -> None:
        self.tables = set(conn.execute(text(_TABLES)).scalars())
        columns = {
            table: (not_null, type_)
            for table, not_null, type_ in conn.execute(text(_CIRCLE_COLUMNS))
        }
        self.anchor_type = columns.pop(ANCHOR, (None, None))[1]
        self.circle_id_not_null = {table: not_null for table, (not_null, _) in columns.items()}
        self.circle_id_type = {table: type_ for table, (_, type_) in columns.items()}
        rows = conn.execute(text(_CONSTRAINTS)).all()
        self.primary = {r[2]: (r[0], list(r[4])) for r in rows if r[1] == "p"}
        self.unique = [(r[2], r[0], list(r[4])) for r in rows if r[1] == "u"]
        self.unique += [(r[1], r[0], list(r[2])) for r in conn.execute(text(_UNIQUE_INDEXES))]
        self.foreign = [(r[2], r[0], list(r[4]), r[3], list(r[5])) for r in rows if r[1] == "f"]

    @property
    def circle_tables(self) -> set[str]:
        """The tables distributed by ``circle_id``: every one carrying it but the local ones."""
        return set(self.circle_id_not_null) - LOCAL_TABLES

    def distribution_column(self, table: str) -> str | None:
        """The column ``table`` is distributed by; None for reference and local tables."""
        if table == ANCHOR:
            return "id"
        return "circle_id" if table in self.circle_tables else None


@pytest.fixture(scope="module")
def catalog(database_url) -> Catalog:
    """The catalog of the test database, upgraded to the newest revision."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return Catalog(conn)
    finally:
        engine.dispose()


def classification_problems(catalog: Catalog) -> list[str]:
    """Tables nobody classified, or classified against what they hold."""
    problems = []
    for table in sorted(catalog.tables):
        carries = table in catalog.circle_id_not_null
        named = table == ANCHOR or table in REFERENCE_TABLES or table in LOCAL_TABLES
        if not carries and not named:
            problems.append(f"{table}: no circle_id, and neither a reference nor a local table")
        if carries and table in REFERENCE_TABLES:
            problems.append(f"{table}: carries circle_id, but is listed as a reference table")
    for table in sorted((REFERENCE_TABLES | LOCAL_TABLES | {ANCHOR}) - catalog.tables):
        problems.append(f"{table}: classified, but no such table")
    return problems


def key_problems(catalog: Catalog) -> list[str]:
    """Distributed tables whose distribution column is nullable, of another type than
    circles.id (Citus colocates only equal types), or missing from a key."""
    problems = []
    for table in sorted(catalog.circle_tables | {ANCHOR}):
        column = catalog.distribution_column(table)
        if table != ANCHOR and not catalog.circle_id_not_null[table]:
            problems.append(f"{table}: circle_id may be NULL")
        if table != ANCHOR and catalog.circle_id_type[table] != catalog.anchor_type:
            problems.append(f"{table}: circle_id is no {catalog.anchor_type} like circles.id")
        name, columns = catalog.primary.get(table, (None, []))
        if name is None:
            if not any(t == table and column in cols for t, _, cols in catalog.unique):
                problems.append(f"{table}: no primary key, and no unique key with {column}")
        elif column not in columns:
            problems.append(f"{table}: primary key {name} {columns} lacks {column}")
    for table, name, columns in sorted(catalog.unique):
        column = catalog.distribution_column(table)
        if column is not None and column not in columns:
            problems.append(f"{table}: unique key {name} {columns} lacks {column}")
    return problems


def foreign_key_problems(catalog: Catalog) -> list[str]:
    """Foreign keys Citus would refuse: between distributed tables without the distribution
    column on both sides at the same place, or from a reference or local table to a
    distributed one, or from a distributed or reference table to a local one."""
    problems = []
    for table, name, columns, target, target_columns in sorted(catalog.foreign):
        column = catalog.distribution_column(table)
        target_column = catalog.distribution_column(target)
        where = f"{table}: foreign key {name} {columns} -> {target} {target_columns}"
        if target in LOCAL_TABLES and table not in LOCAL_TABLES:
            problems.append(f"{where} points at a local table")
        elif target_column is None:
            continue  # to a reference table: allowed from anywhere
        elif column is None:
            problems.append(f"{where} points from a reference or local table at a distributed one")
        elif column not in columns or target_column not in target_columns:
            problems.append(f"{where} lacks the distribution column on one side")
        elif columns.index(column) != target_columns.index(target_column):
            problems.append(f"{where} pairs the distribution columns at different places")
    return problems


def test_every_table_is_classified(catalog):
    problems = classification_problems(catalog)
    assert not problems, "\n".join(problems)


def test_every_key_of_a_circle_table_holds_circle_id(catalog):
    assert catalog.circle_tables, "no circle tables found"
    problems = key_problems(catalog)
    assert not problems, "\n".join(problems)


def test_foreign_keys_between_circle_tables_carry_circle_id_on_both_sides(catalog):
    problems = foreign_key_problems(catalog)
    assert not problems, "\n".join(problems)


_CALL = re.compile(
    r"create_(distributed|reference)_table\(\s*'(\w+)'(?:\s*,\s*'(\w+)')?"
    r"(?:\s*,\s*colocate_with\s*=>\s*'(\w+)')?\s*\)"
)


def script_calls() -> list[tuple[str, str, str | None, str | None]]:
    """``(kind, table, column, colocate_with)`` of every call in scripts/citus.sql, in order."""
    body = "\n".join(line.split("--", 1)[0] for line in SCRIPT.read_text().splitlines())
    return [m.groups() for m in _CALL.finditer(body)]


def test_citus_script_distributes_every_table_as_classified(catalog):
    calls = script_calls()
    tables = [table for _, table, _, _ in calls]
    assert len(tables) == len(set(tables)), "a table is named twice"
    distributed = {
        table: (column, colocate)
        for kind, table, column, colocate in calls
        if kind == "distributed"
    }
    reference = {table for kind, table, _, _ in calls if kind == "reference"}

    assert reference == set(REFERENCE_TABLES), "create_reference_table: not as classified"
    expected = catalog.circle_tables | {ANCHOR}
    assert set(distributed) == expected, (
        f"create_distributed_table missing for {sorted(expected - set(distributed))}, "
        f"but given for {sorted(set(distributed) - expected)}"
    )
    assert distributed[ANCHOR] == ("id", None)
    for table in catalog.circle_tables:
        assert distributed[table] == ("circle_id", ANCHOR), table
    assert not set(tables) & LOCAL_TABLES

    # Citus distributes a table only after the tables its foreign keys point at.
    position = {table: n for n, table in enumerate(tables)}
    for table, name, _, target, _ in catalog.foreign:
        if table != target and table in position:
            assert position[target] < position[table], f"{name}: {target} after {table}"
