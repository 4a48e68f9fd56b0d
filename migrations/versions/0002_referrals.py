"""Referrals and closed business, external parties, the audit trail, imports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Reviewed by hand. What the database itself guarantees:
- every slip and every closed business stays inside one circle: giver, receiver, thanked,
  reporter and the linked referral are composite foreign keys carrying circle_id;
- a giver is a member or a named external party, never both, never neither (same for the
  receiver and the thanked member); the reporter may be unknown (BNI TYFCB rows);
- nobody refers to or thanks themselves (CHECK giver_id <> receiver_id);
- money is an integer of minor units > 0 with a three-letter currency;
- hotness 1..5, kind, sphere, status and business kind are closed lists (CHECK);
- a voided entry always carries its reason; nothing is deleted;
- an imported row has a source_key unique per circle, so the same file adds nothing twice;
- the indexes (circle_id, [giver|receiver|thanked|reporter]_id, date) serve the week view,
  the ledger and the balance analyses.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('create', 'edit', 'status', 'void', 'import')",
            name=op.f("ck_audit_entries_action"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_entries_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_audit_entries_circle_id_circles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_entries_circle_id_entity_entity_id",
            ["circle_id", "entity", "entity_id"],
            unique=False,
        )

    op.create_table(
        "external_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_external_parties_circle_id_circles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_parties")),
        sa.UniqueConstraint("circle_id", "id", name="uq_external_parties_circle_id_id"),
        sa.UniqueConstraint("circle_id", "key", name="uq_external_parties_circle_id_key"),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("slip_date", sa.Date(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("added", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("format IN ('circle_csv', 'bni_slips')", name=op.f("ck_imports_format")),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_imports_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_imports_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.create_index("ix_imports_circle_id", ["circle_id"], unique=False)

    op.create_table(
        "other_slips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("slip_type", sa.String(length=16), nullable=False),
        sa.Column("slip_date", sa.Date(), nullable=True),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("to_name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "slip_type IN ('One-to-One', 'CEU', 'Visitor')", name=op.f("ck_other_slips_slip_type")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_other_slips_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_other_slips_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_other_slips")),
        sa.UniqueConstraint("circle_id", "source_key", name="uq_other_slips_circle_id_source_key"),
    )
    with op.batch_alter_table("other_slips", schema=None) as batch_op:
        batch_op.create_index(
            "ix_other_slips_circle_id_slip_date", ["circle_id", "slip_date"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=True),
        sa.Column("receiver_id", sa.Integer(), nullable=True),
        sa.Column("giver_external_id", sa.Integer(), nullable=True),
        sa.Column("receiver_external_id", sa.Integer(), nullable=True),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("hotness", sa.SmallInteger(), nullable=True),
        sa.Column("sphere", sa.String(length=16), nullable=True),
        sa.Column("prospect_name", sa.String(length=200), nullable=False),
        sa.Column("prospect_phone", sa.String(length=50), nullable=False),
        sa.Column("prospect_email", sa.String(length=254), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("source_key", sa.String(length=64), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('inside', 'outside')", name=op.f("ck_referrals_kind")),
        sa.CheckConstraint(
            "sphere IS NULL OR sphere IN ('private', 'professional', 'local', 'interests')",
            name=op.f("ck_referrals_sphere"),
        ),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'won', 'lost')", name=op.f("ck_referrals_status")
        ),
        sa.CheckConstraint(
            "(giver_id IS NULL) <> (giver_external_id IS NULL)", name=op.f("ck_referrals_one_giver")
        ),
        sa.CheckConstraint(
            "(receiver_id IS NULL) <> (receiver_external_id IS NULL)",
            name=op.f("ck_referrals_one_receiver"),
        ),
        sa.CheckConstraint(
            "(voided_at IS NULL) = (void_reason IS NULL)", name=op.f("ck_referrals_void_reason")
        ),
        sa.CheckConstraint(
            "giver_id IS NULL OR giver_id <> receiver_id", name=op.f("ck_referrals_not_self")
        ),
        sa.CheckConstraint(
            "hotness IS NULL OR hotness BETWEEN 1 AND 5", name=op.f("ck_referrals_hotness")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "giver_external_id"],
            ["external_parties.circle_id", "external_parties.id"],
            name="fk_referrals_giver_external_id_external_parties",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "giver_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_referrals_giver_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "receiver_external_id"],
            ["external_parties.circle_id", "external_parties.id"],
            name="fk_referrals_receiver_external_id_external_parties",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "receiver_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_referrals_receiver_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_referrals_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_referrals_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_referrals_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("circle_id", "id", name="uq_referrals_circle_id_id"),
        sa.UniqueConstraint("circle_id", "source_key", name="uq_referrals_circle_id_source_key"),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referrals_circle_id_given_on", ["circle_id", "given_on"], unique=False
        )
        batch_op.create_index(
            "ix_referrals_circle_id_giver_id_given_on",
            ["circle_id", "giver_id", "given_on"],
            unique=False,
        )
        batch_op.create_index(
            "ix_referrals_circle_id_receiver_id_given_on",
            ["circle_id", "receiver_id", "given_on"],
            unique=False,
        )

    op.create_table(
        "closed_business",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("thanked_id", sa.Integer(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("thanked_external_id", sa.Integer(), nullable=True),
        sa.Column("reporter_external_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("source_key", sa.String(length=64), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('new', 'repeat')", name=op.f("ck_closed_business_kind")),
        sa.CheckConstraint(
            "(thanked_id IS NULL) <> (thanked_external_id IS NULL)",
            name=op.f("ck_closed_business_one_thanked"),
        ),
        sa.CheckConstraint(
            "(voided_at IS NULL) = (void_reason IS NULL)",
            name=op.f("ck_closed_business_void_reason"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_closed_business_amount_positive")),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_closed_business_currency")),
        sa.CheckConstraint(
            "reporter_id IS NULL OR reporter_external_id IS NULL",
            name=op.f("ck_closed_business_one_reporter"),
        ),
        sa.CheckConstraint(
            "thanked_id IS NULL OR thanked_id <> reporter_id",
            name=op.f("ck_closed_business_not_self"),
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "referral_id"],
            ["referrals.circle_id", "referrals.id"],
            name="fk_closed_business_referral_id_referrals",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "reporter_external_id"],
            ["external_parties.circle_id", "external_parties.id"],
            name="fk_closed_business_reporter_external_id_external_parties",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "reporter_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_closed_business_reporter_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "thanked_external_id"],
            ["external_parties.circle_id", "external_parties.id"],
            name="fk_closed_business_thanked_external_id_external_parties",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "thanked_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_closed_business_thanked_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_closed_business_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_closed_business_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_closed_business_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closed_business")),
        sa.UniqueConstraint("circle_id", "id", name="uq_closed_business_circle_id_id"),
        sa.UniqueConstraint(
            "circle_id", "source_key", name="uq_closed_business_circle_id_source_key"
        ),
    )
    with op.batch_alter_table("closed_business", schema=None) as batch_op:
        batch_op.create_index(
            "ix_closed_business_circle_id_closed_on", ["circle_id", "closed_on"], unique=False
        )
        batch_op.create_index(
            "ix_closed_business_circle_id_reporter_id_closed_on",
            ["circle_id", "reporter_id", "closed_on"],
            unique=False,
        )
        batch_op.create_index(
            "ix_closed_business_circle_id_thanked_id_closed_on",
            ["circle_id", "thanked_id", "closed_on"],
            unique=False,
        )

    with op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("show_thank_amount", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.drop_column("show_thank_amount")

    with op.batch_alter_table("closed_business", schema=None) as batch_op:
        batch_op.drop_index("ix_closed_business_circle_id_thanked_id_closed_on")
        batch_op.drop_index("ix_closed_business_circle_id_reporter_id_closed_on")
        batch_op.drop_index("ix_closed_business_circle_id_closed_on")

    op.drop_table("closed_business")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_circle_id_receiver_id_given_on")
        batch_op.drop_index("ix_referrals_circle_id_giver_id_given_on")
        batch_op.drop_index("ix_referrals_circle_id_given_on")

    op.drop_table("referrals")
    with op.batch_alter_table("other_slips", schema=None) as batch_op:
        batch_op.drop_index("ix_other_slips_circle_id_slip_date")

    op.drop_table("other_slips")
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_index("ix_imports_circle_id")

    op.drop_table("imports")
    op.drop_table("external_parties")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_circle_id_entity_entity_id")

    op.drop_table("audit_entries")
