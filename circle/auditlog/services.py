"""Reading a circle's audit trail page by page, newest first, filtered by entity type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from circle.extensions import db
from circle.models import AuditEntry

#: Entries shown per page.
PER_PAGE = 50

#: Names of the entity types for the filter and the table (unknown types show as stored).
ENTITY_LABELS = {
    "attendance": _l("Attendance"),
    "circle": _l("Circle settings"),
    "closed_business": _l("Closed business"),
    "dues_plan": _l("Dues plan"),
    "education_credit": _l("Education credit"),
    "import": _l("Import"),
    "meeting": _l("Meeting"),
    "membership": _l("Membership"),
    "one_to_one": _l("One-to-one"),
    "payment": _l("Payment"),
    "referral": _l("Referral"),
    "role": _l("Role"),
    "visitor": _l("Visitor"),
    "weekly_report": _l("Weekly report"),
}

#: Names of the actions (see ``circle.models.audit.AUDIT_ACTIONS``).
ACTION_LABELS = {
    "create": _l("created"),
    "edit": _l("edited"),
    "status": _l("status changed"),
    "void": _l("voided"),
    "import": _l("imported"),
    "correct": _l("corrected"),
    "lock": _l("locked"),
    "grant": _l("granted"),
    "revoke": _l("revoked"),
    "cancel": _l("cancelled"),
    "decide": _l("decided"),
    "record": _l("recorded"),
}


@dataclass(frozen=True)
class Change:
    """One field of an entry: its value before and after (None when absent)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class LogPage:
    """One page of a circle's audit log."""

    entries: list[AuditEntry]
    page: int
    pages: int
    total: int
    entity: str | None
    #: The entity types that occur in the circle's trail (the filter's choices).
    entity_types: list[str]

    @property
    def has_previous(self) -> bool:
        """True when there is a newer page."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """True when there is an older page."""
        return self.page < self.pages


def entity_types(circle_id: int) -> list[str]:
    """The entity types that occur in the circle's audit trail, sorted by name."""
    return sorted(
        db.session.execute(
            select(AuditEntry.entity).where(AuditEntry.circle_id == circle_id).distinct()
        ).scalars()
    )


def log_page(circle_id: int, entity: str | None, page: int | None) -> LogPage:
    """The circle's entries, newest first; ``page`` is clamped to the pages that exist.

    An ``entity`` that does not occur in the circle's trail filters nothing out.
    """
    types = entity_types(circle_id)
    if entity not in types:
        entity = None
    where = [AuditEntry.circle_id == circle_id]
    if entity is not None:
        where.append(AuditEntry.entity == entity)
    total = db.session.execute(select(func.count(AuditEntry.id)).where(*where)).scalar_one()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page or 1, 1), pages)
    entries = list(
        db.session.execute(
            select(AuditEntry)
            .where(*where)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        ).scalars()
    )
    return LogPage(
        entries=entries, page=page, pages=pages, total=total, entity=entity, entity_types=types
    )


def changes(entry: AuditEntry) -> list[Change]:
    """The fields an entry touched, with their values before and after, by field name."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    return [Change(name, before.get(name), after.get(name)) for name in sorted({*before, *after})]


def entity_label(entity: str) -> str:
    """The translated name of an entity type (the stored name when unknown)."""
    return str(ENTITY_LABELS.get(entity, entity))


def action_label(action: str) -> str:
    """The translated name of an action (the stored name when unknown)."""
    return str(ACTION_LABELS.get(action, action))
