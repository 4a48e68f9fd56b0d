"""Rules the services checked alone, now held by the database too.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Reviewed by hand:
- a circle's meeting lasts 15 to 480 minutes, and so does each generated meeting;
- an attendance row names the 1st, 2nd or 3rd absence mail it triggered, or none;
- a decided decline carries the reason the applicant was told.
"""

import warnings
from contextlib import contextmanager

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CHECKS = (
    ("circles", "meeting_minutes", "meeting_minutes BETWEEN 15 AND 480"),
    ("meetings", "duration", "duration_minutes BETWEEN 15 AND 480"),
    ("attendance", "notice", "absence_notice IS NULL OR absence_notice BETWEEN 1 AND 3"),
    (
        "memberships",
        "decline_reason",
        "decided_at IS NULL OR status <> 'declined' OR decision_reason <> ''",
    ),
)


@contextmanager
def _quiet_reflection():
    """SQLite's batch copies reflect users, whose e-mail index is an expression."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        yield


def upgrade():
    for table, name, condition in CHECKS:
        with _quiet_reflection(), op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(name, condition)


def downgrade():
    for table, name, _condition in reversed(CHECKS):
        with _quiet_reflection(), op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
