"""Imports of slips (our CSV, BNI Connect's Slips Audit Report) and the slips kept for later."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
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
        CheckConstraint("slip_type IN ('One-to-One', 'CEU', 'Visitor')", name="slip_type"),
        Index("ix_other_slips_circle_id_slip_date", "circle_id", "slip_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"))
    slip_type: Mapped[str] = mapped_column(String(16))
    slip_date: Mapped[date | None] = mapped_column(Date)
    from_name: Mapped[str] = mapped_column(String(200), default="")
    to_name: Mapped[str] = mapped_column(String(200), default="")
    quantity: Mapped[str] = mapped_column(String(32), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    source_key: Mapped[str] = mapped_column(String(64))


class ImportUpload(Base):
    """An uploaded file waiting for its confirmation (a day at most): kept in the database,
    so that the server that confirms it need not be the one that took the upload. Its key
    is the circle and the file's SHA-256 (the confirm form carries only the hash, so a
    file can be confirmed only in the circle it was uploaded to)."""

    __tablename__ = "import_uploads"
    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="sha256"),
        Index("ix_import_uploads_created_at", "created_at"),
    )

    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
