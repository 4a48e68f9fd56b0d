"""Planning an import: read the file, match names to members, find what is already there.

Nothing is written here; ``circle.imports.writing`` writes what the plan calls new.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY

from circle.core.checks import EARLIEST
from circle.core.errors import ValidationFailed
from circle.core.weeks import today_for
from circle.extensions import db
from circle.imports import activity, parsers
from circle.imports.formats.common import (
    CIRCLE_CSV,
    CLOSED_BUSINESS,
    MAX_LISTED_ERRORS,
    OTHER,
    REFERRAL,
    Parsed,
    Progress,
    RowError,
    SlipRow,
    is_hex_key,
)
from circle.models import (
    Circle,
    ClosedBusiness,
    ExternalParty,
    Membership,
    OtherSlip,
    Referral,
    User,
    party_key,
)

#: Rows per INSERT batch and per look-up of existing keys.
CHUNK = 10_000
_NATIVE_KEY = re.compile(r"^(\d+):(referral|closed_business):(\d+)$")
_TABLES = {REFERRAL: Referral, CLOSED_BUSINESS: ClosedBusiness, OTHER: OtherSlip}


@dataclass
class Summary:
    """What an import holds (preview) or added (commit).

    ``referrals``, ``closed_business`` and ``other_slips`` count the rows that are (or
    would be) added; rows already imported are counted in ``already_imported``.
    ``unmatched_names`` are the names of those rows that match no member (they become
    external parties). ``errors`` lists at most ``MAX_LISTED_ERRORS`` row errors;
    ``error_count`` counts them all.
    """

    format: str
    date: date | None
    rows: int = 0
    referrals: int = 0
    closed_business: int = 0
    other_slips: dict[str, int] = field(default_factory=dict)
    one_to_ones: int = 0
    education_credits: int = 0
    already_imported: int = 0
    unmatched_names: list[str] = field(default_factory=list)
    new_external_parties: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    import_id: int | None = None
    #: Rows kept before whose one-to-one or education credit is added now.
    activity_rows: int = 0

    @property
    def added(self) -> int:
        """How many rows add (or would add) an entry."""
        return (
            self.referrals
            + self.closed_business
            + sum(self.other_slips.values())
            + self.activity_rows
        )

    def as_dict(self) -> dict:
        """The summary as JSON-safe values (the API's preview shape)."""
        return {
            "format": self.format,
            "date": self.date.isoformat() if self.date else None,
            "rows": self.rows,
            "referrals": self.referrals,
            "closed_business": self.closed_business,
            "other_slips": dict(self.other_slips),
            "one_to_ones": self.one_to_ones,
            "education_credits": self.education_credits,
            "already_imported": self.already_imported,
            "unmatched_names": list(self.unmatched_names),
            "new_external_parties": self.new_external_parties,
            "errors": [{"row": e.row, "message": e.message} for e in self.errors],
            "error_count": self.error_count,
            "import_id": self.import_id,
        }

    def as_record(self) -> dict:
        """The summary as kept on an import job (``as_dict`` and what ``from_record``
        needs besides)."""
        return self.as_dict() | {"activity_rows": self.activity_rows}

    @classmethod
    def from_record(cls, record: dict) -> Summary:
        """The summary an import job kept (``as_record``)."""
        day = record.get("date")
        return cls(
            format=record["format"],
            date=date.fromisoformat(day) if day else None,
            rows=record["rows"],
            referrals=record["referrals"],
            closed_business=record["closed_business"],
            other_slips=dict(record["other_slips"]),
            one_to_ones=record["one_to_ones"],
            education_credits=record["education_credits"],
            already_imported=record["already_imported"],
            unmatched_names=list(record["unmatched_names"]),
            new_external_parties=record["new_external_parties"],
            errors=[RowError(e["row"], e["message"]) for e in record["errors"]],
            error_count=record["error_count"],
            import_id=record.get("import_id"),
            activity_rows=record.get("activity_rows", 0),
        )


@dataclass
class Plan:
    """A checked file: its summary and the rows to write with their source keys."""

    summary: Summary
    parsed: Parsed
    new: list[tuple[SlipRow, str]]
    members: dict[str, int]
    externals: dict[str, int]
    new_externals: dict[str, str]
    #: Referral rows of the file by their ``id`` column → (source key or None, native id).
    referral_refs: dict[str, tuple[str | None, int | None, SlipRow]]
    #: One-to-ones and education credits the One-to-One and CEU rows add.
    activity: activity.ActivityPlan


def source_key(circle_id: int, file_format: str, day: date | None, content: str) -> str:
    """The deterministic key of an imported row (sha256 hex)."""
    text = f"{circle_id}\x1e{file_format}\x1e{day.isoformat() if day else ''}\x1e{content}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def native_key(circle_id: int, entry: str, entry_id: int) -> str:
    """The export's key of an entry that was not imported: ``"<circle>:<type>:<id>"``."""
    return f"{circle_id}:{entry}:{entry_id}"


def _row_key(circle: Circle, file_format: str, slip_date: date | None, row: SlipRow) -> str:
    """A row's source key: the CSV's own key when it has one, else from its content."""
    if row.key:
        if is_hex_key(row.key):
            return row.key
        return hashlib.sha256(f"{file_format}\x1e{row.key}".encode()).hexdigest()
    return source_key(circle.id, file_format, slip_date, row.content)


def _check_slip_date(circle: Circle, slip_date: date | None) -> None:
    """The date given for the slips lies between EARLIEST and today in the circle's zone."""
    if slip_date is None:
        return
    if slip_date > today_for(circle):
        raise ValidationFailed(_("The date cannot be in the future."), field="date")
    if slip_date < EARLIEST:
        raise ValidationFailed(
            _("The date cannot be before %(day)s.", day=EARLIEST.isoformat()), field="date"
        )


def _member_index(circle: Circle) -> tuple[dict[str, int], set[str]]:
    """Active members by name key, and the keys two members share (ambiguous)."""
    members: dict[str, int] = {}
    ambiguous: set[str] = set()
    rows = db.session.execute(
        select(Membership.id, User.name)
        .join(User, Membership.user_id == User.id)
        .where(Membership.circle_id == circle.id, Membership.status == "active")
    ).all()
    for membership_id, name in rows:
        key = party_key(name)
        if key in members:
            ambiguous.add(key)
        members[key] = membership_id
    return members, ambiguous


def make_plan(
    circle: Circle, data: bytes, slip_date: date | None, progress: Progress | None
) -> Plan:
    """Read the file, match names, find rows already imported and count what is new."""
    _check_slip_date(circle, slip_date)
    parsed = parsers.parse(
        data,
        currency=circle.currency,
        slip_date=slip_date,
        today=today_for(circle),
        earliest=EARLIEST,
        progress=progress,
    )
    if parsed.format == CIRCLE_CSV:
        slip_date = None  # CSV rows carry their own dates
    summary = Summary(parsed.format, slip_date, rows=parsed.count)
    members, ambiguous = _member_index(circle)
    errors = list(parsed.errors)
    keyed: list[tuple[SlipRow, str]] = []
    for row in parsed.rows:
        if row.entry != OTHER:
            clash = next(
                (
                    name
                    for name, key in ((row.giver, row.giver_key), (row.receiver, row.receiver_key))
                    if key in ambiguous
                ),
                None,
            )
            if clash:
                errors.append(
                    RowError(
                        row.number,
                        _(
                            "%(name)s matches several members; give them distinct names.",
                            name=clash,
                        ),
                    )
                )
                continue
        keyed.append((row, _row_key(circle, parsed.format, slip_date, row)))
    present, native_ids = _already_there(circle, keyed, progress)
    new = [(row, key) for row, key in keyed if key not in present and row.number not in native_ids]
    summary.already_imported = len(keyed) - len(new)
    counts = Counter(row.entry for row, _key in new)
    summary.referrals = counts[REFERRAL]
    summary.closed_business = counts[CLOSED_BUSINESS]
    summary.other_slips = dict(
        sorted(Counter(row.slip_type for row, _key in new if row.entry == OTHER).items())
    )
    planned = activity.plan(circle.id, keyed, {row.number for row, _key in new}, members, ambiguous)
    summary.one_to_ones = len(planned.one_to_ones)
    summary.education_credits = len(planned.credits)
    summary.activity_rows = len(planned.rows_added)
    externals = dict(
        db.session.execute(
            select(ExternalParty.key, ExternalParty.id).where(ExternalParty.circle_id == circle.id)
        ).all()
    )
    unmatched: dict[str, str] = {}
    for row, _key in new:
        if row.entry == OTHER:
            continue
        for name, key in ((row.giver, row.giver_key), (row.receiver, row.receiver_key)):
            if key and key not in members and key not in unmatched:
                unmatched[key] = name
    summary.unmatched_names = sorted(unmatched.values(), key=str.casefold)
    new_externals = {k: v for k, v in unmatched.items() if k not in externals}
    summary.new_external_parties = len(new_externals)
    errors.sort(key=lambda e: e.row)
    summary.error_count = len(errors)
    summary.errors = errors[:MAX_LISTED_ERRORS]
    refs: dict[str, tuple[str | None, int | None, SlipRow]] = {}
    for row, key in keyed:
        if row.entry == REFERRAL and row.file_id:
            refs[row.file_id] = (
                None if row.number in native_ids else key,
                native_ids.get(row.number),
                row,
            )
    return Plan(summary, parsed, new, members, externals, new_externals, refs, planned)


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _among(column, values: list):
    """``column IN values``; on PostgreSQL ``column = ANY(:array)`` (one parameter)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _already_there(
    circle: Circle, keyed: list[tuple[SlipRow, str]], progress: Progress | None
) -> tuple[set[str], dict[int, int]]:
    """Source keys already in the circle, and rows naming an entry of this circle.

    Returns the set of known keys and ``{row number: entry id}`` for rows of our own
    export whose key is ``"<this circle>:<type>:<id>"`` of an existing entry.
    """
    present: set[str] = set()
    native: dict[str, dict[int, int]] = {REFERRAL: {}, CLOSED_BUSINESS: {}}
    by_table: dict[str, list[str]] = {REFERRAL: [], CLOSED_BUSINESS: [], OTHER: []}
    for row, key in keyed:
        by_table[row.entry].append(key)
        match = _NATIVE_KEY.match(row.key) if row.key else None
        if match and int(match.group(1)) == circle.id and match.group(2) == row.entry:
            native[row.entry][int(match.group(3))] = row.number
    done = 0
    for entry, keys in by_table.items():
        model = _TABLES[entry]
        for chunk in chunks(keys):
            present.update(
                db.session.execute(
                    select(model.source_key).where(
                        model.circle_id == circle.id, _among(model.source_key, chunk)
                    )
                ).scalars()
            )
            done += len(chunk)
            if progress:
                progress("check", done, len(keyed))
    native_rows: dict[int, int] = {}
    for entry, wanted in native.items():
        model = _TABLES[entry]
        for chunk in chunks(list(wanted)):
            for entry_id in db.session.execute(
                select(model.id).where(model.circle_id == circle.id, model.id.in_(chunk))
            ).scalars():
                native_rows[wanted[entry_id]] = entry_id
    return present, native_rows
