"""The audit trail: every change to what members entered, who made it, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime
from circle.models.user import User

AUDIT_ACTIONS = (
    "create",
    "edit",
    "status",
    "void",
    "import",
    "correct",
    "lock",
    "grant",
    "revoke",
    "cancel",
    "decide",
    "record",
)


class AuditEntry(Base):
    """One change to one entry of a circle; entries are only ever added."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        CheckConstraint(
            "action IN (" + ", ".join(f"'{a}'" for a in AUDIT_ACTIONS) + ")", name="action"
        ),
        Index("ix_audit_entries_circle_id_entity_entity_id", "circle_id", "entity", "entity_id"),
        # The audit log's keyset pages, newest first, all types or one (migration 0015).
        Index("ix_audit_entries_circle_id_created_at_id", "circle_id", "created_at", "id"),
        Index(
            "ix_audit_entries_circle_id_entity_created_at_id",
            "circle_id",
            "entity",
            "created_at",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")
