"""Reading import files into slip rows: our own CSV and BNI Connect's Slips Audit Report.

Two formats are recognised from the file's content, not its name:

- ``circle_csv``: the CSV that ``circle.imports.export`` writes (UTF-8, a header with
  ``type`` and ``date``; ``,`` ``;`` or tab separated). Each row carries its own date.
- ``bni_slips``: BNI Connect's "Slips Audit Report", an Excel 2003 XML spreadsheet
  (SpreadsheetML, saved as ``.xls``) or the same table as CSV. Metadata rows may stand
  above the header; columns are found by name (``TYFCB Amount`` or ``$ if TYFCB``,
  ``CEU Credits`` or ``Qty if CEU``). The file has no dates: every slip gets the date
  the user gives.

Each format has its module in ``circle.imports.formats``; this one recognises the format
and hands the file to it. Amounts are parsed exactly (Decimal via
``circle.core.money``), never as floats. Nothing here touches the database: the result is a
list of ``SlipRow`` and a list of ``RowError`` (row numbers as the user sees them).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from circle.core.errors import ValidationFailed
from circle.imports.formats.bni_slips import read_bni
from circle.imports.formats.circle_csv import read_circle_csv
from circle.imports.formats.common import Context, Parsed, Progress, header_name
from circle.imports.formats.spreadsheetml import spreadsheet_rows
from circle.imports.formats.text import chain, csv_rows, decode, first_nonempty


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
    context = Context(currency, slip_date, today, earliest, progress)
    if head.startswith(b"<"):
        return read_bni(spreadsheet_rows(data), context)
    text = decode(data)
    rows = csv_rows(text)
    first = first_nonempty(rows)
    if first is None:
        raise ValidationFailed(_("The file is empty."), field="file")
    number, cells = first
    names = [header_name(c) for c in cells]
    if "type" in names and "date" in names:
        return read_circle_csv(number, names, rows, context)
    return read_bni(chain([first], rows), context)
