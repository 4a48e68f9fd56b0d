"""Overdue-dues reminders from the worker's scheduler (issue 16, scheduled jobs), and the
member's choice to get them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

Reviewed by hand:
- ``dues_reminders_sent``: one row per member and due day, the primary key
  ``(circle_id, membership_id, due_since)`` (circle first), with the composite foreign key
  to ``memberships (circle_id, id)``: a second run, or a second worker, finds the row and
  sends nothing.
- ``users.remind_dues``: on for everyone (a plain ADD COLUMN with a server default).
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table of sent reminders and add the choice."""
    op.create_table(
        "dues_reminders_sent",
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("due_since", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_dues_reminders_sent_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_dues_reminders_sent_membership_id_memberships",
        ),
        sa.PrimaryKeyConstraint(
            "circle_id", "membership_id", "due_since", name=op.f("pk_dues_reminders_sent")
        ),
    )
    op.add_column(
        "users", sa.Column("remind_dues", sa.Boolean(), server_default=sa.true(), nullable=False)
    )


def downgrade() -> None:
    """Drop the choice and the table."""
    op.drop_column("users", "remind_dues")
    op.drop_table("dues_reminders_sent")
