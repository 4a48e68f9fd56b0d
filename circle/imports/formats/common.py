"""What every import format shares: the row types, the limits, the refusals, cell helpers.

Each format module (``bni_slips``, ``circle_csv``) reads rows into a ``Parsed``: valid
``SlipRow`` objects and ``RowError`` refusals with the row numbers the user sees. The
limits bound the work of every reader (issue 12, item 2).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from circle.core.checks import MAX_REASON
from circle.core.errors import FileTooLarge

__all__ = ["MAX_REASON"]

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
#: How many row errors a summary lists (the count is always complete).
MAX_LISTED_ERRORS = 500
#: Rows between two progress reports while reading.
PROGRESS_EVERY = 2_000
#: What the importer reads at most (issue 12, item 2): beyond it a file is refused
#: before any work that grows with a row or cell index rather than with the bytes.
MAX_COLUMNS = 64
MAX_ROWS = 250_000
MAX_CELLS = 3_000_000
#: Elements open at once (a workbook needs six or seven).
MAX_DEPTH = 32
MAX_FIELD = 100_000
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


class RowRefused(Exception):
    """Internal: one row is refused with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Context:
    """Settings shared by the row readers."""

    currency: str
    slip_date: date | None
    today: date
    earliest: date
    progress: Progress | None


def header_name(text: str) -> str:
    """A header cell normalised: trimmed, single spaces, case-folded."""
    return " ".join(text.split()).casefold()


def clean_name(text: str) -> str:
    """A person's name as shown: whitespace collapsed (``'Max  Muster'`` → ``'Max Muster'``)."""
    return " ".join(text.split())


def too_large() -> FileTooLarge:
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


def cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    """A cell's text by column name ("" when the column or the cell is missing)."""
    position = columns.get(name)
    if position is None or position >= len(cells):
        return ""
    return cells[position].strip()


def checked_name(text: str, label: str) -> str:
    """A name from a cell, whitespace collapsed, at most MAX_NAME characters."""
    name = clean_name(text)
    if len(name) > MAX_NAME:
        raise RowRefused(_("%(column)s is longer than %(n)s characters.", column=label, n=MAX_NAME))
    return name


def is_hex_key(key: str) -> bool:
    """True for a 64-character lower-case hex key (a source key written by an import)."""
    return bool(_HEX64.match(key))
