"""The mail outbox: mails written in the transaction of the change they are about and
delivered by the worker (issue 16, run as a fleet).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04

Reviewed by hand:
- ``outbox_mails``: one row per mail. ``message`` holds the whole RFC 5322 message while
  the row is ``pending`` and is emptied once it is ``sent`` or ``failed`` (a check), so a
  one-time link in a mail is not kept in plain text after it went out. ``message_id`` is
  unique: a retry after a crash sends the same Message-ID, which mail clients show once.
- ``circle_id`` names the circle a mail is about, without a foreign key: the outbox stays
  a plain table when the circle tables are distributed by circle.
- Two partial indexes: the due pending mails (the worker's question) and a circle's
  failed ones (the admins' list). Sent mails, nearly every row, are in neither.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the outbox table with its checks and partial indexes."""
    op.create_table(
        "outbox_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_outbox_mails_status")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_mails_attempts")),
        sa.CheckConstraint(
            "status = 'pending' OR message IS NULL",
            name=op.f("ck_outbox_mails_message_only_pending"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_mails")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_mails_message_id")),
    )
    op.create_index(
        "ix_outbox_mails_due",
        "outbox_mails",
        ["next_attempt_at", "id"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_outbox_mails_circle_failed",
        "outbox_mails",
        ["circle_id", "id"],
        postgresql_where=sa.text("status = 'failed'"),
        sqlite_where=sa.text("status = 'failed'"),
    )


def downgrade() -> None:
    """Drop the outbox (pending mails in it are lost: deliver them first)."""
    op.drop_index("ix_outbox_mails_circle_failed", table_name="outbox_mails")
    op.drop_index("ix_outbox_mails_due", table_name="outbox_mails")
    op.drop_table("outbox_mails")
