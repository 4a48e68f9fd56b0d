"""Imports of slips (our CSV, BNI Connect's Slips Audit Report) and the slips kept for later."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime

IMPORT_FORMATS = ("circle_csv", "bni_slips")


class Import(Base):
    """One committed import: what file, for which day, and what it added."""

    __tablename__ = "imports"
    __table_args__ = (
        CheckConstraint("format IN ('circle_csv', 'bni_slips')", name="format"),
        UniqueConstraint("circle_id", "id", name="uq_imports_circle_id_id"),
        Index("ix_imports_circle_id", "circle_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    file_sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(16))
    slip_date: Mapped[date | None] = mapped_column(Date)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OtherSlip(Base):
    """A One-to-One, CEU or Visitor slip from BNI, kept for the chapter-operations features."""

    __tablename__ = "other_slips"
    __table_args__ = (
        UniqueConstraint("circle_id", "source_key", name="uq_other_slips_circle_id_source_key"),
        ForeignKeyConstraint(
            ["circle_id", "import_id"],
            ["imports.circle_id", "imports.id"],
            name="fk_other_slips_import_id_imports",
        ),
        CheckConstraint("slip_type IN ('One-to-One', 'CEU', 'Visitor')", name="slip_type"),
        Index("ix_other_slips_circle_id_slip_date", "circle_id", "slip_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    import_id: Mapped[int] = mapped_column()
    slip_type: Mapped[str] = mapped_column(String(16))
    slip_date: Mapped[date | None] = mapped_column(Date)
    from_name: Mapped[str] = mapped_column(String(200), default="")
    to_name: Mapped[str] = mapped_column(String(200), default="")
    quantity: Mapped[str] = mapped_column(String(32), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    source_key: Mapped[str] = mapped_column(String(64))


#: queued: waits for the worker to read it; checking: the worker reads it; checked: the
#: preview is ready for the admin's confirmation; confirmed: waits for the worker to import
#: it; importing: the worker writes it; done: imported (``import_id``); failed: rejected
#: or given up (``error``, and the row errors in ``summary``); cancelled: by an admin.
IMPORT_JOB_STATES = (
    "queued",
    "checking",
    "checked",
    "confirmed",
    "importing",
    "done",
    "failed",
    "cancelled",
)
#: The states in which the worker has work to do or is doing it.
IMPORT_JOB_RUNNING = ("queued", "checking", "confirmed", "importing")


class ImportJob(Base):
    """An uploaded file on its way through the worker: checked (the preview), then, once an
    admin confirms it, imported, all or nothing.

    The file is kept in the database, so that any server of the fleet can show the job
    and any worker can run it; it is emptied once the job has ended. The key is the circle
    and a random id (32 hex characters), which the job's page names: no counter to guess.
    """

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'checking', 'checked', 'confirmed', 'importing', 'done',"
            " 'failed', 'cancelled')",
            name="state",
        ),
        CheckConstraint("length(id) = 32", name="id"),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("state <> 'done' OR import_id IS NOT NULL", name="done_names_import"),
        # The file is kept only while the job may still need it.
        CheckConstraint(
            "state IN ('queued', 'checking', 'checked', 'confirmed', 'importing') OR data IS NULL",
            name="file_only_while_open",
        ),
        ForeignKeyConstraint(
            ["circle_id", "import_id"],
            ["imports.circle_id", "imports.id"],
            name="fk_import_jobs_import_id_imports",
        ),
        Index("ix_import_jobs_circle_id_created_at", "circle_id", "created_at"),
        Index("ix_import_jobs_state", "state"),
    )

    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    slip_date: Mapped[date | None] = mapped_column(Date)
    file_sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    #: The preview (checked) or what was added (done), as ``Summary.as_dict()``.
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    import_id: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
