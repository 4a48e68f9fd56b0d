"""Dues: plans, payments (Stripe or by hand), Stripe subscriptions and webhook events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Reviewed by hand. What the database guarantees:
- one plan in force per circle (partial unique index where archived_at IS NULL);
- amounts are integer minor units > 0 (joining fee >= 0) with a 3-letter currency;
- a payment belongs to a member of the same circle (composite foreign key), covers a
  period whose end is not before its start, and a Stripe payment names its invoice, which
  pays only once (unique stripe_invoice_id);
- a webhook event is stored under Stripe's event id (primary key): a duplicate delivery
  cannot insert it again, so its effect happens once;
- one Stripe subscription record per member and per Stripe subscription.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    op.create_table(
        "dues_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("interval", sa.String(length=8), nullable=False),
        sa.Column("joining_fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("grace_days", sa.SmallInteger(), nullable=False),
        sa.Column("stripe_product_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_price_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("interval IN ('month', 'year')", name=op.f("ck_dues_plans_interval")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_dues_plans_amount_positive")),
        sa.CheckConstraint("grace_days BETWEEN 0 AND 90", name=op.f("ck_dues_plans_grace_days")),
        sa.CheckConstraint("joining_fee_minor >= 0", name=op.f("ck_dues_plans_joining_fee")),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_dues_plans_currency")),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_dues_plans_circle_id_circles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dues_plans")),
    )
    with op.batch_alter_table("dues_plans", schema=None) as batch_op:
        batch_op.create_index(
            "uq_dues_plans_current",
            ["circle_id"],
            unique=True,
            sqlite_where=sa.text("archived_at IS NULL"),
            postgresql_where=sa.text("archived_at IS NULL"),
        )

    op.create_table(
        "dues_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_subscription_id", sa.String(length=64), nullable=True),
        sa.Column("checkout_session_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("current_period_end", sa.Date(), nullable=True),
        sa.Column("last_event_created", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_dues_subscriptions_membership_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_dues_subscriptions_circle_id_circles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dues_subscriptions")),
        sa.UniqueConstraint("circle_id", "membership_id", name="uq_dues_subscriptions_member"),
        sa.UniqueConstraint(
            "stripe_subscription_id", name="uq_dues_subscriptions_stripe_subscription_id"
        ),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("stripe_invoice_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source <> 'stripe' OR stripe_invoice_id IS NOT NULL",
            name=op.f("ck_payments_stripe_reference"),
        ),
        sa.CheckConstraint("source IN ('stripe', 'manual')", name=op.f("ck_payments_source")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_payments_currency")),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_payments_period")),
        sa.ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_payments_membership_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_payments_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["dues_plans.id"], name=op.f("fk_payments_plan_id_dues_plans")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_payments_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("stripe_invoice_id", name="uq_payments_stripe_invoice_id"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_circle_id_membership_id_period_end",
            ["circle_id", "membership_id", "period_end"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_circle_id_membership_id_period_end")

    op.drop_table("payments")
    op.drop_table("dues_subscriptions")
    with op.batch_alter_table("dues_plans", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_dues_plans_current",
            sqlite_where=sa.text("archived_at IS NULL"),
            postgresql_where=sa.text("archived_at IS NULL"),
        )

    op.drop_table("dues_plans")
    op.drop_table("stripe_events")
