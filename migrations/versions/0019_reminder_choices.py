"""The reminders each user chose to get (issue 16, mails that look like a product).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04

Reviewed by hand:
- ``users.remind_weekly`` and ``users.remind_absence``: both true for every existing and
  new user (a server default), so nobody loses a reminder by the upgrade; a user turns
  them off on the reminders page or with the one-click link in a reminder's
  ``List-Unsubscribe`` header.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two choices, on for everyone (a plain ADD COLUMN on both databases: a
    batch copy of ``users`` on SQLite would lose its index on ``lower(email)``)."""
    op.add_column(
        "users", sa.Column("remind_weekly", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.add_column(
        "users", sa.Column("remind_absence", sa.Boolean(), server_default=sa.true(), nullable=False)
    )


def downgrade() -> None:
    """Drop the choices (everyone then gets every reminder again)."""
    op.drop_column("users", "remind_absence")
    op.drop_column("users", "remind_weekly")
