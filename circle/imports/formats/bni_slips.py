"""BNI Connect's "Slips Audit Report": one slip per row below a header found by name.

The report comes as SpreadsheetML (``.xls``) or as CSV; metadata rows may stand above
the header; columns are found by name (``TYFCB Amount`` or ``$ if TYFCB``, ``CEU Credits``
or ``Qty if CEU``). The file has no dates: every slip gets the date the user gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from operator import itemgetter

from flask_babel import gettext as _

from circle.core.errors import ValidationFailed
from circle.core.money import minor_units, parse_plain_amount
from circle.imports.formats.common import (
    BNI_SLIPS,
    CLOSED_BUSINESS,
    MAX_DETAIL,
    OTHER,
    PROGRESS_EVERY,
    REFERRAL,
    Context,
    Parsed,
    RowError,
    RowRefused,
    SlipRow,
    checked_name,
    header_name,
)
from circle.models import party_key

_SLIP_TYPES = {
    "referral": "Referral",
    "referrals": "Referral",
    "tyfcb": "TYFCB",
    "onetoone": "One-to-One",
    "onetoones": "One-to-One",
    "121": "One-to-One",
    "ceu": "CEU",
    "ceus": "CEU",
    "visitor": "Visitor",
    "visitors": "Visitor",
}
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_GROUPED = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_SIMPLE_AMOUNT = re.compile(r"^\$?((?:\d{1,3}(?:,\d{3})+)|\d+)(?:\.(\d+))?$")
_SCIENTIFIC = re.compile(r"^\d+(?:\.\d+)?[eE][+-]?\d+$")
_CURRENCY_MARKS = re.compile(r"^(?:[$€£]|[A-Z]{3})\s*|\s*(?:[$€£]|[A-Z]{3})$")


def bni_columns(names: list[str]) -> dict[str, int] | None:
    """Map a header row's columns by name; None unless From, To and Slip Type are there."""
    columns: dict[str, int] = {}
    for position, name in enumerate(names):
        if name == "from":
            columns.setdefault("from", position)
        elif name == "to":
            columns.setdefault("to", position)
        elif name in ("slip type", "type"):
            columns.setdefault("type", position)
        elif name in ("inside/outside", "inside / outside", "tier"):
            columns.setdefault("tier", position)
        elif "tyfcb" in name or name == "amount":
            columns.setdefault("amount", position)
        elif "ceu" in name:
            columns.setdefault("ceu", position)
        elif name in ("detail", "details"):
            columns.setdefault("detail", position)
    if {"from", "to", "type"} <= columns.keys():
        return columns
    return None


class _BniRows:
    """Turns the cells of a report's rows into slips; remembers what it already normalised.

    A report names the same 40 people and the same few slip types over and over, so
    names, slip types and tiers are normalised once per distinct text.
    """

    def __init__(self, columns: dict[str, int], context: Context) -> None:
        self.context = context
        self.day = context.slip_date or context.earliest
        self.digits = minor_units(context.currency)
        self.names: dict[str, tuple[str, str]] = {}
        self.types: dict[str, str | None] = {}
        self.tiers: dict[str, str | None] = {}
        order = ("from", "to", "type", "tier", "amount", "ceu", "detail")
        # Missing columns read the cell just past the widest known one: always padded "".
        self.width = max(columns.values()) + 2
        self.pick = itemgetter(*(columns.get(name, self.width - 1) for name in order))

    def name(self, text: str, label: str) -> tuple[str, str]:
        """(display name, key) of a cell, whitespace collapsed; at most MAX_NAME characters."""
        known = self.names.get(text)
        if known is None:
            display = checked_name(text, label)
            known = self.names[text] = (display, party_key(display))
        return known

    def row(self, number: int, cells: list[str]) -> SlipRow:
        """One slip, or ``RowRefused``."""
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        raw_from, raw_to, raw_type, raw_tier, raw_amount, raw_ceu, raw_detail = map(
            str.strip, self.pick(cells)
        )
        slip_type = self.types.get(raw_type, "")
        if slip_type == "":
            slip_type = self.types[raw_type] = _SLIP_TYPES.get(
                _NOT_WORD.sub("", raw_type.casefold())
            )
        if slip_type is None:
            if not raw_type:
                raise RowRefused(_("The slip type is empty."))
            raise RowRefused(
                _(
                    "Unknown slip type %(type)s (expected Referral, TYFCB, One-to-One, CEU or "
                    "Visitor).",
                    type=raw_type,
                )
            )
        giver, giver_key = self.name(raw_from, "From")
        receiver, receiver_key = self.name(raw_to, "To")
        detail = " ".join(raw_detail.split()) if raw_detail else ""
        if len(detail) > MAX_DETAIL:
            raise RowRefused(
                _("%(column)s is longer than %(n)s characters.", column="Detail", n=MAX_DETAIL)
            )
        if slip_type == "Referral":
            return self.referral(number, giver, giver_key, receiver, receiver_key, raw_tier, detail)
        if slip_type == "TYFCB":
            if not receiver:
                raise RowRefused(_("A TYFCB row needs the member thanked in To."))
            if giver_key and giver_key == receiver_key:
                raise RowRefused(_("A member cannot thank themselves."))
            if not raw_amount:
                raise RowRefused(_("A TYFCB row needs an amount."))
            amount = _fast_amount(raw_amount, self.digits) or bni_amount(
                raw_amount, self.context.currency
            )
            content = f"TYFCB\x1f{giver_key}\x1f{receiver_key}\x1f{amount}\x1f{detail.casefold()}"
            # BNI's From on a TYFCB row (rarely filled) is the reporter: the one who earned it.
            return SlipRow(
                number,
                CLOSED_BUSINESS,
                self.day,
                content,
                giver=receiver,
                receiver=giver,
                giver_key=receiver_key,
                receiver_key=giver_key,
                kind="new",
                amount_minor=amount,
                note=detail,
            )
        quantity = raw_ceu[:32]
        content = (
            f"{slip_type}\x1f{giver_key}\x1f{receiver_key}\x1f{quantity}\x1f{detail.casefold()}"
        )
        return SlipRow(
            number,
            OTHER,
            self.day,
            content,
            giver,
            receiver,
            giver_key=giver_key,
            receiver_key=receiver_key,
            slip_type=slip_type,
            quantity=quantity,
            note=detail,
        )

    def referral(
        self,
        number: int,
        giver: str,
        giver_key: str,
        receiver: str,
        receiver_key: str,
        raw_tier: str,
        detail: str,
    ) -> SlipRow:
        """A referral slip, or ``RowRefused``."""
        if not giver or not receiver:
            raise RowRefused(_("A referral needs both From and To."))
        if giver_key == receiver_key:
            raise RowRefused(_("A member cannot refer business to themselves."))
        tier = self.tiers.get(raw_tier, "")
        if tier == "":
            tier = self.tiers[raw_tier] = _tier(raw_tier)
        if tier is None:
            raise RowRefused(
                _(
                    'Inside/Outside must be "Tier 1 (inside)" or "Tier 2 (outside)", not '
                    '"%(value)s".',
                    value=raw_tier,
                )
            )
        content = f"Referral\x1f{giver_key}\x1f{receiver_key}\x1f{tier}\x1f{detail.casefold()}"
        return SlipRow(
            number,
            REFERRAL,
            self.day,
            content,
            giver,
            receiver,
            giver_key=giver_key,
            receiver_key=receiver_key,
            kind=tier,
            note=detail,
        )


def read_bni(rows: Iterable[tuple[int, list[str]] | None], context: Context) -> Parsed:
    """Read a slips audit report: find the header, then one slip per non-empty row."""
    parsed = Parsed(BNI_SLIPS)
    reader = None
    header_seen_in_sheet = False
    occurrences: dict[str, int] = {}
    append = parsed.rows.append
    for item in rows:
        if item is None:  # end of a worksheet
            if header_seen_in_sheet:
                break
            continue
        number, cells = item
        if reader is None:
            columns = bni_columns([header_name(c) for c in cells])
            if columns is not None:
                reader = _BniRows(columns, context)
                header_seen_in_sheet = True
            continue
        if not any(cells) or not any(c.strip() for c in cells):
            continue
        parsed.count += 1
        try:
            row = reader.row(number, cells)
        except RowRefused as refusal:
            parsed.errors.append(RowError(number, refusal.message))
        else:
            seen = occurrences.get(row.content, 0)
            occurrences[row.content] = seen + 1
            row.content = f"{row.content}\x1f{seen}"
            append(row)
        if context.progress and parsed.count % PROGRESS_EVERY == 0:
            context.progress("read", parsed.count, None)
    if reader is None:
        raise ValidationFailed(
            _("No header row with the columns From, To and Slip Type was found."), field="file"
        )
    if context.slip_date is None:
        raise ValidationFailed(
            _("BNI slips carry no date: give the day the slips are dated."), field="date"
        )
    return parsed


def _tier(text: str) -> str | None:
    """``Tier 1 (inside)`` → inside, ``Tier 2 (outside)`` → outside, else None."""
    value = text.casefold()
    if "outside" in value or value.replace(" ", "").startswith("tier2"):
        return "outside"
    if "inside" in value or value.replace(" ", "").startswith("tier1"):
        return "inside"
    return None


def _fast_amount(text: str, digits: int) -> int | None:
    """Minor units of a common amount (``$1,200.00``, ``1200``, ``5.5``), exact integers.

    None for anything unusual: ``bni_amount`` then decides (and words its refusal).
    """
    match = _SIMPLE_AMOUNT.match(text)
    if match is None:
        return None
    whole, fraction = match.group(1).replace(",", ""), match.group(2) or ""
    if len(fraction) > digits or len(whole) > 9:
        return None
    value = int(whole) * 10**digits + (int(fraction.ljust(digits, "0")) if digits else 0)
    return value or None


def bni_amount(text: str, currency: str) -> int:
    """An amount from a BNI file in minor units: ``1200``, ``1,200.00``, ``$1,200.00``.

    Exact (Decimal, never float); zero, negative and non-numbers are refused.
    """
    cleaned = _CURRENCY_MARKS.sub("", text.strip().replace("\u00a0", " ")).replace(" ", "")
    if cleaned.startswith(("-", "(")) or cleaned.endswith("-"):
        raise RowRefused(_("The amount must be greater than zero."))
    if _SCIENTIFIC.match(cleaned):
        try:
            value = Decimal(cleaned)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            value = Decimal(0)
        if not -12 <= value.adjusted() <= 12:  # no huge strings from 1e999999
            raise RowRefused(_("%(text)s is not an amount.", text=text.strip()))
        cleaned = format(value, "f")
    if not _GROUPED.match(cleaned):
        raise RowRefused(_("%(text)s is not an amount.", text=text.strip()))
    try:
        return parse_plain_amount(cleaned.replace(",", ""), currency)
    except ValidationFailed as error:
        raise RowRefused(error.message) from None
