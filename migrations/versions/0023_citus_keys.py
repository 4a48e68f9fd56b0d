"""Every key of a circle table carries circle_id: ready for a distributed PostgreSQL
(Citus, distributing the circle tables by ``circle_id``; issue 16, item 8).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04

Citus shards a table by one column and checks a key only inside one shard: it
distributes a table only when its primary key and each unique key contain that column,
and keeps a foreign key between two distributed tables only when both sides carry it at
the same place. ``tests/app/test_citus_ready.py`` reads the catalog and holds the schema
to that; before this revision it counted 37 violations in 25 circle tables (23 primary
keys, 8 unique keys, 6 foreign keys), after it none.

Reviewed by hand:
- Unique keys gain ``circle_id``, appended, so that every lookup that read the old key
  (by the key alone, without the circle) reads the new one as before:
  ``invitations (token_hash)``, ``memberships (calendar_token_hash)`` (an index),
  ``payments (stripe_invoice_id)``, ``dues_subscriptions (stripe_subscription_id)``,
  ``attendance (meeting_id, membership_id)``, ``visitor_visits (visitor_id,
  meeting_id)``, ``reminders_sent (membership_id, week_start)``, ``membership_roles
  (membership_id, role)``. Nothing gets weaker in practice: the pairs name a meeting, a
  visitor or a membership, each of exactly one circle (the composite foreign keys see to
  it), so the pair with its circle is as unique as the pair alone; the tokens are
  32 random bytes and Stripe's ids are unique at Stripe. A link that carries only a token
  (an invitation, the calendar feed) and a webhook that names only a Stripe id still
  find their row through the key, whose first column they give: on Citus a question to
  every shard's index, on one server the same index scan as before.
- Foreign keys to ``imports`` (from ``referrals``, ``closed_business``,
  ``one_to_ones``, ``education_credits``, ``other_slips``) and to ``dues_plans`` (from
  ``payments``) become ``(circle_id, import_id) -> imports (circle_id, id)`` and
  ``(circle_id, plan_id) -> dues_plans (circle_id, id)``: a slip cannot name another
  circle's import, a payment another circle's plan. ``dues_plans`` gains the unique key
  ``(circle_id, id)`` they point at (``imports`` has it since 0022). Names stay.
- PostgreSQL only: the primary key of the 22 tables keyed by a serial ``id`` becomes
  ``(id, circle_id)``, and that of ``profile_search`` ``(membership_id, circle_id)``.
  The models keep ``id`` as the identity (``session.get(Model, id)``, one key in URLs),
  and SQLite keeps its ``INTEGER PRIMARY KEY`` (the rowid, which numbers new rows; a
  composite key would lose it): Alembic compares no primary keys, so the models match
  the migrations on both. ``id`` leads, not ``circle_id``: the new key's index serves
  every lookup by id that the old one served, and the unique key ``(circle_id, id)``
  that 13 tables already have (the targets of the composite foreign keys) serves the
  lookups by circle; with ``(circle_id, id)`` as primary key that index would be built
  twice and the lookups by id alone would lose theirs. Citus asks only that the key
  contain the distribution column, not where.
- The new primary keys and unique keys build their indexes while the tables are locked;
  for a large database run the upgrade in a quiet hour.
- SQLite copies the tables whose unique keys or foreign keys change (batch mode); the
  copies keep every row, check and index (``tests/app/test_schema.py`` upgrades a
  database holding data).
- Downgrade restores the old keys: it fails only if two circles hold the same token
  hash or Stripe id, which the upgrade's argument above rules out.
"""

import warnings
from contextlib import contextmanager

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

#: Unique keys that gain circle_id (appended): table, old name, old columns.
UNIQUE_KEYS = (
    ("invitations", "uq_invitations_token_hash", ["token_hash"]),
    ("payments", "uq_payments_stripe_invoice_id", ["stripe_invoice_id"]),
    (
        "dues_subscriptions",
        "uq_dues_subscriptions_stripe_subscription_id",
        ["stripe_subscription_id"],
    ),
    ("attendance", "uq_attendance_meeting_id_membership_id", ["meeting_id", "membership_id"]),
    ("visitor_visits", "uq_visitor_visits_visitor_id_meeting_id", ["visitor_id", "meeting_id"]),
    (
        "reminders_sent",
        "uq_reminders_sent_membership_id_week_start",
        ["membership_id", "week_start"],
    ),
    ("membership_roles", "uq_membership_roles_membership_id_role", ["membership_id", "role"]),
)
#: Foreign keys that gain circle_id: table, name, column, referenced table.
FOREIGN_KEYS = (
    ("referrals", "fk_referrals_import_id_imports", "import_id", "imports"),
    ("closed_business", "fk_closed_business_import_id_imports", "import_id", "imports"),
    ("one_to_ones", "fk_one_to_ones_import_id_imports", "import_id", "imports"),
    ("education_credits", "fk_education_credits_import_id_imports", "import_id", "imports"),
    ("other_slips", "fk_other_slips_import_id_imports", "import_id", "imports"),
    ("payments", "fk_payments_plan_id_dues_plans", "plan_id", "dues_plans"),
)
#: PostgreSQL: the tables whose primary key ``(id)`` becomes ``(id, circle_id)``.
ID_KEYED = (
    "attendance",
    "audit_entries",
    "closed_business",
    "dues_plans",
    "dues_subscriptions",
    "education_credits",
    "external_parties",
    "imports",
    "invitations",
    "meeting_replies",
    "meetings",
    "membership_roles",
    "memberships",
    "one_to_ones",
    "other_slips",
    "pair_totals",
    "payments",
    "referrals",
    "reminders_sent",
    "visitor_visits",
    "visitors",
    "weekly_reports",
)
CALENDAR_INDEX = "uq_memberships_calendar_token_hash"


@contextmanager
def _quiet_reflection():
    """SQLite's batch copies reflect users, whose e-mail index is an expression."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        yield


def _tables() -> list[str]:
    """Every table this revision alters with a unique or foreign key, each once, in order."""
    seen: dict[str, None] = {"dues_plans": None}
    for table, *_ in UNIQUE_KEYS + FOREIGN_KEYS:
        seen.setdefault(table, None)
    return list(seen)


def _postgresql() -> bool:
    """True on PostgreSQL (the primary keys change there only)."""
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    """Add circle_id to the unique keys and foreign keys, then to PostgreSQL's primary keys."""
    op.drop_index(CALENDAR_INDEX, table_name="memberships")
    op.create_index(
        f"{CALENDAR_INDEX}_circle_id",
        "memberships",
        ["calendar_token_hash", "circle_id"],
        unique=True,
    )
    for table in _tables():  # one copy per table on SQLite
        with _quiet_reflection(), op.batch_alter_table(table) as batch:
            if table == "dues_plans":
                batch.create_unique_constraint("uq_dues_plans_circle_id_id", ["circle_id", "id"])
            for _, name, columns in (k for k in UNIQUE_KEYS if k[0] == table):
                batch.drop_constraint(name, type_="unique")
                batch.create_unique_constraint(f"{name}_circle_id", [*columns, "circle_id"])
            for _, name, column, target in (k for k in FOREIGN_KEYS if k[0] == table):
                batch.drop_constraint(name, type_="foreignkey")
                batch.create_foreign_key(name, target, ["circle_id", column], ["circle_id", "id"])
    if _postgresql():
        for table in ID_KEYED:
            op.drop_constraint(f"pk_{table}", table, type_="primary")
            op.create_primary_key(f"pk_{table}", table, ["id", "circle_id"])
        op.drop_constraint("pk_profile_search", "profile_search", type_="primary")
        op.create_primary_key("pk_profile_search", "profile_search", ["membership_id", "circle_id"])


def downgrade() -> None:
    """Back to the keys of 0022."""
    if _postgresql():
        op.drop_constraint("pk_profile_search", "profile_search", type_="primary")
        op.create_primary_key("pk_profile_search", "profile_search", ["membership_id"])
        for table in ID_KEYED:
            op.drop_constraint(f"pk_{table}", table, type_="primary")
            op.create_primary_key(f"pk_{table}", table, ["id"])
    for table in reversed(_tables()):
        with _quiet_reflection(), op.batch_alter_table(table) as batch:
            for _, name, column, target in (k for k in FOREIGN_KEYS if k[0] == table):
                batch.drop_constraint(name, type_="foreignkey")
                batch.create_foreign_key(name, target, [column], ["id"])
            for _, name, columns in (k for k in UNIQUE_KEYS if k[0] == table):
                batch.drop_constraint(f"{name}_circle_id", type_="unique")
                batch.create_unique_constraint(name, columns)
            if table == "dues_plans":
                batch.drop_constraint("uq_dues_plans_circle_id_id", type_="unique")
    op.drop_index(f"{CALENDAR_INDEX}_circle_id", table_name="memberships")
    op.create_index(CALENDAR_INDEX, "memberships", ["calendar_token_hash"], unique=True)
