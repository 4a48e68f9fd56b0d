"""Member profiles, referral wishes and profile pictures (issue 14, item 1).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

Reviewed by hand:
- ``profiles``: one row per user (the primary key is the user), created when the member
  first saves the profile; every text column defaults to "" and carries a length CHECK
  (SQLite does not enforce VARCHAR lengths); a website is empty or starts with http(s)://.
- ``referral_wishes``: the strategy list (regions, industries, companies, networks,
  target groups, press); the same wish of one kind once per user, regardless of case
  (expression index, as ``uq_users_email_lower``).
- ``profile_images``: a photo and a logo in two sizes each, re-encoded (JPEG or PNG, no
  metadata) and stored in the database so that every app instance can serve them;
  ``digest`` is the SHA-256 of the bytes (ETag and URL version); width and height lie
  within the largest stored size (640 px).
Nothing existing changes; downgrade drops the three tables.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

LIMITS = {
    "company": 120,
    "description": 300,
    "website": 200,
    "phone": 40,
    "contact_email": 254,
    "region": 120,
    "keywords": 300,
    "ideal_referral": 300,
    "goals": 1000,
    "accomplishments": 1000,
    "interests": 1000,
    "networks": 1000,
    "skills": 1000,
}


def upgrade() -> None:
    """Create the three tables with their checks and indexes."""
    op.create_table(
        "profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        *[
            sa.Column(name, sa.String(length=limit), nullable=False, server_default="")
            for name, limit in LIMITS.items()
        ],
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *[
            sa.CheckConstraint(f"length({name}) <= {limit}", name=f"ck_profiles_{name}_length")
            for name, limit in LIMITS.items()
        ],
        sa.CheckConstraint(
            "website = '' OR website LIKE 'https://%' OR website LIKE 'http://%'",
            name="ck_profiles_website_scheme",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_profiles_user_id_users"),
        sa.PrimaryKeyConstraint("user_id", name="pk_profiles"),
    )
    op.create_table(
        "referral_wishes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('region', 'industry', 'company', 'network', 'target_group', 'press')",
            name="ck_referral_wishes_kind",
        ),
        sa.CheckConstraint("length(text) BETWEEN 1 AND 120", name="ck_referral_wishes_text_length"),
        sa.CheckConstraint("position >= 0", name="ck_referral_wishes_position"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_referral_wishes_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_referral_wishes"),
    )
    op.create_index("ix_referral_wishes_user_id", "referral_wishes", ["user_id"])
    op.create_index(
        "uq_referral_wishes_user_kind_text",
        "referral_wishes",
        ["user_id", "kind", sa.text("lower(text)")],
        unique=True,
    )
    op.create_table(
        "profile_images",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("size", sa.String(length=10), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('photo', 'logo')", name="ck_profile_images_kind"),
        sa.CheckConstraint("size IN ('small', 'large')", name="ck_profile_images_size"),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png')", name="ck_profile_images_content_type"
        ),
        sa.CheckConstraint("length(digest) = 64", name="ck_profile_images_digest"),
        sa.CheckConstraint(
            "width BETWEEN 1 AND 640 AND height BETWEEN 1 AND 640",
            name="ck_profile_images_dimensions",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_profile_images_user_id_users"),
        sa.PrimaryKeyConstraint("user_id", "kind", "size", name="pk_profile_images"),
    )


def downgrade() -> None:
    """Drop the tables (profiles, wishes and pictures are lost)."""
    op.drop_table("profile_images")
    op.drop_index("uq_referral_wishes_user_kind_text", table_name="referral_wishes")
    op.drop_index("ix_referral_wishes_user_id", table_name="referral_wishes")
    op.drop_table("referral_wishes")
    op.drop_table("profiles")
