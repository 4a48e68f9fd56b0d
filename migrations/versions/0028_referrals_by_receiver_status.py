"""An index on the live referrals by receiver and status (issue 15, fast pages).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04

Reviewed by hand:
- The home page counts my open referrals (status ``new``) and my won referrals without
  closed business, over the whole history. The index on ``(circle_id, receiver_id,
  given_on)`` made PostgreSQL read every referral I ever received from the table and
  filter them by status and void (333 rows for 83 open ones at ten slips a member a
  week). ``ix_referrals_live_by_receiver_status`` on ``(circle_id, receiver_id, status,
  id)``, partial on ``voided_at IS NULL``, answers both from the index alone: the count of
  the open ones, and the ids of the won ones to look up in closed business.
- Only an index is added; no data changes. It is partial on both databases (SQLite since
  3.8).
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

LIVE = "voided_at IS NULL"


def upgrade() -> None:
    """Add the index."""
    op.create_index(
        "ix_referrals_live_by_receiver_status",
        "referrals",
        ["circle_id", "receiver_id", "status", "id"],
        postgresql_where=sa.text(LIVE),
        sqlite_where=sa.text(LIVE),
    )


def downgrade() -> None:
    """Drop it again."""
    op.drop_index("ix_referrals_live_by_receiver_status", table_name="referrals")
