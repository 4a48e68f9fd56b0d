"""Members answer "are you coming?" before a meeting (issue 14, item 4: the home page).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

Reviewed by hand:
- ``meeting_replies``: one row per member and meeting (unique on
  ``(circle_id, meeting_id, membership_id)``), the answer ``yes``, ``no`` or
  ``substitute`` (a check). Both foreign keys carry ``circle_id`` so a reply can never
  join a member of one circle with a meeting of another. A changed answer updates the row
  and is audited; rows are never deleted (a meeting with replies is not dropped when the
  circle's weekday changes, like one with attendance).
- The index on ``(circle_id, membership_id)`` serves the home page's "my next meeting".
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the replies table with its keys and checks."""
    op.create_table(
        "meeting_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "answer IN ('yes', 'no', 'substitute')", name=op.f("ck_meeting_replies_answer")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_meeting_replies_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "meeting_id"],
            ["meetings.circle_id", "meetings.id"],
            name="fk_meeting_replies_meeting_id_meetings",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_meeting_replies_membership_id_memberships",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_replies")),
        sa.UniqueConstraint("circle_id", "id", name="uq_meeting_replies_circle_id_id"),
        sa.UniqueConstraint(
            "circle_id",
            "meeting_id",
            "membership_id",
            name="uq_meeting_replies_circle_id_meeting_id_membership_id",
        ),
    )
    op.create_index(
        "ix_meeting_replies_circle_id_membership_id",
        "meeting_replies",
        ["circle_id", "membership_id"],
    )


def downgrade() -> None:
    """Drop the replies (they only announced who would come)."""
    op.drop_index("ix_meeting_replies_circle_id_membership_id", table_name="meeting_replies")
    op.drop_table("meeting_replies")
