"""Our own CSV, as ``circle.imports.export`` writes it: each row carries its own date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from flask_babel import gettext as _

from circle.core.checks import MAX_REASON
from circle.core.csv_export import unguard
from circle.core.errors import ValidationFailed
from circle.core.money import parse_plain_amount
from circle.imports.formats.common import (
    CIRCLE_CSV,
    CLOSED_BUSINESS,
    CSV_COLUMNS,
    MAX_NOTE,
    PROGRESS_EVERY,
    REFERRAL,
    Context,
    Parsed,
    RowError,
    RowRefused,
    SlipRow,
    cell,
    checked_name,
)
from circle.models import BUSINESS_KINDS, REFERRAL_KINDS, REFERRAL_STATUSES, SPHERES, party_key


def read_circle_csv(
    header_line: int,
    names: list[str],
    rows: Iterator[tuple[int, list[str]]],
    context: Context,
) -> Parsed:
    """Read our CSV (the export's columns; unknown columns are ignored)."""
    columns = {name: names.index(name) for name in CSV_COLUMNS if name in names}
    missing = [name for name in ("type", "date", "giver", "receiver") if name not in columns]
    if missing:
        raise ValidationFailed(
            _("The CSV file lacks the columns: %(columns)s.", columns=", ".join(missing)),
            field="file",
        )
    parsed = Parsed(CIRCLE_CSV)
    occurrences: dict[str, int] = {}
    keys: set[str] = set()
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        parsed.count += 1
        try:
            row = _csv_row(number, cells, columns, context)
            if row.key:
                if row.key in keys:
                    raise RowRefused(_("The key %(key)s appears twice.", key=row.key))
                keys.add(row.key)
        except RowRefused as refusal:
            parsed.errors.append(RowError(number, refusal.message))
        else:
            seen = occurrences.get(row.content, 0)
            occurrences[row.content] = seen + 1
            row.content = f"{row.content}\x1f{seen}"
            parsed.rows.append(row)
        if context.progress and parsed.count % PROGRESS_EVERY == 0:
            context.progress("read", parsed.count, None)
    return parsed


def _text(cells: list[str], columns: dict[str, int], name: str, limit: int) -> str:
    """A free-text cell (unescaped, trimmed), refused when longer than ``limit``."""
    value = unguard(cell(cells, columns, name))
    if len(value) > limit:
        raise RowRefused(_("%(column)s is longer than %(n)s characters.", column=name, n=limit))
    if "\x00" in value:
        raise RowRefused(_("%(column)s contains characters that are not allowed.", column=name))
    return value


def _csv_date(text: str, context: Context) -> date:
    """A row's ISO date (the given date when empty), within the allowed range."""
    if not text:
        if context.slip_date is None:
            raise RowRefused(_("The date is empty."))
        return context.slip_date
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise RowRefused(_("%(text)s is not a date (YYYY-MM-DD).", text=text)) from None
    if day > context.today:
        raise RowRefused(_("The date cannot be in the future."))
    if day < context.earliest:
        raise RowRefused(_("The date cannot be before %(day)s.", day=context.earliest.isoformat()))
    return day


def _csv_void(cells: list[str], columns: dict[str, int]) -> tuple[datetime | None, str | None]:
    """The void time and reason of a row (both or neither)."""
    raw = cell(cells, columns, "voided_at")
    reason = _text(cells, columns, "void_reason", MAX_REASON)
    if not raw and not reason:
        return None, None
    if not raw or not reason:
        raise RowRefused(_("A voided entry needs both voided_at and void_reason."))
    try:
        voided_at = datetime.fromisoformat(raw)
    except ValueError:
        raise RowRefused(_("%(text)s is not a time (ISO 8601).", text=raw)) from None
    if voided_at.tzinfo is None:
        raise RowRefused(_("%(text)s needs a time zone, e.g. +00:00.", text=raw))
    return voided_at, reason


def _csv_row(number: int, cells: list[str], columns: dict[str, int], context: Context) -> SlipRow:
    """One row of our CSV, or ``RowRefused``."""
    entry = cell(cells, columns, "type").casefold()
    if entry not in (REFERRAL, CLOSED_BUSINESS):
        raise RowRefused(
            _(
                "Unknown type %(type)s (expected referral or closed_business).",
                type=cell(cells, columns, "type"),
            )
        )
    day = _csv_date(cell(cells, columns, "date"), context)
    giver = checked_name(unguard(cell(cells, columns, "giver")), "giver")
    receiver = checked_name(unguard(cell(cells, columns, "receiver")), "receiver")
    kind = cell(cells, columns, "kind").casefold()
    note = _text(cells, columns, "note", MAX_NOTE)
    voided_at, void_reason = _csv_void(cells, columns)
    key = cell(cells, columns, "key")
    if len(key) > 200:
        raise RowRefused(_("%(column)s is longer than %(n)s characters.", column="key", n=200))
    row = SlipRow(
        number,
        entry,
        day,
        "",
        giver,
        receiver,
        giver_key=party_key(giver),
        receiver_key=party_key(receiver),
        note=note,
        voided_at=voided_at,
        void_reason=void_reason,
        key=key,
        file_id=cell(cells, columns, "id"),
    )
    if entry == REFERRAL:
        _csv_referral(row, cells, columns, kind)
    else:
        _csv_business(row, cells, columns, kind, context)
    row.content = "\x1f".join(
        str(v)
        for v in (
            entry,
            day.isoformat(),
            row.giver_key,
            row.receiver_key,
            row.kind,
            row.hotness or "",
            row.sphere or "",
            row.status,
            row.amount_minor,
            row.prospect_name,
            row.prospect_phone,
            row.prospect_email,
            note,
            voided_at.isoformat() if voided_at else "",
            void_reason or "",
        )
    )
    return row


def _csv_referral(row: SlipRow, cells: list[str], columns: dict[str, int], kind: str) -> None:
    """Fill in and check the referral columns of a CSV row."""
    if not row.giver or not row.receiver:
        raise RowRefused(_("A referral needs both giver and receiver."))
    if party_key(row.giver) == party_key(row.receiver):
        raise RowRefused(_("A member cannot refer business to themselves."))
    if kind not in REFERRAL_KINDS:
        raise RowRefused(_("kind must be inside or outside."))
    row.kind = kind
    hotness = cell(cells, columns, "hotness")
    if hotness:
        if not hotness.isdigit() or not 1 <= int(hotness) <= 5:
            raise RowRefused(_("Hotness is a number from 1 to 5."))
        row.hotness = int(hotness)
    sphere = cell(cells, columns, "sphere").casefold()
    if sphere and sphere not in SPHERES:
        raise RowRefused(_("Unknown referral sphere."))
    row.sphere = sphere or None
    status = cell(cells, columns, "status").casefold() or "new"
    if status not in REFERRAL_STATUSES:
        raise RowRefused(_("Unknown status."))
    row.status = status
    row.prospect_name = _text(cells, columns, "prospect_name", 200)
    row.prospect_phone = _text(cells, columns, "prospect_phone", 50)
    row.prospect_email = _text(cells, columns, "prospect_email", 254)


def _csv_business(
    row: SlipRow, cells: list[str], columns: dict[str, int], kind: str, context: Context
) -> None:
    """Fill in and check the closed-business columns of a CSV row."""
    if not row.giver:
        raise RowRefused(_("Closed business needs the member thanked (giver)."))
    if row.receiver and party_key(row.giver) == party_key(row.receiver):
        raise RowRefused(_("A member cannot thank themselves."))
    if kind not in BUSINESS_KINDS:
        raise RowRefused(_("kind must be new or repeat."))
    row.kind = kind
    currency = cell(cells, columns, "currency").upper()
    if currency and currency != context.currency:
        raise RowRefused(
            _(
                "The amount is in %(currency)s, but this circle keeps %(circle)s.",
                currency=currency,
                circle=context.currency,
            )
        )
    try:
        row.amount_minor = parse_plain_amount(cell(cells, columns, "amount"), context.currency)
    except ValidationFailed as error:
        raise RowRefused(error.message) from None
    row.referral_ref = cell(cells, columns, "referral_id")
