"""A member's slips per calendar month, so that the ledger by month reads a dozen rows a
year instead of every slip (issue 15, fast pages).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04

Reviewed by hand:
- ``member_months``: per circle, member and month (its first day) the live (not voided)
  referrals given and received and the closed business credited to the member (revenue
  generated) and reported by them (revenue received), in minor units. The primary key is
  ``(circle_id, membership_id, month)`` (circle first) and serves the upsert; the composite
  foreign key to ``memberships (circle_id, id)`` keeps a month inside its circle. No figure
  is ever negative (checks).
- The rows are filled from the existing slips here, in the same revision, so the ledger is
  right straight after the upgrade; from then on the services and the import keep them in
  the same transaction as each slip, and ``flask circle rebuild-balance-totals`` sums them
  again. The month is truncated by each database's own function.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table and sum the existing slips into it."""
    op.create_table(
        "member_months",
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("given", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("revenue_generated", sa.BigInteger(), nullable=False),
        sa.Column("revenue_received", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("given >= 0", name=op.f("ck_member_months_given")),
        sa.CheckConstraint("received >= 0", name=op.f("ck_member_months_received")),
        sa.CheckConstraint(
            "revenue_generated >= 0", name=op.f("ck_member_months_revenue_generated")
        ),
        sa.CheckConstraint("revenue_received >= 0", name=op.f("ck_member_months_revenue_received")),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_member_months_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_member_months_membership_id_memberships",
        ),
        sa.PrimaryKeyConstraint(
            "circle_id", "membership_id", "month", name=op.f("pk_member_months")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        month = "CAST(date_trunc('month', {}) AS DATE)"
    else:
        month = "date({}, 'start of month')"
    given, closed = month.format("given_on"), month.format("closed_on")
    # Only constants: the month expression is one of the two literals above.
    sql = (
        "INSERT INTO member_months (circle_id, membership_id, month, given, received,"  # noqa: S608
        " revenue_generated, revenue_received)"
        " SELECT circle_id, membership_id, month, sum(given), sum(received), sum(generated),"
        " sum(earned) FROM ("
        f" SELECT circle_id, giver_id AS membership_id, {given} AS month, 1 AS given,"
        " 0 AS received, 0 AS generated, 0 AS earned FROM referrals"
        " WHERE voided_at IS NULL AND giver_id IS NOT NULL"
        f" UNION ALL SELECT circle_id, receiver_id, {given}, 0, 1, 0, 0 FROM referrals"
        " WHERE voided_at IS NULL AND receiver_id IS NOT NULL"
        f" UNION ALL SELECT circle_id, thanked_id, {closed}, 0, 0, amount_minor, 0"
        " FROM closed_business WHERE voided_at IS NULL AND thanked_id IS NOT NULL"
        f" UNION ALL SELECT circle_id, reporter_id, {closed}, 0, 0, 0, amount_minor"
        " FROM closed_business WHERE voided_at IS NULL AND reporter_id IS NOT NULL"
        ") AS sides GROUP BY circle_id, membership_id, month"
    )
    op.execute(sql)


def downgrade() -> None:
    """Drop the table (the slips hold everything it summed)."""
    op.drop_table("member_months")
