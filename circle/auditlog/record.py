"""Writing and reading the audit trail of what members entered."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from circle.extensions import db
from circle.models import AuditEntry, User


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The listed fields of an entry as JSON-safe values (dates as ISO strings)."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, date | datetime):
            value = value.isoformat()
        out[name] = value
    return out


def record(
    circle_id: int,
    entity: str,
    entity_id: int,
    action: str,
    actor: User | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry; for edits only the fields that changed are kept."""
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after[k] for k in sorted(changed)}
    entry = AuditEntry(
        circle_id=circle_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        actor_id=actor.id if actor else None,
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


def history(circle_id: int, entity: str, entity_id: int) -> list[AuditEntry]:
    """Every audit entry of one entry, oldest first."""
    return list(
        db.session.execute(
            select(AuditEntry)
            .where(
                AuditEntry.circle_id == circle_id,
                AuditEntry.entity == entity,
                AuditEntry.entity_id == entity_id,
            )
            .order_by(AuditEntry.created_at, AuditEntry.id)
        ).scalars()
    )
