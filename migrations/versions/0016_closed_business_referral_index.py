"""An index on closed business by the referral it closed (issue 15, fast pages).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

Reviewed by hand:
- The home page asks for my won referrals that have no closed business yet. Without an
  index on ``(circle_id, referral_id)`` PostgreSQL hashed every closed business of the
  circle's history for that one question (2,807 rows at five years); with it, it looks up
  each of my few won referrals. The foreign key on these columns had no index of its own.
- Only an index is added; no data changes.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the index."""
    op.create_index(
        "ix_closed_business_circle_id_referral_id", "closed_business", ["circle_id", "referral_id"]
    )


def downgrade() -> None:
    """Drop it again."""
    op.drop_index("ix_closed_business_circle_id_referral_id", table_name="closed_business")
