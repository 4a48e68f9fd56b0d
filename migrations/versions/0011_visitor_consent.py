"""A visitor becomes an applicant only with consent: invitations to apply (issue 12, item 4).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Reviewed by hand:
- ``invitations.visitor_id``: set on an invitation to apply that a visitor host mailed to
  a visitor's address. Turning a visitor into an applicant no longer makes an existing
  account an applicant at once (nor creates one): the visitor follows the mailed link,
  logs in or registers with that address and confirms; only then is the application
  made and ``visitors.applicant_id`` set. NULL for every existing invitation (seat
  invitations). The composite foreign key keeps the visitor in the invitation's circle.
"""

import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


@contextmanager
def _quiet_reflection():
    """SQLite's batch copy reflects users, whose e-mail index is an expression."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        yield


def upgrade() -> None:
    """Add the column with its composite foreign key and an index."""
    with _quiet_reflection(), op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visitor_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_invitations_circle_id_visitor_id_visitors",
            "visitors",
            ["circle_id", "visitor_id"],
            ["circle_id", "id"],
        )
        batch_op.create_index("ix_invitations_circle_id_visitor_id", ["circle_id", "visitor_id"])


def downgrade() -> None:
    """Drop the column (open invitations to apply become plain links that no longer work)."""
    op.execute("UPDATE invitations SET revoked_at = created_at WHERE visitor_id IS NOT NULL")
    with _quiet_reflection(), op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_circle_id_visitor_id")
        batch_op.drop_constraint("fk_invitations_circle_id_visitor_id_visitors", type_="foreignkey")
        batch_op.drop_column("visitor_id")
