"""A stamp on each circle that changes with every write to the circle's data, kept by
database triggers (issue 15, fast pages).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05

Reviewed by hand:
- ``circles.data_stamp``: a 63-bit number, NOT NULL, only ever compared for equality. A
  result computed from a circle's data and kept in a server's memory under the stamp
  (``circle.core.memo``) is not used again once the stamp has changed. Unlike
  ``slips_stamp``, which the services set, this one is set by triggers, so that no write
  path (a service, the import, a command, a migration, psql) can forget it.
- What changes it: every INSERT, UPDATE or DELETE of a row of the tables in ``TABLES`` (the
  circle's members, roles, invitations, meetings, replies, attendance, week locks,
  one-to-ones, education, visitors and visits, outside parties, dues and payments, the
  audit trail); an UPDATE of the circle's own row (its settings, and ``slips_stamp``, which
  every slip written, corrected or voided changes: the slips are covered through it without
  a trigger on the slip tables, whose imports write 100,000 rows); an UPDATE of a user's
  name, e-mail address, erasure, verification or two-factor state, and any write to a
  user's profile, pictures or referral wishes (in every circle the user has a membership of).
- Not covered (on purpose): the worker's bookkeeping of mails and reminders sent
  (``outbox_mails``, ``reminders_sent``, ``dues_reminders_sent``, ``absence_warnings_sent``),
  import jobs and uploads, and the balance's running totals (``pair_totals``,
  ``member_months``), which change only with the slips. ``tests/core/test_data_stamp.py``
  lists every table with a ``circle_id`` as covered or not, so a new table is a decision.
- PostgreSQL: statement triggers with transition tables: one UPDATE of the circles a
  statement wrote rows of, however many rows, and only of a circle whose row this
  transaction has not written yet (``PG_NOT_YET``): a new stamp per circle and transaction,
  at its first write. Nothing computed inside a writing transaction is kept (pages that keep
  results are GET requests, which write none of a circle's data), so the stamp a writing
  transaction commits names all of its writes. A user's update is a row trigger (transition
  tables cannot name columns), firing only when a shown column changed. The circle's own
  row gets a new stamp in a BEFORE UPDATE trigger unless the update sets one itself.
  Deferring the triggers to COMMIT was considered (the circle's row would be locked for
  less time) and not done: a test runs in one transaction that is never committed, so its
  writes would never change the stamp there; the circle's row is locked from a
  transaction's first write on, as ``slips_stamp``'s update does.
- SQLite: AFTER triggers (one writer at a time, nothing to defer); an update of the
  circle's row that leaves the stamp as it was sets a new one (``WHEN`` keeps the trigger
  from firing for its own update).
- Existing circles start at 0 (a server default: no table rewrite); no server holds a
  result from before the upgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

#: The tables whose rows (each with its ``circle_id``) change the circle's stamp.
TABLES = (
    "attendance",
    "audit_entries",
    "dues_plans",
    "dues_subscriptions",
    "education_credits",
    "external_parties",
    "invitations",
    "meeting_replies",
    "meetings",
    "membership_roles",
    "memberships",
    "one_to_ones",
    "payments",
    "visitor_visits",
    "visitors",
    "weekly_reports",
)
#: The tables of a user's own data (each with its ``user_id``) that change the stamp of
#: every circle the user is a member of.
USER_TABLES = ("profile_images", "profiles", "referral_wishes")
#: The user's columns that circles show.
USER_COLUMNS = ("name", "email", "erased_at", "email_verified_at", "two_factor_enabled_at")

#: A new 63-bit random number, in each dialect's SQL.
PG_RANDOM = "((random() * 2147483647)::bigint * 4294967296 + (random() * 4294967295)::bigint)"
SQLITE_RANDOM = "(random() & 9223372036854775807)"
#: A circle's row this transaction has not written yet: a row it wrote (with a new stamp,
#: whatever it changed) has the transaction's id as its ``xmin``. One new stamp per circle
#: and transaction: updating one row again and again in one transaction leaves a version
#: per update, each read past by the next (10,000 one-to-ones would take seconds). Rows
#: written inside a savepoint carry the savepoint's own id: they get a stamp per statement.
PG_NOT_YET = "xmin <> pg_current_xact_id()::xid"

#: Built from this module's constants only (no outside value reaches the SQL).
PG_FUNCTIONS = f"""
CREATE FUNCTION circle_data_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE circles SET data_stamp = {PG_RANDOM}
    WHERE id IN (SELECT circle_id FROM changed_rows) AND {PG_NOT_YET};
    RETURN NULL;
END;
$$;

CREATE FUNCTION circle_user_data_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE circles SET data_stamp = {PG_RANDOM}
    WHERE id IN (
        SELECT memberships.circle_id FROM memberships
        JOIN changed_rows ON changed_rows.user_id = memberships.user_id
    ) AND {PG_NOT_YET};
    RETURN NULL;
END;
$$;

CREATE FUNCTION circle_user_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE circles SET data_stamp = {PG_RANDOM}
    WHERE id IN (SELECT circle_id FROM memberships WHERE user_id = NEW.id) AND {PG_NOT_YET};
    RETURN NULL;
END;
$$;

CREATE FUNCTION circle_own_row_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.data_stamp = OLD.data_stamp THEN
        NEW.data_stamp := {PG_RANDOM};
    END IF;
    RETURN NEW;
END;
$$;
"""  # noqa: S608

#: Each event's trigger sees the rows it wrote as ``changed_rows`` (a transition table:
#: one per event, as PostgreSQL allows).
EVENTS = (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD"))


def _pg_upgrade() -> None:
    """The functions and triggers on PostgreSQL."""
    op.execute(PG_FUNCTIONS)
    for tables, function in (
        (TABLES, "circle_data_changed"),
        (USER_TABLES, "circle_user_data_changed"),
    ):
        for table in tables:
            for event, rows in EVENTS:
                op.execute(
                    f"CREATE TRIGGER data_stamp_{event} AFTER {event.upper()} ON {table} "
                    f"REFERENCING {rows} TABLE AS changed_rows "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                )
    shown = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in USER_COLUMNS)
    op.execute(
        f"CREATE TRIGGER data_stamp AFTER UPDATE ON users FOR EACH ROW WHEN ({shown}) "
        "EXECUTE FUNCTION circle_user_changed()"
    )
    op.execute(
        "CREATE TRIGGER data_stamp BEFORE UPDATE ON circles "
        "FOR EACH ROW EXECUTE FUNCTION circle_own_row_changed()"
    )


def _sqlite_upgrade() -> None:
    """The triggers on SQLite."""
    stamp = f"UPDATE circles SET data_stamp = {SQLITE_RANDOM} WHERE id"  # noqa: S608 (constants)
    for table in TABLES:
        for event, row in EVENTS:
            op.execute(
                f"CREATE TRIGGER data_stamp_{table}_{event} AFTER {event.upper()} ON {table} "
                f"BEGIN {stamp} = {row}.circle_id; END"
            )
    for table in USER_TABLES:
        for event, row in EVENTS:
            op.execute(
                f"CREATE TRIGGER data_stamp_{table}_{event} AFTER {event.upper()} ON {table} "  # noqa: S608
                f"BEGIN {stamp} IN "
                f"(SELECT circle_id FROM memberships WHERE user_id = {row}.user_id); END"
            )
    shown = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in USER_COLUMNS)
    op.execute(
        f"CREATE TRIGGER data_stamp_users_update AFTER UPDATE ON users WHEN {shown} "  # noqa: S608
        f"BEGIN {stamp} IN "
        "(SELECT circle_id FROM memberships WHERE user_id = NEW.id); END"
    )
    op.execute(
        "CREATE TRIGGER data_stamp_circles_update AFTER UPDATE ON circles "
        f"WHEN NEW.data_stamp = OLD.data_stamp BEGIN {stamp} = NEW.id; END"
    )


def upgrade() -> None:
    """Add the column, then the triggers that keep it."""
    with op.batch_alter_table("circles") as batch:
        batch.add_column(
            sa.Column("data_stamp", sa.BigInteger(), nullable=False, server_default="0")
        )
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    """Drop the triggers, then the column."""
    if op.get_bind().dialect.name == "postgresql":
        for table in (*TABLES, *USER_TABLES):
            for event, _rows in EVENTS:
                op.execute(f"DROP TRIGGER data_stamp_{event} ON {table}")
        for table in ("users", "circles"):
            op.execute(f"DROP TRIGGER data_stamp ON {table}")
        for function in (
            "circle_data_changed()",
            "circle_user_data_changed()",
            "circle_user_changed()",
            "circle_own_row_changed()",
        ):
            op.execute(f"DROP FUNCTION {function}")
    else:
        for table in (*TABLES, *USER_TABLES):
            for event, _rows in EVENTS:
                op.execute(f"DROP TRIGGER data_stamp_{table}_{event}")
        op.execute("DROP TRIGGER data_stamp_users_update")
        op.execute("DROP TRIGGER data_stamp_circles_update")
    with op.batch_alter_table("circles") as batch:
        batch.drop_column("data_stamp")
