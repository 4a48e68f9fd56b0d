"""Balance settings of a circle: lopsidedness threshold and who sees pair revenue.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Reviewed by hand. The threshold is stored as whole percent (no floats), 1..100, default 80;
revenue of other pairs stays hidden from plain members unless the circle opens it.
The analyses read referrals and closed business through the (circle_id, date) and
(circle_id, member, date) indexes created in 0002.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "lopsided_threshold_pct",
                sa.SmallInteger(),
                server_default=sa.text("80"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "revenue_open_to_members",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )
        batch_op.create_check_constraint(
            "lopsided_threshold", "lopsided_threshold_pct BETWEEN 1 AND 100"
        )


def downgrade():
    with op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.drop_constraint("lopsided_threshold", type_="check")
        batch_op.drop_column("revenue_open_to_members")
        batch_op.drop_column("lopsided_threshold_pct")
