"""The history of one slip as shown: its audit entries with names, dates and amounts.

The rows come from the one audit-history presenter (``circle.auditlog.history``); this
module holds what only slips know: the labels of their fields and how a value reads.
"""

from __future__ import annotations

from flask_babel import gettext as _

from circle.auditlog import record as audit
from circle.auditlog.history import HistoryRow, history_rows, member_ids
from circle.circles.access import members_by_id
from circle.core.money import format_money
from circle.models import Circle
from circle.referrals import reading
from circle.referrals.forms import (
    business_kind_choices,
    hotness_choices,
    kind_choices,
    sphere_choices,
)
from circle.referrals.views.common import label_of, parse_day
from circle.web.boundary import ui_locale
from circle.web.i18n import format_date

MEMBER_FIELDS = ("giver_id", "receiver_id", "thanked_id", "reporter_id")


def _field_labels() -> dict[str, str]:
    """Translated names of the audited fields."""
    return {
        "giver_id": _("Giver"),
        "receiver_id": _("Receiver"),
        "thanked_id": _("Thanked"),
        "reporter_id": _("Reported by"),
        "given_on": _("Date"),
        "closed_on": _("Date"),
        "kind": _("Kind"),
        "hotness": _("Hotness"),
        "sphere": _("Sphere"),
        "prospect_name": _("Contact name"),
        "prospect_phone": _("Contact phone"),
        "prospect_email": _("Contact e-mail"),
        "note": _("Note"),
        "status": _("Status"),
        "referral_id": _("For referral"),
        "amount_minor": _("Amount"),
        "currency": _("Currency"),
        "void_reason": _("Reason"),
    }


def _action_labels() -> dict[str, str]:
    """Translated names of the audit actions."""
    return {
        "create": _("entered"),
        "edit": _("corrected"),
        "status": _("status changed"),
        "void": _("voided"),
        "import": _("imported"),
        "correct": _("corrected after the week was locked"),
    }


def slip_history(circle: Circle, entity: str, entity_id: int) -> list[HistoryRow]:
    """The audit entries of one slip, with names, dates and amounts made readable."""
    entries = audit.history(circle.id, entity, entity_id)
    # The slip's people are read already (the slip's joined load, the roster): no statement.
    members = members_by_id(circle.id, member_ids(entries, MEMBER_FIELDS))
    names = {i: m.user.name for i, m in members.items()}

    def shown(entry, name: str, value) -> str:
        before, after = entry.before or {}, entry.after or {}
        currency = after.get("currency") or before.get("currency") or circle.currency
        return _shown(name, value, names, currency)

    return history_rows(entries, _field_labels(), _action_labels(), shown)


def _shown(name: str, value, names: dict[int, str], currency: str) -> str:
    """One audited value as text for the history."""
    if value is None or value == "":
        return ""
    if name in MEMBER_FIELDS:
        return names.get(value, "#" + str(value))
    if name in ("given_on", "closed_on"):
        day = parse_day(str(value))
        return format_date(day, "medium") if day else str(value)
    if name == "amount_minor":
        return format_money(int(value), currency, ui_locale())
    if name == "status":
        return reading.status_label(value)
    if name == "kind":
        return label_of(kind_choices() + business_kind_choices(), value)
    if name == "hotness":
        return label_of(hotness_choices(), value)
    if name == "sphere":
        return label_of(sphere_choices(), value)
    if name == "referral_id":
        return "#" + str(value)
    return str(value)
