"""One-to-One and CEU rows of an import become one-to-ones and education credits.

Every such row is still kept as an ``OtherSlip`` (as before); in addition:

- a **One-to-One** row whose From and To both name active members of the circle (matched
  like referrals: whitespace- and case-insensitively; a name two members share matches
  nobody) becomes a ``OneToOne`` of the pair on the slip date. BNI lists a one-to-one
  once per member who reported it, so A→B and B→A on the same day are one meeting: only
  the first is created, and none when the pair's meeting of that day exists already
  (entered by hand, say);
- a **CEU** row whose From names an active member becomes an ``EducationCredit``: the
  topic is the row's Detail (else "CEU (BNI Connect)"), the minutes come from the
  quantity column (``CEU Credits`` / ``Qty if CEU``): a plain number counts credits of
  60 minutes each (``2`` → 120, ``0,5`` → 30; empty → one credit); a number with a unit
  says the time itself (``90 min``, ``1.5 h``, ``2 Std``). A quantity that cannot be read
  or lies outside 1 to 1440 minutes creates no credit;
- rows with names matching no member stay only in ``other_slips``.

The entries carry the row's source key (one per table), so importing the same file
twice adds nothing, and a file imported before this existed adds its one-to-ones and
credits when it is imported again. Voided entries are never recreated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import insert, select

from circle.activity.services import MAX_MINUTES, MAX_TOPIC
from circle.core.clock import utcnow
from circle.extensions import db
from circle.imports.formats.common import OTHER, SlipRow
from circle.models import EducationCredit, OneToOne
from circle.scores.services import MINUTES_PER_CREDIT

DEFAULT_TOPIC = "CEU (BNI Connect)"
_QUANTITY = re.compile(
    r"^(?P<number>\d+(?:[.,]\d+)?)\s*(?P<unit>min(?:uten|utes|\.)?|m|h|hrs?|hours?|std\.?|stunden?)?$",
    re.IGNORECASE,
)


def ceu_minutes(quantity: str) -> int | None:
    """Minutes of a CEU row's quantity: credits of 60 minutes, or a time with its unit."""
    text = (quantity or "").strip()
    if not text:
        return MINUTES_PER_CREDIT
    match = _QUANTITY.match(text)
    if match is None:
        return None
    try:
        number = Decimal(match.group("number").replace(",", "."))
    except InvalidOperation:
        return None
    unit = (match.group("unit") or "").casefold()
    # Credits (no unit) and hours both count 60 minutes each.
    minutes = number if unit.startswith("m") else number * MINUTES_PER_CREDIT
    whole = int(minutes.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return whole if 1 <= whole <= MAX_MINUTES else None


@dataclass
class ActivityPlan:
    """The one-to-ones and education credits an import adds (rows for bulk inserts)."""

    one_to_ones: list[dict] = field(default_factory=list)
    credits: list[dict] = field(default_factory=list)
    #: Row numbers that add an entry here although their slip was kept before.
    rows_added: set[int] = field(default_factory=set)


def _existing_keys(model, circle_id: int, keys: list[str]) -> set[str]:
    """Which of ``keys`` the circle's ``model`` table holds already."""
    found: set[str] = set()
    for start in range(0, len(keys), 10_000):
        chunk = keys[start : start + 10_000]
        found.update(
            db.session.execute(
                select(model.source_key).where(
                    model.circle_id == circle_id, model.source_key.in_(chunk)
                )
            ).scalars()
        )
    return found


def _existing_pairs(circle_id: int, days: set[date]) -> set[tuple[int, int, date]]:
    """The (a, b, day) of the circle's one-to-ones on ``days``."""
    if not days:
        return set()
    rows = db.session.execute(
        select(OneToOne.member_a_id, OneToOne.member_b_id, OneToOne.met_on).where(
            OneToOne.circle_id == circle_id, OneToOne.met_on.in_(sorted(days))
        )
    ).all()
    return {tuple(row) for row in rows}


def plan(
    circle_id: int,
    keyed: list[tuple[SlipRow, str]],
    new_rows: set[int],
    members: dict[str, int],
    ambiguous: set[str],
) -> ActivityPlan:
    """Decide which One-to-One and CEU rows add an entry (nothing is written here).

    ``keyed`` are all valid rows with their source keys, ``new_rows`` the numbers of rows
    whose slip is new, ``members`` the active members by name key.
    """

    def member(key: str) -> int | None:
        """The membership id of a name key, unless it is unknown or ambiguous."""
        return None if not key or key in ambiguous else members.get(key)

    pairs: list[tuple[SlipRow, str, int, int]] = []
    credits: list[tuple[SlipRow, str, int, int]] = []
    for row, key in keyed:
        if row.entry != OTHER:
            continue
        if row.slip_type == "One-to-One":
            a, b = member(row.giver_key), member(row.receiver_key)
            if a is not None and b is not None and a != b:
                pairs.append((row, key, min(a, b), max(a, b)))
        elif row.slip_type == "CEU":
            giver = member(row.giver_key)
            minutes = ceu_minutes(row.quantity)
            if giver is not None and minutes is not None:
                credits.append((row, key, giver, minutes))
    result = ActivityPlan()
    now = utcnow()
    known = _existing_keys(OneToOne, circle_id, [key for _r, key, _a, _b in pairs])
    taken = _existing_pairs(circle_id, {row.day for row, _k, _a, _b in pairs})
    for row, key, a, b in pairs:
        if key in known or (a, b, row.day) in taken:
            continue
        taken.add((a, b, row.day))
        result.one_to_ones.append(
            {
                "circle_id": circle_id,
                "member_a_id": a,
                "member_b_id": b,
                "met_on": row.day,
                "note": row.note,
                "created_at": now,
                "source_key": key,
            }
        )
        if row.number not in new_rows:
            result.rows_added.add(row.number)
    known = _existing_keys(EducationCredit, circle_id, [key for _r, key, _m, _n in credits])
    for row, key, member_id, minutes in credits:
        if key in known:
            continue
        result.credits.append(
            {
                "circle_id": circle_id,
                "membership_id": member_id,
                "topic": (row.note or DEFAULT_TOPIC)[:MAX_TOPIC],
                "minutes": minutes,
                "completed_on": row.day,
                "created_at": now,
                "source_key": key,
            }
        )
        if row.number not in new_rows:
            result.rows_added.add(row.number)
    return result


def write(activity: ActivityPlan, import_id: int, actor_id: int | None) -> None:
    """Insert the planned one-to-ones and education credits of an import."""
    for model, rows in ((OneToOne, activity.one_to_ones), (EducationCredit, activity.credits)):
        for start in range(0, len(rows), 10_000):
            chunk = [
                {**row, "import_id": import_id, "created_by_id": actor_id}
                for row in rows[start : start + 10_000]
            ]
            db.session.execute(insert(model), chunk)
