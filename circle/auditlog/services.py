"""Reading a circle's audit trail page by page, newest first, filtered by entity type.

Pages are keyset pages (``circle.core.paging``): a link carries the ``(created_at, id)``
of the entry where the reader left off, so a page costs the same at any length of the
trail, and nothing counts or scans the whole trail.

The log follows the visibility rules of the pages it records (``visible_changes``): a
referral's prospect details (third parties' personal data) and note only for those who
may see the slip (``circle.referrals.services.can_see_referral``); a closed business's
amount and note only for those who may see other members' amounts
(``circle.roles.permissions.sees_amounts``) or that business; a dues payment's amount only for
``manage_dues`` or the member who paid; a visitor's e-mail and phone only for
``manage_visitors``. Everyone else reads the field as hidden, its values are not sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import lazyload

from circle.auditlog.history import Change, changes
from circle.core.paging import (
    Keyset,
    KeysetPage,
    Position,
    keyset_bound,
    keyset_page,
)
from circle.extensions import Labels, db
from circle.models import AuditEntry, ClosedBusiness, Membership, Payment, Referral
from circle.privacy.prospects import PROSPECT_FIELDS
from circle.referrals.reading import can_see_business, can_see_referral
from circle.roles.permissions import can, sees_amounts

#: Entries shown per page.
PER_PAGE = 40

#: Names of the entity types for the filter and the table (unknown types show as stored).
ENTITY_LABELS = {
    "attendance": _l("Attendance"),
    "circle": _l("Circle settings"),
    "closed_business": _l("Closed business"),
    "dues_plan": _l("Dues plan"),
    "education_credit": _l("Education credit"),
    "import": _l("Import"),
    "meeting": _l("Meeting"),
    "meeting_reply": _l("Reply to a meeting"),
    "membership": _l("Membership"),
    "one_to_one": _l("One-to-one"),
    "payment": _l("Payment"),
    "referral": _l("Referral"),
    "role": _l("Role"),
    "user": _l("Account"),
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


#: Per entity type, the fields that only some readers of the log may see.
SENSITIVE_FIELDS = {
    "referral": frozenset({*PROSPECT_FIELDS, "note"}),
    "closed_business": frozenset({"amount_minor", "note"}),
    "payment": frozenset({"amount_minor", "reference", "note"}),
    "visitor": frozenset({"email", "phone"}),
}


@dataclass(frozen=True)
class LogPage:
    """One page of a circle's audit log, filtered by ``entity`` (None: every type)."""

    page: KeysetPage[AuditEntry]
    entity: str | None

    @property
    def entries(self) -> list[AuditEntry]:
        """The page's entries, newest first."""
        return self.page.items


def entity_types() -> list[str]:
    """The entity types the filter offers, by their translated name: those the code
    records (``ENTITY_LABELS``), not a scan of the trail."""
    return sorted(ENTITY_LABELS, key=lambda name: entity_label(name).casefold())


def log_page(circle_id: int, entity: str | None, asked: Keyset) -> LogPage:
    """The circle's entries, newest first, one keyset page (``PER_PAGE``) at ``asked``.

    An ``entity`` the log does not know filters nothing out. One statement, served by the
    indexes on ``(circle_id, created_at, id)`` and ``(circle_id, entity, created_at, id)``.
    """
    if entity not in ENTITY_LABELS:
        entity = None
    values = {"log_circle": circle_id, **asked.bound()}
    if entity is not None:
        values["log_entity"] = entity
    statement = _log_page_statement(asked.way, entity is not None)
    rows = db.session.execute(statement, values).scalars().all()
    return LogPage(keyset_page(rows, _position, asked, PER_PAGE), entity)


@cache
def _log_page_statement(way: str, of_entity: bool) -> Select:
    """The statement of ``log_page`` for the pages read ``way``, of one entity type or of
    all (built once each)."""
    query = select(AuditEntry).where(AuditEntry.circle_id == bindparam("log_circle"))
    if of_entity:
        query = query.where(AuditEntry.entity == bindparam("log_entity"))
    return keyset_bound(query, AuditEntry.created_at, AuditEntry.id, way, PER_PAGE)


def _position(entry: AuditEntry) -> Position:
    """An entry's place in the log."""
    return Position(entry.created_at, entry.id)


def visible_changes(entries: list[AuditEntry], actor: Membership) -> dict[int, list[Change]]:
    """Each entry's changes (by entry id) as ``actor`` may see them; see the module doc."""
    shown = _sensitive_shown(entries, actor)
    out: dict[int, list[Change]] = {}
    for entry in entries:
        secret = SENSITIVE_FIELDS.get(entry.entity, frozenset())
        out[entry.id] = [
            Change(change.field, None, None, hidden=True)
            if change.field in secret and entry.id not in shown
            else change
            for change in changes(entry)
        ]
    return out


def _sensitive_shown(entries: list[AuditEntry], actor: Membership) -> set[int]:
    """Ids of the entries whose sensitive fields ``actor`` may see (one query per type,
    none for a type whose every entry the actor may see)."""
    wanted: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        if entry.entity in SENSITIVE_FIELDS:
            wanted.setdefault(entry.entity, []).append(entry)
    shown = set()
    visitors = wanted.pop("visitor", [])
    if can(actor, "manage_visitors"):
        shown.update(entry.id for entry in visitors)
    checks = {
        "referral": (Referral, can_see_referral),
        "closed_business": (ClosedBusiness, _may_see_business),
        "payment": (Payment, _may_see_payment),
    }
    for entity, found in wanted.items():
        model, may_see = checks[entity]
        if may_see(actor, model()):
            # Whoever may see an entry that names nobody may see them all (an admin, the
            # dues team): no need to read the entries.
            shown.update(entry.id for entry in found)
            continue
        rows = db.session.execute(
            select(model)
            .options(lazyload("*"))
            .where(
                model.circle_id == actor.circle_id,
                model.id.in_({entry.entity_id for entry in found}),
            )
        ).scalars()
        visible = {row.id for row in rows if may_see(actor, row)}
        shown.update(entry.id for entry in found if entry.entity_id in visible)
    return shown


def _may_see_business(actor: Membership, business: ClosedBusiness) -> bool:
    """Other members' amounts (``sees_amounts``), or a business the actor took part in."""
    return sees_amounts(actor) or can_see_business(actor, business)


def _may_see_payment(actor: Membership, payment: Payment) -> bool:
    """The dues team (``manage_dues``), or the member who paid."""
    return can(actor, "manage_dues") or payment.membership_id == actor.id


_ENTITY_NAMES = Labels(lambda: ENTITY_LABELS)
_ACTION_NAMES = Labels(lambda: ACTION_LABELS)


def entity_label(entity: str) -> str:
    """The translated name of an entity type (the stored name when unknown)."""
    return _ENTITY_NAMES(entity)


def action_label(action: str) -> str:
    """The translated name of an action (the stored name when unknown)."""
    return _ACTION_NAMES(action)
