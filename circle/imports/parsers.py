"""Reading import files into slip rows: our own CSV and BNI Connect's Slips Audit Report.

Two formats are recognised from the file's content, not its name:

- ``circle_csv``: the CSV that ``circle.imports.export`` writes (UTF-8, a header with
  ``type`` and ``date``; ``,`` ``;`` or tab separated). Each row carries its own date.
- ``bni_slips``: BNI Connect's "Slips Audit Report", an Excel 2003 XML spreadsheet
  (SpreadsheetML, saved as ``.xls``) or the same table as CSV. Metadata rows may stand
  above the header; columns are found by name (``TYFCB Amount`` or ``$ if TYFCB``,
  ``CEU Credits`` or ``Qty if CEU``). The file has no dates: every slip gets the date
  the user gives.

XML is read with defusedxml's SAX parser (expat, streamed): DTDs, entity declarations
and external references are refused, so a "billion laughs" file fails at once instead of
expanding and nothing is ever fetched. Amounts are parsed exactly (Decimal via
``circle.core.money``), never as floats. Nothing here touches the database: the result is a
list of ``SlipRow`` and a list of ``RowError`` (row numbers as the user sees them).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.sax import SAXParseException  # classes only: defusedxml parses  # nosec B406
from xml.sax.handler import ContentHandler  # classes only: defusedxml parses  # nosec B406

from defusedxml import DefusedXmlException
from defusedxml.expatreader import create_parser
from flask_babel import gettext as _

from circle.core.csv_export import unguard
from circle.core.errors import FileTooLarge, ValidationFailed
from circle.core.money import minor_units, parse_plain_amount
from circle.models import BUSINESS_KINDS, REFERRAL_KINDS, REFERRAL_STATUSES, SPHERES, party_key

CIRCLE_CSV = "circle_csv"
BNI_SLIPS = "bni_slips"

#: Columns of our CSV, in the order the export writes them.
CSV_COLUMNS = (
    "type",
    "id",
    "key",
    "date",
    "giver_id",
    "giver",
    "receiver_id",
    "receiver",
    "kind",
    "hotness",
    "sphere",
    "status",
    "amount",
    "currency",
    "referral_id",
    "prospect_name",
    "prospect_phone",
    "prospect_email",
    "note",
    "voided_at",
    "void_reason",
)
#: Row types of our CSV.
REFERRAL = "referral"
CLOSED_BUSINESS = "closed_business"
OTHER = "other"
#: BNI slip types kept as ``OtherSlip`` (for the chapter-operations features).
OTHER_SLIP_TYPES = ("One-to-One", "CEU", "Visitor")

MAX_NAME = 200
MAX_NOTE = 2000
MAX_DETAIL = 2000
MAX_REASON = 500
#: How many row errors a summary lists (the count is always complete).
MAX_LISTED_ERRORS = 500
#: Rows between two progress reports while reading.
PROGRESS_EVERY = 10_000
#: What the importer reads at most (issue 12, item 2): beyond it a file is refused
#: before any work that grows with a row or cell index rather than with the bytes.
MAX_COLUMNS = 64
MAX_ROWS = 250_000
MAX_CELLS = 3_000_000
#: Elements open at once (a workbook needs six or seven).
MAX_DEPTH = 32
MAX_FIELD = 100_000
#: XML encodings the importer reads (expat's own and BNI's; any other is refused).
XML_ENCODINGS = frozenset(
    {
        "utf-8",
        "utf8",
        "utf-16",
        "utf16",
        "iso-8859-1",
        "latin-1",
        "latin1",
        "windows-1252",
        "cp1252",
    }
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")

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
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

Progress = Callable[[str, int, int | None], None]


@dataclass(slots=True)
class SlipRow:
    """One valid row of an import file, ready to be matched and written.

    ``giver``/``receiver`` are display names (``""``: unknown). For closed business the
    giver is the member thanked (credited) and the receiver the reporter.
    """

    number: int
    entry: str  # referral | closed_business | other
    day: date
    content: str  # the row's normalised content (for the source key)
    giver: str = ""
    receiver: str = ""
    giver_key: str = ""  # party_key of giver
    receiver_key: str = ""
    kind: str = ""  # inside/outside (referral) or new/repeat (closed business)
    hotness: int | None = None
    sphere: str | None = None
    status: str = "new"
    prospect_name: str = ""
    prospect_phone: str = ""
    prospect_email: str = ""
    note: str = ""
    amount_minor: int = 0
    slip_type: str = ""  # One-to-One | CEU | Visitor (other slips)
    quantity: str = ""
    voided_at: datetime | None = None
    void_reason: str | None = None
    key: str = ""  # our CSV's key column (identifies an entry across exports)
    file_id: str = ""  # our CSV's id column
    referral_ref: str = ""  # our CSV's referral_id column (closed business)


@dataclass(frozen=True, slots=True)
class RowError:
    """A refusal of one row: its number in the file and a translated message."""

    row: int
    message: str


@dataclass
class Parsed:
    """What a file holds: its format, the valid rows, the row errors, the data rows read."""

    format: str
    rows: list[SlipRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    count: int = 0


class _RowRefused(Exception):
    """Internal: one row is refused with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- entry point --------------------------------------------------------------------


def parse(
    data: bytes,
    *,
    currency: str,
    slip_date: date | None,
    today: date,
    earliest: date,
    progress: Progress | None = None,
) -> Parsed:
    """Recognise the file's format and read it into rows and row errors.

    ``slip_date`` dates every BNI slip (BNI files carry no dates) and fills empty dates
    of our CSV. A file that cannot be read at all raises ``ValidationFailed`` on the
    ``file`` field (``date`` when a BNI file comes without a date).
    """
    head = data[:8].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not data.strip():
        raise ValidationFailed(_("The file is empty."), field="file")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationFailed(
            _(
                "This is a binary Excel file. Export the report from BNI Connect as "
                '"XML Spreadsheet 2003" (.xls) or save it as CSV (UTF-8).'
            ),
            field="file",
        )
    context = _Context(currency, slip_date, today, earliest, progress)
    if head.startswith(b"<"):
        return _read_bni(_spreadsheet_rows(data), context)
    text = _decode(data)
    rows = _csv_rows(text)
    first = _first_nonempty(rows)
    if first is None:
        raise ValidationFailed(_("The file is empty."), field="file")
    number, cells = first
    names = [_header_name(c) for c in cells]
    if "type" in names and "date" in names:
        return _read_circle_csv(number, names, rows, context)
    return _read_bni(_chain([first], rows), context)


@dataclass
class _Context:
    """Settings shared by the row readers."""

    currency: str
    slip_date: date | None
    today: date
    earliest: date
    progress: Progress | None


def _chain(first: list, rest: Iterator) -> Iterator:
    """Yield ``first``'s items, then the rest of an iterator."""
    yield from first
    yield from rest


def _decode(data: bytes) -> str:
    """Decode a text file as UTF-8 (with or without BOM), else refuse it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            _(
                "The file is neither a BNI Connect slips report (XML Spreadsheet 2003) "
                "nor a CSV file in UTF-8."
            ),
            field="file",
        ) from None
    if "\x00" in text:
        raise ValidationFailed(
            _(
                "The file is neither a BNI Connect slips report (XML Spreadsheet 2003) "
                "nor a CSV file in UTF-8."
            ),
            field="file",
        )
    return text


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Rows of a CSV text as (line number, cells); the separator is guessed from line one."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = 0
    try:
        for cells in reader:
            rows += 1
            if rows > MAX_ROWS or len(cells) > MAX_COLUMNS:
                raise _too_large()
            if any(len(cell) > MAX_FIELD for cell in cells):
                raise _too_large()
            yield reader.line_num, cells
    except csv.Error as error:
        raise ValidationFailed(
            _("The CSV file is broken near line %(line)s.", line=reader.line_num), field="file"
        ) from error


def _first_nonempty(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    """The first row with any text in it."""
    for number, cells in rows:
        if any(c.strip() for c in cells):
            return number, cells
    return None


def _header_name(text: str) -> str:
    """A header cell normalised: trimmed, single spaces, case-folded."""
    return " ".join(text.split()).casefold()


def clean_name(text: str) -> str:
    """A person's name as shown: whitespace collapsed (``'Max  Muster'`` → ``'Max Muster'``)."""
    return " ".join(text.split())


# --- SpreadsheetML ------------------------------------------------------------------

#: Bytes handed to the XML parser at a time (rows are yielded after each piece).
FEED_BYTES = 1 << 20


def _not_a_workbook() -> ValidationFailed:
    """The refusal for XML that is not an Excel 2003 XML spreadsheet."""
    return ValidationFailed(
        _("This XML file is not an Excel 2003 XML spreadsheet (BNI Connect's slips report)."),
        field="file",
    )


def _too_large() -> FileTooLarge:
    """The refusal for a file past the importer's row, column, cell or field limits."""
    return FileTooLarge(
        _(
            "The file is too large to import: at most %(rows)s rows, %(columns)s columns "
            "and %(chars)s characters per cell.",
            rows=MAX_ROWS,
            columns=MAX_COLUMNS,
            chars=MAX_FIELD,
        ),
        field="file",
    )


def _bad_encoding() -> ValidationFailed:
    """The refusal for XML in an encoding the importer does not read."""
    return ValidationFailed(
        _("The XML file must be encoded in UTF-8, UTF-16, ISO-8859-1 or Windows-1252."),
        field="file",
    )


def _bad_index() -> ValidationFailed:
    """The refusal for a nonsensical ``ss:Index`` or ``ss:MergeAcross``."""
    return ValidationFailed(_("The spreadsheet is broken (a bad cell index)."), field="file")


class _SheetReader(ContentHandler):
    """SAX handler collecting the rows of a SpreadsheetML workbook.

    Rows are appended to ``rows`` as ``(row number, cells)``; ``None`` marks the end of
    a worksheet. Cells are placed by ``ss:Index`` and widened by ``ss:MergeAcross``;
    formatted text inside ``Data`` (``<B>``, ``<Font>``) counts as plain text.
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int, list[str]] | None] = []
        self.root_seen = False
        self.number = 0
        self.cells: list[str] | None = None
        self.position = 0
        self.merge = 0
        self.text: list[str] | None = None
        self.cell_text = ""
        self.locals: dict[str, str] = {}
        self.row_count = 0
        self.cell_count = 0
        self.text_size = 0
        self.depth = 0

    @staticmethod
    def _attribute(attrs, name: str) -> str | None:
        """An attribute by local name (``ss:Index`` and ``Index`` alike)."""
        for key in attrs.getNames():
            if key == name or key.endswith(":" + name):
                return attrs.getValue(key)
        return None

    @staticmethod
    def _number(value: str | None, limit: int) -> int | None:
        """A positive integer attribute up to ``limit``; refuse anything else."""
        if value is None:
            return None
        if not value.isascii() or not value.isdigit():
            raise _bad_index()
        if len(value) > 9 or int(value) > limit:
            raise _too_large()
        return int(value)

    def _local(self, name: str) -> str:
        """A tag's name without its prefix (``ss:Data`` → ``Data``), remembered per tag."""
        local = self.locals.get(name)
        if local is None:
            local = self.locals[name] = name.rpartition(":")[2]
        return local

    def startElement(self, name, attrs):
        """Track worksheets, rows, cells and data."""
        local = self.locals.get(name) or self._local(name)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _too_large()
        if not self.root_seen:
            self.root_seen = True
            if local != "Workbook":
                raise _not_a_workbook()
        elif local == "Cell":
            if attrs:
                index = self._number(self._attribute(attrs, "Index"), MAX_COLUMNS)
                if index is not None:
                    if index < 1:
                        raise _bad_index()
                    self.position = index - 1
                self.merge = self._number(self._attribute(attrs, "MergeAcross"), MAX_COLUMNS) or 0
            else:
                self.merge = 0
            self.cell_text = ""
        elif local == "Data":
            self.text = []
            self.text_size = 0
        elif local == "Row":
            index = self._number(self._attribute(attrs, "Index"), MAX_ROWS) if attrs else None
            self.number = index if index else self.number + 1
            self.row_count += 1
            if self.number > MAX_ROWS or self.row_count > MAX_ROWS:
                raise _too_large()
            self.cells = []
            self.position = 0
        elif local == "Table":
            self.number = 0

    def endElement(self, name):
        """Place a cell's text, close a row or a worksheet."""
        local = self.locals.get(name) or self._local(name)
        self.depth -= 1
        if local == "Data":
            self.cell_text = "".join(self.text or ())
            self.text = None
        elif local == "Cell":
            cells = self.cells
            if cells is not None:
                if self.position >= MAX_COLUMNS:
                    raise _too_large()
                self.cell_count += self.position + 1 - len(cells)
                if self.cell_count > MAX_CELLS:
                    raise _too_large()
                while len(cells) < self.position:
                    cells.append("")
                cells.append(self.cell_text)
            self.position += 1 + self.merge
        elif local == "Row":
            if self.cells is not None:
                self.rows.append((self.number, self.cells))
            self.cells = None
        elif local == "Worksheet":
            self.rows.append(None)

    def characters(self, content):
        """Collect the text of a ``Data`` element (and of the markup inside it)."""
        if self.text is not None:
            self.text.append(content)
            self.text_size += len(content)
            if self.text_size > MAX_FIELD:
                raise _too_large()


def _spreadsheet_rows(data: bytes) -> Iterator[tuple[int, list[str]] | None]:
    """Rows of a SpreadsheetML workbook as (row number, cells), streamed piece by piece.

    ``None`` marks the end of a worksheet (row numbers start again in the next one).
    defusedxml refuses DTDs, entity declarations and external references, so no
    entity is ever expanded ("billion laughs") and no file or URL is ever fetched.
    """
    declared = _XML_ENCODING.match(data[:200])
    if declared and declared.group(1).decode("ascii", "replace").lower() not in XML_ENCODINGS:
        raise _bad_encoding()
    reader = _SheetReader()
    parser = create_parser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(reader)
    try:
        for start in range(0, len(data), FEED_BYTES):
            parser.feed(data[start : start + FEED_BYTES])
            yield from reader.rows
            reader.rows.clear()
        parser.close()
        yield from reader.rows
    except DefusedXmlException:
        raise ValidationFailed(
            _("The file declares XML entities or a DTD, which are not allowed."), field="file"
        ) from None
    except (LookupError, UnicodeError, ValueError):
        raise _bad_encoding() from None
    except SAXParseException as error:
        raise ValidationFailed(
            _("The file is not valid XML (line %(line)s).", line=error.getLineNumber()),
            field="file",
        ) from None
    if not reader.root_seen:
        raise _not_a_workbook()


# --- BNI Connect slips audit report -------------------------------------------------


def _bni_columns(names: list[str]) -> dict[str, int] | None:
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

    def __init__(self, columns: dict[str, int], context: _Context) -> None:
        self.context = context
        self.day = context.slip_date or context.earliest
        self.digits = minor_units(context.currency)
        self.names: dict[str, tuple[str, str]] = {}
        self.types: dict[str, str | None] = {}
        self.tiers: dict[str, str | None] = {}
        order = ("from", "to", "type", "tier", "amount", "ceu", "detail")
        self.positions = [columns.get(name, -1) for name in order]

    def name(self, text: str, label: str) -> tuple[str, str]:
        """(display name, key) of a cell, whitespace collapsed; at most MAX_NAME characters."""
        known = self.names.get(text)
        if known is None:
            display = _checked_name(text, label)
            known = self.names[text] = (display, party_key(display))
        return known

    def row(self, number: int, cells: list[str]) -> SlipRow:
        """One slip, or ``_RowRefused``."""
        width = len(cells)
        raw_from, raw_to, raw_type, raw_tier, raw_amount, raw_ceu, raw_detail = (
            cells[p].strip() if 0 <= p < width else "" for p in self.positions
        )
        slip_type = self.types.get(raw_type, "")
        if slip_type == "":
            slip_type = self.types[raw_type] = _SLIP_TYPES.get(
                _NOT_WORD.sub("", raw_type.casefold())
            )
        if slip_type is None:
            if not raw_type:
                raise _RowRefused(_("The slip type is empty."))
            raise _RowRefused(
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
            raise _RowRefused(
                _("%(column)s is longer than %(n)s characters.", column="Detail", n=MAX_DETAIL)
            )
        if slip_type == "Referral":
            return self.referral(number, giver, giver_key, receiver, receiver_key, raw_tier, detail)
        if slip_type == "TYFCB":
            if not receiver:
                raise _RowRefused(_("A TYFCB row needs the member thanked in To."))
            if giver_key and giver_key == receiver_key:
                raise _RowRefused(_("A member cannot thank themselves."))
            if not raw_amount:
                raise _RowRefused(_("A TYFCB row needs an amount."))
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
        """A referral slip, or ``_RowRefused``."""
        if not giver or not receiver:
            raise _RowRefused(_("A referral needs both From and To."))
        if giver_key == receiver_key:
            raise _RowRefused(_("A member cannot refer business to themselves."))
        tier = self.tiers.get(raw_tier, "")
        if tier == "":
            tier = self.tiers[raw_tier] = _tier(raw_tier)
        if tier is None:
            raise _RowRefused(
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


def _read_bni(rows: Iterable[tuple[int, list[str]] | None], context: _Context) -> Parsed:
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
            columns = _bni_columns([_header_name(c) for c in cells])
            if columns is not None:
                reader = _BniRows(columns, context)
                header_seen_in_sheet = True
            continue
        if not any(cells) or not any(c.strip() for c in cells):
            continue
        parsed.count += 1
        try:
            row = reader.row(number, cells)
        except _RowRefused as refusal:
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


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    """A cell's text by column name ("" when the column or the cell is missing)."""
    position = columns.get(name)
    if position is None or position >= len(cells):
        return ""
    return cells[position].strip()


def _tier(text: str) -> str | None:
    """``Tier 1 (inside)`` → inside, ``Tier 2 (outside)`` → outside, else None."""
    value = text.casefold()
    if "outside" in value or value.replace(" ", "").startswith("tier2"):
        return "outside"
    if "inside" in value or value.replace(" ", "").startswith("tier1"):
        return "inside"
    return None


def _checked_name(text: str, label: str) -> str:
    """A name from a cell, whitespace collapsed, at most MAX_NAME characters."""
    name = clean_name(text)
    if len(name) > MAX_NAME:
        raise _RowRefused(
            _("%(column)s is longer than %(n)s characters.", column=label, n=MAX_NAME)
        )
    return name


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
        raise _RowRefused(_("The amount must be greater than zero."))
    if _SCIENTIFIC.match(cleaned):
        try:
            value = Decimal(cleaned)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            value = Decimal(0)
        if not -12 <= value.adjusted() <= 12:  # no huge strings from 1e999999
            raise _RowRefused(_("%(text)s is not an amount.", text=text.strip()))
        cleaned = format(value, "f")
    if not _GROUPED.match(cleaned):
        raise _RowRefused(_("%(text)s is not an amount.", text=text.strip()))
    try:
        return parse_plain_amount(cleaned.replace(",", ""), currency)
    except ValidationFailed as error:
        raise _RowRefused(error.message) from None


# --- our own CSV --------------------------------------------------------------------


def _read_circle_csv(
    header_line: int,
    names: list[str],
    rows: Iterator[tuple[int, list[str]]],
    context: _Context,
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
                    raise _RowRefused(_("The key %(key)s appears twice.", key=row.key))
                keys.add(row.key)
        except _RowRefused as refusal:
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
    value = unguard(_cell(cells, columns, name))
    if len(value) > limit:
        raise _RowRefused(_("%(column)s is longer than %(n)s characters.", column=name, n=limit))
    if "\x00" in value:
        raise _RowRefused(_("%(column)s contains characters that are not allowed.", column=name))
    return value


def _csv_date(text: str, context: _Context) -> date:
    """A row's ISO date (the given date when empty), within the allowed range."""
    if not text:
        if context.slip_date is None:
            raise _RowRefused(_("The date is empty."))
        return context.slip_date
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _RowRefused(_("%(text)s is not a date (YYYY-MM-DD).", text=text)) from None
    if day > context.today:
        raise _RowRefused(_("The date cannot be in the future."))
    if day < context.earliest:
        raise _RowRefused(_("The date cannot be before %(day)s.", day=context.earliest.isoformat()))
    return day


def _csv_void(cells: list[str], columns: dict[str, int]) -> tuple[datetime | None, str | None]:
    """The void time and reason of a row (both or neither)."""
    raw = _cell(cells, columns, "voided_at")
    reason = _text(cells, columns, "void_reason", MAX_REASON)
    if not raw and not reason:
        return None, None
    if not raw or not reason:
        raise _RowRefused(_("A voided entry needs both voided_at and void_reason."))
    try:
        voided_at = datetime.fromisoformat(raw)
    except ValueError:
        raise _RowRefused(_("%(text)s is not a time (ISO 8601).", text=raw)) from None
    if voided_at.tzinfo is None:
        raise _RowRefused(_("%(text)s needs a time zone, e.g. +00:00.", text=raw))
    return voided_at, reason


def _csv_row(number: int, cells: list[str], columns: dict[str, int], context: _Context) -> SlipRow:
    """One row of our CSV, or ``_RowRefused``."""
    entry = _cell(cells, columns, "type").casefold()
    if entry not in (REFERRAL, CLOSED_BUSINESS):
        raise _RowRefused(
            _(
                "Unknown type %(type)s (expected referral or closed_business).",
                type=_cell(cells, columns, "type"),
            )
        )
    day = _csv_date(_cell(cells, columns, "date"), context)
    giver = _checked_name(unguard(_cell(cells, columns, "giver")), "giver")
    receiver = _checked_name(unguard(_cell(cells, columns, "receiver")), "receiver")
    kind = _cell(cells, columns, "kind").casefold()
    note = _text(cells, columns, "note", MAX_NOTE)
    voided_at, void_reason = _csv_void(cells, columns)
    key = _cell(cells, columns, "key")
    if len(key) > 200:
        raise _RowRefused(_("%(column)s is longer than %(n)s characters.", column="key", n=200))
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
        file_id=_cell(cells, columns, "id"),
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
        raise _RowRefused(_("A referral needs both giver and receiver."))
    if party_key(row.giver) == party_key(row.receiver):
        raise _RowRefused(_("A member cannot refer business to themselves."))
    if kind not in REFERRAL_KINDS:
        raise _RowRefused(_("kind must be inside or outside."))
    row.kind = kind
    hotness = _cell(cells, columns, "hotness")
    if hotness:
        if not hotness.isdigit() or not 1 <= int(hotness) <= 5:
            raise _RowRefused(_("Hotness is a number from 1 to 5."))
        row.hotness = int(hotness)
    sphere = _cell(cells, columns, "sphere").casefold()
    if sphere and sphere not in SPHERES:
        raise _RowRefused(_("Unknown referral sphere."))
    row.sphere = sphere or None
    status = _cell(cells, columns, "status").casefold() or "new"
    if status not in REFERRAL_STATUSES:
        raise _RowRefused(_("Unknown status."))
    row.status = status
    row.prospect_name = _text(cells, columns, "prospect_name", 200)
    row.prospect_phone = _text(cells, columns, "prospect_phone", 50)
    row.prospect_email = _text(cells, columns, "prospect_email", 254)


def _csv_business(
    row: SlipRow, cells: list[str], columns: dict[str, int], kind: str, context: _Context
) -> None:
    """Fill in and check the closed-business columns of a CSV row."""
    if not row.giver:
        raise _RowRefused(_("Closed business needs the member thanked (giver)."))
    if row.receiver and party_key(row.giver) == party_key(row.receiver):
        raise _RowRefused(_("A member cannot thank themselves."))
    if kind not in BUSINESS_KINDS:
        raise _RowRefused(_("kind must be new or repeat."))
    row.kind = kind
    currency = _cell(cells, columns, "currency").upper()
    if currency and currency != context.currency:
        raise _RowRefused(
            _(
                "The amount is in %(currency)s, but this circle keeps %(circle)s.",
                currency=currency,
                circle=context.currency,
            )
        )
    try:
        row.amount_minor = parse_plain_amount(_cell(cells, columns, "amount"), context.currency)
    except ValidationFailed as error:
        raise _RowRefused(error.message) from None
    row.referral_ref = _cell(cells, columns, "referral_id")


def is_hex_key(key: str) -> bool:
    """True for a 64-character lower-case hex key (a source key written by an import)."""
    return bool(_HEX64.match(key))
