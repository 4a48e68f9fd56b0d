"""Uploads waiting for their confirmation move from ``instance/imports`` into the database
(issue 16: nothing on local disk that another server needs).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04

Reviewed by hand:
- ``import_uploads``: the primary key is ``(circle_id, sha256)``: the circle first, as a
  table distributed by circle wants it, and the same file uploaded twice in a circle is
  one row. ``sha256`` is 64 hex characters (a check). Rows older than a day are deleted
  by the next upload and by the nightly purge; files still waiting in
  ``instance/imports`` at the upgrade are not moved (an admin uploads them again).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table of waiting uploads."""
    op.create_table(
        "import_uploads",
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_import_uploads_sha256")),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_import_uploads_circle_id_circles")
        ),
        sa.PrimaryKeyConstraint("circle_id", "sha256", name=op.f("pk_import_uploads")),
    )
    op.create_index("ix_import_uploads_created_at", "import_uploads", ["created_at"])


def downgrade() -> None:
    """Drop the table (waiting uploads are lost: an admin uploads them again)."""
    op.drop_index("ix_import_uploads_created_at", table_name="import_uploads")
    op.drop_table("import_uploads")
