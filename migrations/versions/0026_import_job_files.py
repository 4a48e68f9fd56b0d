"""An import job keeps its file only while it may still need it (issue 16, item 4).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04

Reviewed by hand:
- ``import_jobs``: a check that a done, failed or cancelled job holds no file
  (``ck_import_jobs_file_only_while_open``). The worker and the cancel empty ``data``
  when a job ends; the database now holds that rule too. Jobs that ended before the
  upgrade already hold none (the code always emptied it), so the check applies as is.
"""

import warnings
from contextlib import contextmanager

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

CHECK = "state IN ('queued', 'checking', 'checked', 'confirmed', 'importing') OR data IS NULL"


@contextmanager
def _quiet_reflection():
    """SQLite's batch copy reflects users, whose e-mail index is an expression."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        yield


def upgrade() -> None:
    """Add the check."""
    with _quiet_reflection(), op.batch_alter_table("import_jobs") as batch:
        batch.create_check_constraint("file_only_while_open", CHECK)


def downgrade() -> None:
    """Drop the check."""
    with _quiet_reflection(), op.batch_alter_table("import_jobs") as batch:
        batch.drop_constraint(op.f("ck_import_jobs_file_only_while_open"), type_="check")
