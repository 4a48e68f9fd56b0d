"""Text files: decoding as UTF-8 and reading CSV rows within the importer's limits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask_babel import gettext as _

from circle.core.errors import ValidationFailed
from circle.imports.formats.common import MAX_COLUMNS, MAX_FIELD, MAX_ROWS, too_large


def chain(first: list, rest: Iterator) -> Iterator:
    """Yield ``first``'s items, then the rest of an iterator."""
    yield from first
    yield from rest


def decode(data: bytes) -> str:
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


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Rows of a CSV text as (line number, cells); the separator is guessed from line one."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = 0
    try:
        for cells in reader:
            rows += 1
            if rows > MAX_ROWS or len(cells) > MAX_COLUMNS:
                raise too_large()
            if any(len(cell) > MAX_FIELD for cell in cells):
                raise too_large()
            yield reader.line_num, cells
    except csv.Error as error:
        raise ValidationFailed(
            _("The CSV file is broken near line %(line)s.", line=reader.line_num), field="file"
        ) from error


def first_nonempty(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    """The first row with any text in it."""
    for number, cells in rows:
        if any(c.strip() for c in cells):
            return number, cells
    return None
