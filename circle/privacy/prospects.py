"""Erasing the prospect details (third parties) of referrals, in the rows and their audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select

from circle.core.clock import utcnow
from circle.extensions import db
from circle.models import AuditEntry, Referral

#: The referral columns holding a third party's personal data.
PROSPECT_FIELDS = ("prospect_name", "prospect_phone", "prospect_email")
#: How many ids go into one ``IN (...)`` (SQLite limits bound parameters).
CHUNK = 500


def has_prospect_details():
    """SQL condition: the referral still holds a prospect's name, phone or e-mail."""
    return or_(*(getattr(Referral, name) != "" for name in PROSPECT_FIELDS))


def erase_prospect_details(referrals: Sequence[Referral], now: datetime | None = None) -> int:
    """Blank the prospect fields of ``referrals``, stamp ``prospect_erased_at``, scrub the audit.

    The referral itself stays (giver, receiver, date, status, note). Audit entries of the
    referrals keep their other fields; their prospect values are blanked too, because the
    audit trail must not keep what the retention period removed. Returns how many
    referrals held details.
    """
    now = now or utcnow()
    touched = [r for r in referrals if any(getattr(r, name) for name in PROSPECT_FIELDS)]
    for referral in touched:
        for name in PROSPECT_FIELDS:
            setattr(referral, name, "")
        referral.prospect_erased_at = now
    by_circle: dict[int, list[int]] = {}
    for referral in touched:
        by_circle.setdefault(referral.circle_id, []).append(referral.id)
    for circle_id, ids in by_circle.items():
        for start in range(0, len(ids), CHUNK):
            _scrub_audit(circle_id, ids[start : start + CHUNK])
    db.session.flush()
    return len(touched)


def _scrub_audit(circle_id: int, referral_ids: list[int]) -> None:
    """Blank the prospect values in the audit entries of these referrals."""
    entries = db.session.execute(
        select(AuditEntry).where(
            AuditEntry.circle_id == circle_id,
            AuditEntry.entity == "referral",
            AuditEntry.entity_id.in_(referral_ids),
        )
    ).scalars()
    for entry in entries:
        for side in ("before", "after"):
            values = getattr(entry, side)
            if values and any(values.get(name) for name in PROSPECT_FIELDS):
                # A new dict: JSON columns do not track changes made in place.
                setattr(entry, side, {**values, **{n: "" for n in PROSPECT_FIELDS if n in values}})
