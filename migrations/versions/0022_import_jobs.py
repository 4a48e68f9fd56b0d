"""Imports run in the worker (issue 16, item 4): an uploaded file becomes an import job,
which the worker checks (the preview) and, once an admin confirms it, imports.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04

Reviewed by hand:
- ``import_jobs``: the primary key is ``(circle_id, id)`` with ``id`` 32 random hex
  characters made by the app (a check), so the job's page names no counter and the table
  needs no sequence. ``state`` is one of eight (a check); a done job names its import
  (a check), through the composite foreign key ``(circle_id, import_id) -> imports
  (circle_id, id)``, so a job cannot name another circle's import. ``data`` holds the
  file while the job runs and is emptied when it ends. Indexes: the circle's jobs by
  time (the upload page lists them), the state (the worker's sweep looks for waiting and
  stalled jobs).
- ``imports``: a unique key ``(circle_id, id)``, the target of that foreign key.
- ``import_uploads`` is dropped: a job holds its file. Uploads waiting for their
  confirmation at the upgrade are lost (they wait a day at most; an admin uploads the
  file again).
"""

import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


@contextmanager
def _quiet_reflection():
    """SQLite's batch copy of imports reflects users, whose e-mail index is an expression."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        yield


def upgrade() -> None:
    """Create the jobs, the key they point to, and drop the waiting uploads."""
    with _quiet_reflection(), op.batch_alter_table("imports") as batch:
        batch.create_unique_constraint("uq_imports_circle_id_id", ["circle_id", "id"])
    op.create_table(
        "import_jobs",
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("slip_date", sa.Date(), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('queued', 'checking', 'checked', 'confirmed', 'importing', 'done',"
            " 'failed', 'cancelled')",
            name=op.f("ck_import_jobs_state"),
        ),
        sa.CheckConstraint("length(id) = 32", name=op.f("ck_import_jobs_id")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_import_jobs_attempts")),
        sa.CheckConstraint(
            "state <> 'done' OR import_id IS NOT NULL",
            name=op.f("ck_import_jobs_done_names_import"),
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_import_jobs_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_import_jobs_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id", "import_id"],
            ["imports.circle_id", "imports.id"],
            name="fk_import_jobs_import_id_imports",
        ),
        sa.PrimaryKeyConstraint("circle_id", "id", name=op.f("pk_import_jobs")),
    )
    op.create_index(
        "ix_import_jobs_circle_id_created_at", "import_jobs", ["circle_id", "created_at"]
    )
    op.create_index("ix_import_jobs_state", "import_jobs", ["state"])
    op.drop_index("ix_import_uploads_created_at", table_name="import_uploads")
    op.drop_table("import_uploads")


def downgrade() -> None:
    """Drop the jobs (and their files) and bring back the empty table of waiting uploads."""
    op.create_table(
        "import_uploads",
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_import_uploads_sha256")),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_import_uploads_circle_id_circles")
        ),
        sa.PrimaryKeyConstraint("circle_id", "sha256", name=op.f("pk_import_uploads")),
    )
    op.create_index("ix_import_uploads_created_at", "import_uploads", ["created_at"])
    op.drop_index("ix_import_jobs_state", table_name="import_jobs")
    op.drop_index("ix_import_jobs_circle_id_created_at", table_name="import_jobs")
    op.drop_table("import_jobs")
    with _quiet_reflection(), op.batch_alter_table("imports") as batch:
        batch.drop_constraint("uq_imports_circle_id_id", type_="unique")
