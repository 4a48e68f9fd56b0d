"""The directory search's words stored with each document (issue 15, fast pages).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04

Reviewed by hand:
- PostgreSQL only (SQLite's FTS5 table keeps its own index). A search of a circle's
  directory reads the circle's rows by ``circle_id`` and turned each document into a
  ``tsvector`` on every search (0.86 ms for 40 members). ``words`` is a stored generated
  column ``to_tsvector('simple', document)``: written with the document by the indexer
  (nothing in the app writes it), read as it is (0.05 ms).
- The GIN index on the expression is replaced by one on the column (the same words), for
  searches that the planner answers from the index.
- Adding a stored generated column rewrites the table: one row per active membership.
"""

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column and move the index to it."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE profile_search ADD COLUMN words tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', document)) STORED"
    )
    op.execute("DROP INDEX ix_profile_search_document")
    op.execute("CREATE INDEX ix_profile_search_words ON profile_search USING gin (words)")


def downgrade() -> None:
    """Back to the index on the expression."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_profile_search_words")
    op.execute("ALTER TABLE profile_search DROP COLUMN words")
    op.execute(
        "CREATE INDEX ix_profile_search_document ON profile_search "
        "USING gin (to_tsvector('simple', document))"
    )
