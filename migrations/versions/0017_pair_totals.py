"""Running totals per pair, so that a balance over the whole history reads a few hundred
rows instead of every slip (issue 15, fast pages).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

Reviewed by hand:
- ``pair_totals``: per circle, kind (``referral`` or ``business``) and ordered pair, the
  live (not voided) slips and, for closed business, their amount in minor units. A side
  that is no member (an external party, an unknown reporter) is NULL as in the slips;
  ``source_key``/``target_key`` repeat the ids with 0 for NULL (a check) so that the
  unique key ``(circle_id, kind, source_key, target_key)`` also holds for those rows and
  serves the upsert. Both member columns have composite foreign keys with ``circle_id``,
  so a total can never join members of two circles. Counts and amounts are never negative
  (checks); referral rows carry no amount.
- The rows are filled from the existing slips here, in the same revision, so the balance
  is right straight after the upgrade; from then on the services keep them in the same
  transaction as each slip, and ``flask circle rebuild-balance-totals`` sums them again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table with its keys and checks, and fill it from the slips."""
    op.create_table(
        "pair_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("source_key", sa.Integer(), nullable=False),
        sa.Column("target_key", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("kind IN ('referral', 'business')", name=op.f("ck_pair_totals_kind")),
        sa.CheckConstraint(
            "source_key = coalesce(source_id, 0)", name=op.f("ck_pair_totals_source_key")
        ),
        sa.CheckConstraint(
            "target_key = coalesce(target_id, 0)", name=op.f("ck_pair_totals_target_key")
        ),
        sa.CheckConstraint("entries >= 0", name=op.f("ck_pair_totals_entries")),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_pair_totals_amount")),
        sa.CheckConstraint(
            "kind = 'business' OR amount_minor = 0", name=op.f("ck_pair_totals_referral_amount")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_pair_totals_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "source_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_pair_totals_source_id_memberships",
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "target_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_pair_totals_target_id_memberships",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pair_totals")),
        sa.UniqueConstraint(
            "circle_id",
            "kind",
            "source_key",
            "target_key",
            name="uq_pair_totals_circle_id_kind_source_key_target_key",
        ),
    )
    op.execute(
        "INSERT INTO pair_totals (circle_id, kind, source_id, target_id, source_key,"
        " target_key, entries, amount_minor)"
        " SELECT circle_id, 'referral', giver_id, receiver_id, coalesce(giver_id, 0),"
        " coalesce(receiver_id, 0), count(*), 0 FROM referrals WHERE voided_at IS NULL"
        " GROUP BY circle_id, giver_id, receiver_id"
    )
    op.execute(
        "INSERT INTO pair_totals (circle_id, kind, source_id, target_id, source_key,"
        " target_key, entries, amount_minor)"
        " SELECT circle_id, 'business', thanked_id, reporter_id, coalesce(thanked_id, 0),"
        " coalesce(reporter_id, 0), count(*), sum(amount_minor) FROM closed_business"
        " WHERE voided_at IS NULL GROUP BY circle_id, thanked_id, reporter_id"
    )


def downgrade() -> None:
    """Drop the table (the slips keep every figure)."""
    op.drop_table("pair_totals")
