"""Trust: session versions and password change times, erased accounts, the retention
period of prospect details.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Reviewed by hand. What the database guarantees:
- every user has a session version (default 1); raising it ends all older sessions;
- a circle keeps prospect details (third parties' names, phones, e-mails on referrals)
  between 1 and 120 months (default 24); referrals remember when they were erased.

``users`` and ``referrals`` get plain ADD COLUMN (no batch copy): the SQLite batch copy
cannot reflect the expression index ``uq_users_email_lower`` and would drop it.
"""

import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


@contextmanager
def _quiet_reflection():
    """The batch copy of circles reflects users, whose e-mail index is an expression."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        yield


def upgrade():
    op.add_column(
        "users",
        sa.Column("session_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.add_column(
        "users", sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("users", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "referrals", sa.Column("prospect_erased_at", sa.DateTime(timezone=True), nullable=True)
    )
    with _quiet_reflection(), op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "prospect_retention_months",
                sa.SmallInteger(),
                server_default=sa.text("24"),
                nullable=False,
            )
        )
        batch_op.create_check_constraint(
            "prospect_retention", "prospect_retention_months BETWEEN 1 AND 120"
        )


def downgrade():
    with _quiet_reflection(), op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_circles_prospect_retention"), type_="check")
        batch_op.drop_column("prospect_retention_months")
    # SQLite >= 3.35 drops plain columns in place (no table copy, the e-mail index stays).
    op.drop_column("referrals", "prospect_erased_at")
    op.drop_column("users", "erased_at")
    op.drop_column("users", "password_changed_at")
    op.drop_column("users", "session_version")
