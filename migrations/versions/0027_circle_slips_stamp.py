"""A stamp on each circle that changes with every slip written, corrected or voided, so
that a balance computed once can be kept until the slips change (issue 15, fast pages).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04

Reviewed by hand:
- ``circles.slips_stamp``: a 63-bit number, NOT NULL. The services and the import set it
  to a new random value in the same transaction as every slip they write, correct or
  void (``circle.balance.totals.add_slips``), and ``flask circle rebuild-balance-totals``
  sets it too. It is only ever compared for equality: the balance kept in a server's
  memory (``circle.balance.services.compute``) belongs to one stamp and is not used under another.
- Existing circles start at 0 (a server default, so the column is added without a table
  rewrite on PostgreSQL); no server holds a balance from before the upgrade, and the first
  slip changed after it gives the circle a random stamp. New circles get a random one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column."""
    with op.batch_alter_table("circles") as batch:
        batch.add_column(
            sa.Column("slips_stamp", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("circles") as batch:
        batch.drop_column("slips_stamp")
