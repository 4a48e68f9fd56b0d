"""Optional TOTP two-factor login, hashed recovery codes, a circle setting (issue 12, item 16).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Reviewed by hand:
- ``users.two_factor_secret``: the TOTP secret, encrypted with a key derived from
  ``SECRET_KEY`` (never stored or shown in plain text once enrolment is confirmed);
  ``users.two_factor_enabled_at``: two-factor login is on from then (a secret without it
  is an enrolment not yet confirmed); ``users.two_factor_last_step``: the 30-second time
  step of the last accepted code, so a code is never accepted twice (replay);
- ``recovery_codes``: ten per user, only a keyed SHA-256 hash of each, ``used_at`` once
  used (each works once); unique per user and hash;
- ``circles.require_two_factor``: admins require two-factor login of everyone who sees
  money or prospects' details in the circle; false for every existing circle.
All new columns are nullable or have a server default: existing rows stay valid and
nobody is asked for a code until they switch two-factor login on.
"""

import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


@contextmanager
def _quiet_reflection():
    """SQLite's batch copy of circles reflects users, whose e-mail index is an expression."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        yield


def upgrade() -> None:
    """Add the two-factor columns of users, ``recovery_codes`` and the circle setting."""
    op.add_column("users", sa.Column("two_factor_secret", sa.String(length=255), nullable=True))
    op.add_column(
        "users", sa.Column("two_factor_enabled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("users", sa.Column("two_factor_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint(
            "user_id", "code_hash", name=op.f("uq_recovery_codes_user_id_code_hash")
        ),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])
    with _quiet_reflection(), op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("require_two_factor", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Drop the circle setting, ``recovery_codes`` and the two-factor columns of users."""
    with _quiet_reflection(), op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.drop_column("require_two_factor")
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    # SQLite >= 3.35 drops plain columns in place (no table copy, the e-mail index stays).
    op.drop_column("users", "two_factor_last_step")
    op.drop_column("users", "two_factor_enabled_at")
    op.drop_column("users", "two_factor_secret")
