"""The audit-history presenter: what an audit entry changed, before and after.

One home for every history view: the circle's audit log reads an entry's raw changes
(``changes``, hidden fields masked by ``circle.auditlog.services.visible_changes``); a
slip's history page shows the same changes labelled and as readable text
(``history_rows`` with the slip's labels and value formatter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from circle.models import AuditEntry


@dataclass(frozen=True)
class Change:
    """One field an entry touched: its value before and after (None when absent).

    ``hidden``: the reader may not see this field; before and after are then None.
    ``label``: the field's translated name where a history view shows labels.
    """

    field: str
    before: Any
    after: Any
    hidden: bool = False
    label: str = ""


@dataclass
class HistoryRow:
    """One audit entry as shown: who, when, what, and the changed fields as text."""

    actor: str
    at: datetime
    action: str
    changes: list[Change] = field(default_factory=list)


def changes(entry: AuditEntry) -> list[Change]:
    """The fields an entry touched, with their values before and after, by field name."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    return [Change(name, before.get(name), after.get(name)) for name in sorted({*before, *after})]


def history_rows(
    entries: Iterable[AuditEntry],
    labels: Mapping[str, str],
    actions: Mapping[str, str],
    shown: Callable[[AuditEntry, str, Any], str],
) -> list[HistoryRow]:
    """Entries as rows to show: the fields named in ``labels`` (in their order) as text.

    ``shown(entry, field, value)`` turns one value into text ("" for nothing). A field a
    creation left empty is not listed; actions without a label show as stored.
    """
    rows = []
    for entry in entries:
        touched = {change.field: change for change in changes(entry)}
        listed = []
        for name, label in labels.items():
            change = touched.get(name)
            if change is None:
                continue
            before, after = shown(entry, name, change.before), shown(entry, name, change.after)
            if entry.action == "create" and not after:
                continue
            listed.append(Change(name, before, after, label=label))
        rows.append(
            HistoryRow(
                actor=entry.actor.name if entry.actor else _("unknown"),
                at=entry.created_at,
                action=actions.get(entry.action, entry.action),
                changes=listed,
            )
        )
    return rows


def member_ids(entries: Iterable[AuditEntry], fields: Iterable[str]) -> set[int]:
    """The member ids the entries name in ``fields``, before or after (to look up names)."""
    wanted = tuple(fields)
    ids: set[int] = set()
    for entry in entries:
        for values in (entry.before, entry.after):
            if isinstance(values, dict):
                ids.update(values[name] for name in wanted if isinstance(values.get(name), int))
    return ids
