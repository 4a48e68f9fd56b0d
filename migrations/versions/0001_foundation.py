"""Foundation: users, professions, circles, memberships (seat rules), invitations, API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Reviewed by hand. The seat rules live here as well as in the services:
- ``ck_circles_seat_limit``: 1..40 seats;
- ``uq_memberships_active_profession``: one active seat per (circle, profession);
- ``uq_memberships_live_user``: one live membership per (circle, user);
- ``uq_memberships_circle_id_id``: target of composite foreign keys that carry circle_id;
- ``uq_users_email_lower``: e-mail addresses unique regardless of case.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

LIVE = "status IN ('invited', 'applicant', 'waitlisted', 'active')"
ACTIVE = "status = 'active'"


def ts(name, nullable=False):
    """A timezone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        ts("created_at"),
        sa.CheckConstraint("locale IN ('de', 'en')", name=op.f("ck_users_locale")),
        sa.CheckConstraint("length(email) >= 3", name=op.f("ck_users_email_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)

    op.create_table(
        "professions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_professions")),
        sa.UniqueConstraint("key", name=op.f("uq_professions_key")),
    )

    op.create_table(
        "circles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("meeting_weekday", sa.SmallInteger(), nullable=False),
        sa.Column("meeting_time", sa.Time(), nullable=False),
        sa.Column("seat_limit", sa.SmallInteger(), nullable=False),
        ts("created_at"),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_circles_currency")),
        sa.CheckConstraint(
            "meeting_weekday BETWEEN 0 AND 6", name=op.f("ck_circles_meeting_weekday")
        ),
        sa.CheckConstraint("seat_limit BETWEEN 1 AND 40", name=op.f("ck_circles_seat_limit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circles")),
    )

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        ts("created_at"),
        ts("last_used_at", nullable=True),
        ts("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])

    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("profession_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        ts("created_at"),
        ts("updated_at"),
        ts("joined_at", nullable=True),
        ts("ended_at", nullable=True),
        ts("offered_at", nullable=True),
        sa.CheckConstraint(
            "(status IN ('left', 'removed', 'declined')) = (ended_at IS NOT NULL)",
            name=op.f("ck_memberships_ended_at"),
        ),
        sa.CheckConstraint(
            "profession_id IS NOT NULL OR role = 'admin'", name=op.f("ck_memberships_profession")
        ),
        sa.CheckConstraint("role IN ('member', 'admin')", name=op.f("ck_memberships_role")),
        sa.CheckConstraint(
            "status IN ('invited', 'applicant', 'waitlisted', 'active', 'left', 'removed', "
            "'declined')",
            name=op.f("ck_memberships_status"),
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_memberships_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["profession_id"],
            ["professions.id"],
            name=op.f("fk_memberships_profession_id_professions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("circle_id", "id", name="uq_memberships_circle_id_id"),
    )
    op.create_index("ix_memberships_circle_id_status", "memberships", ["circle_id", "status"])
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.create_index(
        "uq_memberships_active_profession",
        "memberships",
        ["circle_id", "profession_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    op.create_index(
        "uq_memberships_live_user",
        "memberships",
        ["circle_id", "user_id"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )

    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("profession_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        ts("created_at"),
        ts("expires_at"),
        ts("accepted_at", nullable=True),
        ts("revoked_at", nullable=True),
        # The inviting admin is a membership of the same circle.
        sa.ForeignKeyConstraint(
            ["circle_id", "invited_by_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_invitations_circle_id_invited_by_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_invitations_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["profession_id"],
            ["professions.id"],
            name=op.f("fk_invitations_profession_id_professions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_index("ix_invitations_circle_id", "invitations", ["circle_id"])


def downgrade():
    op.drop_table("invitations")
    op.drop_table("memberships")
    op.drop_table("api_tokens")
    op.drop_table("circles")
    op.drop_table("professions")
    op.drop_index("uq_users_email_lower", table_name="users")
    op.drop_table("users")
