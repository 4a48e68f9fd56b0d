"""Verified e-mail addresses and pending address changes (issue 12, item 4).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Reviewed by hand: (placeholder: fill in what this revision adds and why)
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision."""


def downgrade() -> None:
    """Revert the revision."""
