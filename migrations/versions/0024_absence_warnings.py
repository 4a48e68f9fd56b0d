"""The weekly absence warning from the worker's scheduler (issue 16, scheduled jobs), and
the officer's choice to get it.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04

Reviewed by hand:
- ``absence_warnings_sent``: one row per circle, week and officer, the primary key
  ``(circle_id, week_start, membership_id)`` (circle first), with the composite foreign
  key to ``memberships (circle_id, id)``: a second run, or a second worker, finds the row
  and sends nothing.
- ``users.remind_risk``: on for everyone (a plain ADD COLUMN with a server default).
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table of sent warnings and add the choice."""
    op.create_table(
        "absence_warnings_sent",
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_absence_warnings_sent_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_absence_warnings_sent_membership_id_memberships",
        ),
        sa.PrimaryKeyConstraint(
            "circle_id", "week_start", "membership_id", name=op.f("pk_absence_warnings_sent")
        ),
    )
    op.add_column(
        "users", sa.Column("remind_risk", sa.Boolean(), server_default=sa.true(), nullable=False)
    )


def downgrade() -> None:
    """Drop the choice and the table."""
    op.drop_column("users", "remind_risk")
    op.drop_table("absence_warnings_sent")
