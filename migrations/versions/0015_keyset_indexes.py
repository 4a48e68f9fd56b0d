"""Indexes for the keyset-paged lists: audit log and visitors (issue 15, fast pages).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

Reviewed by hand:
- The audit log and the visitors page show one page at a time, newest first, and find
  the next page by the last entry's ``(created_at, id)`` instead of an OFFSET. Each index
  serves that seek and that order after the circle (and, for a filtered audit log, the
  entity type), so a page reads its 40 or so rows at any length of the history.
- Only indexes are added; no data changes. The audit trail's index on
  ``(circle_id, entity, entity_id)`` stays for an entry's own history.
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

INDEXES = (
    (
        "audit_entries",
        "ix_audit_entries_circle_id_created_at_id",
        ["circle_id", "created_at", "id"],
    ),
    (
        "audit_entries",
        "ix_audit_entries_circle_id_entity_created_at_id",
        ["circle_id", "entity", "created_at", "id"],
    ),
    ("visitors", "ix_visitors_circle_id_created_at_id", ["circle_id", "created_at", "id"]),
)


def upgrade() -> None:
    """Add the three indexes."""
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    """Drop them again."""
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
