"""The one CSV writer of every export (balance, period export, dues), with a formula guard.

Files are UTF-8, comma-separated, CRLF line ends (RFC 4180). A spreadsheet runs a text
cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a
formula, so such text cells get a leading apostrophe (the OWASP advice against CSV
injection): a member named ``=HYPERLINK(...)`` arrives as the text ``'=HYPERLINK(...)``.

Whether a cell is text is decided by its Python type, never by its content: ``int`` and
``Decimal`` cells are numbers and are written as they are (so an amount of ``-12.50``
stays a number a spreadsheet can sum); every ``str`` is text and is guarded, even one that
looks like a number. ``None`` is an empty cell. The importer removes the apostrophe again
(``unguard``), so our own export reads back unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from flask import Response

#: First characters that make a spreadsheet treat a text cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: What a cell may hold: text, a number, or nothing.
CsvCell = str | int | Decimal | None


def guard(text: str) -> str:
    """A text cell a spreadsheet will show as text: ``'=1+2`` for ``=1+2``."""
    if text[:1] in FORMULA_START:
        return "'" + text
    return text


def unguard(text: str) -> str:
    """Undo ``guard`` on a cell read back from one of our exports."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text


def cell(value: CsvCell) -> str | int | Decimal:
    """One cell as written: numbers unchanged, text guarded, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("write booleans as text, e.g. 'true'")
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, str):
        return guard(value)
    raise TypeError(f"not a CSV cell: {type(value).__name__}")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[CsvCell]]) -> str:
    """The whole file: the header, then every row, each cell passed through ``cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(name) for name in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()


def csv_download(text: str, filename: str) -> Response:
    """A CSV file as a download that no cache keeps (the exports carry personal data)."""
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
