"""Optional TOTP two-factor login, hashed recovery codes, a circle setting (issue 12, item 16).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Reviewed by hand: (placeholder: fill in what this revision adds and why)
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision."""


def downgrade() -> None:
    """Revert the revision."""
