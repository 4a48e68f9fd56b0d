"""Verified e-mail addresses, pending address changes, seat-reserving invitations (item 4).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Reviewed by hand:
- ``users.email_verified_at``: when the owner followed the link mailed to the address (or
  accepted an invitation mailed to it). New accounts start unverified and may not create
  a circle, apply or take a seat until they confirm. Every account that exists when this
  revision runs predates the rule and is marked verified (with its ``created_at``), so
  nobody already using Circle is locked out;
- ``users.pending_email``: an address change waits here until the link mailed to the new
  address is followed; only then does it replace ``email``;
- ``invitations.reserves_seat``: an admin's "add a member" now reserves the seat and the
  profession through an invitation (counted toward the seat limit while open) instead of
  seating an existing account without its owner's consent; existing invitations keep
  ``false`` (they never reserved a seat);
- ``invitations.declined_at``: the invitee said no; the reserved seat is free again.
"""

import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


@contextmanager
def _quiet_reflection():
    """SQLite's batch copies reflect users, whose e-mail index is an expression."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        yield


def upgrade() -> None:
    """Add the columns; accounts that predate the rule count as verified."""
    op.add_column("users", sa.Column("email_verified_at", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("pending_email", sa.String(length=254)))
    op.execute("UPDATE users SET email_verified_at = created_at")
    op.add_column("invitations", sa.Column("declined_at", sa.DateTime(timezone=True)))
    op.add_column(
        "invitations",
        sa.Column("reserves_seat", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    """Drop the columns again (pending address changes are lost)."""
    with _quiet_reflection(), op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("reserves_seat")
        batch_op.drop_column("declined_at")
    with _quiet_reflection(), op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("pending_email")
        batch_op.drop_column("email_verified_at")
