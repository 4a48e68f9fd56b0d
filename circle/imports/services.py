"""Imports of slips: a dry-run preview first, then an all-or-nothing commit.

The rules:

- Only a circle's admins import (``admin_circle``). The CLI is trusted and passes no user.
- Names are matched to the circle's active members whitespace- and case-insensitively
  (``party_key`` on both sides). A name that matches no member becomes an
  ``ExternalParty`` of the circle; two members with the same name make the row an error.
- Every row gets a deterministic ``source_key``: sha256 of circle, format, date, the row's
  normalised content and its occurrence number within the file (rows of our CSV that
  carry a ``key`` column use that key instead). The key is unique per circle in the
  database, so importing the same file twice adds nothing: known keys are skipped and
  counted as ``already_imported``. Rows of our own export whose key names an entry of
  this very circle (``"<circle>:<type>:<id>"``) are recognised as present too.
- Any row error and nothing is written (``ImportRejected``). Mails are never sent.
- One-to-One and CEU rows are kept as ``OtherSlip`` and, where the names match active
  members, also become one-to-ones and education credits (``circle.imports.activity``).
- Writing is bulk: ``insert(Model)`` with lists of dicts in chunks, existing keys looked
  up once per chunk, one audit entry per import (entity ``import``, the ``Import`` id)
  rather than one per slip; imported slips point to their ``Import`` by ``import_id``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from circle.auditlog import record as audit
from circle.circles.access import circle_for_user, lock_circle, owned, require_admin
from circle.core.checks import EARLIEST
from circle.core.clock import utcnow
from circle.core.errors import DomainError, NotFound, ValidationFailed
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
    Import,
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


class ImportRejected(DomainError):
    """The file has row errors: nothing was imported. ``summary`` holds the preview."""

    code = "import_rejected"
    status = 422

    def __init__(self, summary: Summary) -> None:
        message = ngettext(
            "%(num)s row has an error; nothing was imported.",
            "%(num)s rows have errors; nothing was imported.",
            summary.error_count,
        )
        super().__init__(message)
        self.summary = summary
        #: Merged into the API's problem response: errors per row number, and the preview.
        self.extra = {
            "errors": {str(e.row): [e.message] for e in summary.errors},
            "preview": summary.as_dict(),
        }


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


@dataclass
class _Plan:
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


# --- access --------------------------------------------------------------------------


def admin_circle(user: User, circle_id: int) -> tuple[Circle, Membership]:
    """The circle and the user's membership when the user is one of its admins.

    Other circles answer NotFound, plain members Forbidden.
    """
    circle, me = circle_for_user(user, circle_id)
    require_admin(me)
    return circle, me


def imports_of(circle: Circle, limit: int = 20) -> list[Import]:
    """The circle's latest imports, newest first."""
    return list(
        db.session.execute(
            select(Import)
            .where(Import.circle_id == circle.id)
            .order_by(Import.created_at.desc(), Import.id.desc())
            .limit(limit)
        ).scalars()
    )


def import_in(circle: Circle, import_id: int) -> Import:
    """One import of this circle; another circle's id is NotFound."""
    found = owned(Import, circle.id, import_id)
    if found is None:
        raise NotFound(_("Import not found."))
    return found


# --- preview and commit --------------------------------------------------------------


def preview(
    circle: Circle,
    data: bytes,
    *,
    slip_date: date | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Read and check a file without writing anything: what an import would add.

    Raises ``ValidationFailed`` (field ``file`` or ``date``) when the file cannot be
    read at all; row errors are listed in the summary instead.
    """
    return _plan(circle, data, slip_date, progress).summary


def commit(
    circle: Circle,
    actor: User | None,
    data: bytes,
    *,
    filename: str = "",
    slip_date: date | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Import a file: all rows or, on any row error, none (``ImportRejected``).

    Imports of one circle run one at a time (a row lock on the circle on PostgreSQL).
    Rows already imported are skipped. Records an ``Import`` and one audit entry; sends
    no mails. The caller commits (``unit_of_work``).
    """
    lock_circle(circle.id)
    plan = _plan(circle, data, slip_date, progress)
    summary = plan.summary
    if summary.error_count:
        raise ImportRejected(summary)
    record = Import(
        circle_id=circle.id,
        created_by_id=actor.id if actor else None,
        filename=(filename or "")[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        format=plan.parsed.format,
        slip_date=slip_date,
        rows=summary.rows,
        added={},
        created_at=utcnow(),
    )
    db.session.add(record)
    db.session.flush()
    summary.import_id = record.id
    externals = _create_externals(circle, plan)
    _write(circle, actor, record.id, plan, externals, progress)
    activity.write(plan.activity, record.id, actor.id if actor else None)
    counts = summary.as_dict()
    del counts["errors"], counts["error_count"], counts["unmatched_names"]
    record.added = counts
    audit.record(circle.id, "import", record.id, "import", actor, after=counts)
    db.session.flush()
    return summary


# --- planning ------------------------------------------------------------------------


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


def _plan(circle: Circle, data: bytes, slip_date: date | None, progress: Progress | None) -> _Plan:
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
    return _Plan(summary, parsed, new, members, externals, new_externals, refs, planned)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
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
        for chunk in _chunks(keys):
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
        for chunk in _chunks(list(wanted)):
            for entry_id in db.session.execute(
                select(model.id).where(model.circle_id == circle.id, model.id.in_(chunk))
            ).scalars():
                native_rows[wanted[entry_id]] = entry_id
    return present, native_rows


# --- writing -------------------------------------------------------------------------


def _create_externals(circle: Circle, plan: _Plan) -> dict[str, int]:
    """Add the new external parties; return every external party's id by name key."""
    externals = dict(plan.externals)
    if not plan.new_externals:
        return externals
    now = utcnow()
    rows = [
        {"circle_id": circle.id, "name": name, "key": key, "created_at": now}
        for key, name in plan.new_externals.items()
    ]
    for chunk in _chunks(rows):
        db.session.execute(insert(ExternalParty), chunk)
    for chunk in _chunks(list(plan.new_externals)):
        externals.update(
            db.session.execute(
                select(ExternalParty.key, ExternalParty.id).where(
                    ExternalParty.circle_id == circle.id, ExternalParty.key.in_(chunk)
                )
            ).all()
        )
    return externals


def _party(key: str, members: dict[str, int], externals: dict[str, int]) -> tuple:
    """(membership id, external party id) of a name key; (None, None) when it is empty."""
    if not key:
        return None, None
    member = members.get(key)
    if member is not None:
        return member, None
    return None, externals[key]


REFERRAL_COLUMNS = (
    "circle_id",
    "import_id",
    "giver_id",
    "giver_external_id",
    "receiver_id",
    "receiver_external_id",
    "given_on",
    "kind",
    "hotness",
    "sphere",
    "prospect_name",
    "prospect_phone",
    "prospect_email",
    "note",
    "status",
    "created_by_id",
    "created_at",
    "updated_at",
    "voided_at",
    "void_reason",
    "source_key",
)
BUSINESS_COLUMNS = (
    "circle_id",
    "import_id",
    "thanked_id",
    "thanked_external_id",
    "reporter_id",
    "reporter_external_id",
    "referral_id",
    "amount_minor",
    "currency",
    "closed_on",
    "kind",
    "note",
    "created_by_id",
    "created_at",
    "updated_at",
    "voided_at",
    "void_reason",
    "source_key",
)
OTHER_COLUMNS = (
    "circle_id",
    "import_id",
    "slip_type",
    "slip_date",
    "from_name",
    "to_name",
    "quantity",
    "detail",
    "source_key",
)


def _bulk_insert(model, columns: tuple[str, ...], rows: list[tuple], done) -> None:
    """Insert rows (tuples in ``columns`` order) in chunks, calling ``done(n)`` after each.

    PostgreSQL gets one ``COPY ... FROM STDIN`` on the session's own connection (same
    transaction, so still all-or-nothing); other databases ``insert(Model)`` with lists
    of dicts. Either way no ORM object is made per row.
    """
    connection = db.session.connection()
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql" and hasattr(driver, "cursor"):
        statement = f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN"
        with driver.cursor() as cursor:
            if hasattr(cursor, "copy"):  # psycopg 3
                with cursor.copy(statement) as copy:
                    for chunk in _chunks(rows):
                        for row in chunk:
                            copy.write_row(row)
                        done(len(chunk))
                return
    for chunk in _chunks(rows):
        db.session.execute(insert(model), [dict(zip(columns, row, strict=True)) for row in chunk])
        done(len(chunk))


def _write(
    circle: Circle,
    actor: User | None,
    import_id: int,
    plan: _Plan,
    externals: dict[str, int],
    progress: Progress | None,
) -> None:
    """Insert the new rows: referrals first (closed business may link to them)."""
    now = utcnow()
    actor_id = actor.id if actor else None
    members = plan.members
    total = len(plan.new)
    written = 0

    def done(count: int) -> None:
        nonlocal written
        written += count
        if progress:
            progress("write", written, total)

    by_entry: dict[str, list[tuple[SlipRow, str]]] = {REFERRAL: [], CLOSED_BUSINESS: [], OTHER: []}
    for row, key in plan.new:
        by_entry[row.entry].append((row, key))
    cid = circle.id

    referrals = []
    for row, key in by_entry[REFERRAL]:
        giver_id, giver_ext = _party(row.giver_key, members, externals)
        receiver_id, receiver_ext = _party(row.receiver_key, members, externals)
        referrals.append(
            (
                cid,
                import_id,
                giver_id,
                giver_ext,
                receiver_id,
                receiver_ext,
                row.day,
                row.kind,
                row.hotness,
                row.sphere,
                row.prospect_name,
                row.prospect_phone,
                row.prospect_email,
                row.note,
                row.status,
                actor_id,
                now,
                now,
                row.voided_at,
                row.void_reason,
                key,
            )
        )
    _bulk_insert(Referral, REFERRAL_COLUMNS, referrals, done)

    links = _referral_links(circle, plan, by_entry[CLOSED_BUSINESS])
    business = []
    for row, key in by_entry[CLOSED_BUSINESS]:
        thanked_id, thanked_ext = _party(row.giver_key, members, externals)
        reporter_id, reporter_ext = _party(row.receiver_key, members, externals)
        business.append(
            (
                cid,
                import_id,
                thanked_id,
                thanked_ext,
                reporter_id,
                reporter_ext,
                links.get(row.number),
                row.amount_minor,
                circle.currency,
                row.day,
                row.kind,
                row.note,
                actor_id,
                now,
                now,
                row.voided_at,
                row.void_reason,
                key,
            )
        )
    _bulk_insert(ClosedBusiness, BUSINESS_COLUMNS, business, done)

    others = [
        (
            cid,
            import_id,
            row.slip_type,
            row.day,
            row.giver,
            row.receiver,
            row.quantity,
            row.note,
            key,
        )
        for row, key in by_entry[OTHER]
    ]
    _bulk_insert(OtherSlip, OTHER_COLUMNS, others, done)


def _referral_links(
    circle: Circle, plan: _Plan, business: list[tuple[SlipRow, str]]
) -> dict[int, int]:
    """Closed business rows of our CSV that name a referral of the same file: row → id.

    A link is kept only when the referral went from the thanked member to the reporter.
    """
    wanted: dict[int, str] = {}
    links: dict[int, int] = {}
    for row, _key in business:
        target = plan.referral_refs.get(row.referral_ref) if row.referral_ref else None
        if target is None:
            continue
        key, native_id, referral = target
        if (referral.giver_key, referral.receiver_key) != (row.giver_key, row.receiver_key):
            continue
        if native_id is not None:
            links[row.number] = native_id
        elif key is not None:
            wanted[row.number] = key
    ids: dict[str, int] = {}
    for chunk in _chunks(sorted(set(wanted.values()))):
        ids.update(
            db.session.execute(
                select(Referral.source_key, Referral.id).where(
                    Referral.circle_id == circle.id, Referral.source_key.in_(chunk)
                )
            ).all()
        )
    links.update({number: ids[key] for number, key in wanted.items() if key in ids})
    return links
