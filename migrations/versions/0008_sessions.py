"""Server-side login sessions and hashed, rotating remember-me tokens (issue 12, item 7).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Reviewed by hand: (placeholder: fill in what this revision adds and why)
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision."""


def downgrade() -> None:
    """Revert the revision."""
