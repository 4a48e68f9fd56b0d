"""Server-side login sessions and hashed, rotating remember-me tokens (issue 12, item 7).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Reviewed by hand:
- ``user_sessions``: one row per login in one browser; the cookie carries a random id of
  which only the SHA-256 hash is stored. Logout, "log out everywhere", a new password and
  an account deletion set ``ended_at``, so a copied cookie stops working at once. The
  user agent (cut to 200 characters) and client address are kept for the account page;
- ``remember_tokens``: "stay logged in" tokens, stored hashed; each use replaces the token
  by a new one of the same ``chain`` (``rotated_at``), a replaced token shown again ends
  the chain; ``expires_at`` is REMEMBER_DAYS after the login.
Both tables start empty: Flask's old signed session cookies no longer log anybody in.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def ts(name, nullable=False):
    """A timezone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create ``user_sessions`` and ``remember_tokens``."""
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("remember_chain", sa.String(length=32), nullable=True),
        ts("created_at"),
        ts("last_seen_at"),
        ts("ended_at", nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("client_address", sa.String(length=45), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_user_sessions_session_hash")),
    )
    op.create_index("ix_user_sessions_user_id_ended_at", "user_sessions", ["user_id", "ended_at"])
    op.create_index(op.f("ix_user_sessions_remember_chain"), "user_sessions", ["remember_chain"])
    op.create_table(
        "remember_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        ts("created_at"),
        ts("expires_at"),
        ts("rotated_at", nullable=True),
        ts("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_remember_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remember_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_remember_tokens_token_hash")),
    )
    op.create_index(op.f("ix_remember_tokens_user_id"), "remember_tokens", ["user_id"])
    op.create_index(op.f("ix_remember_tokens_chain"), "remember_tokens", ["chain"])


def downgrade() -> None:
    """Drop both tables (every server-side session and remember token is lost)."""
    op.drop_index(op.f("ix_remember_tokens_chain"), table_name="remember_tokens")
    op.drop_index(op.f("ix_remember_tokens_user_id"), table_name="remember_tokens")
    op.drop_table("remember_tokens")
    op.drop_index(op.f("ix_user_sessions_remember_chain"), table_name="user_sessions")
    op.drop_index("ix_user_sessions_user_id_ended_at", table_name="user_sessions")
    op.drop_table("user_sessions")
