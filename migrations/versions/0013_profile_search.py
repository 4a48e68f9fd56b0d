"""The member search index (issue 14, item 2).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

Reviewed by hand:
- ``profile_search``: one row per active membership with its search document (words and
  their German and English stems, folded to ASCII; see ``circle.profiles.search``).
  PostgreSQL: a plain table with a GIN index on ``to_tsvector('simple', document)`` and
  the membership as primary key (foreign key, composite with the circle). SQLite: an FTS5
  virtual table (``circle_id``, ``membership_id``, ``user_id`` stored, not indexed; the
  ``unicode61`` tokenizer without diacritics folding: the documents are ASCII already).
- The rows are derived data: the upgrade fills them from the current memberships,
  profiles and wishes with the application's own indexer (``rebuild``), which also repairs
  the index at any later time. Downgrade drops the table.
- The models do not map the table (an FTS5 table has no SQLAlchemy mapping); the schema
  comparison in tests/app/test_schema.py leaves it out by name.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the index table for the database at hand and fill it."""
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.create_table(
            "profile_search",
            sa.Column("membership_id", sa.Integer(), nullable=False),
            sa.Column("circle_id", sa.Integer(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("document", sa.Text(), nullable=False, server_default=""),
            sa.ForeignKeyConstraint(
                ["circle_id", "membership_id"],
                ["memberships.circle_id", "memberships.id"],
                name="fk_profile_search_circle_id_membership_id_memberships",
            ),
            sa.PrimaryKeyConstraint("membership_id", name="pk_profile_search"),
        )
        op.create_index("ix_profile_search_circle_id", "profile_search", ["circle_id"])
        op.create_index("ix_profile_search_user_id", "profile_search", ["user_id"])
        op.execute(
            "CREATE INDEX ix_profile_search_document ON profile_search "
            "USING gin (to_tsvector('simple', document))"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE profile_search USING fts5("
            "document, circle_id UNINDEXED, membership_id UNINDEXED, user_id UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 0')"
        )
    from circle.profiles.search import rebuild  # the application's indexer (see above)

    rebuild(connection)


def downgrade() -> None:
    """Drop the index."""
    op.execute("DROP TABLE profile_search")
