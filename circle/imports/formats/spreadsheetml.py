"""Excel 2003 XML spreadsheets (SpreadsheetML), read as a stream of rows.

XML is read by expat with the protections defusedxml gives: a DOCTYPE, entity
declarations and external references are refused, so a "billion laughs" file fails at
once instead of expanding and nothing is ever fetched. Row and cell indexes, columns,
rows, cells, nesting and text per cell are capped, so the work stays linear in the bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.parsers import expat

from flask_babel import gettext as _

from circle.core.errors import ValidationFailed
from circle.imports.formats.common import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_DEPTH,
    MAX_FIELD,
    MAX_ROWS,
    too_large,
)

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


#: Bytes handed to the XML parser at a time (rows are yielded after each piece).
FEED_BYTES = 1 << 20


def _not_a_workbook() -> ValidationFailed:
    """The refusal for XML that is not an Excel 2003 XML spreadsheet."""
    return ValidationFailed(
        _("This XML file is not an Excel 2003 XML spreadsheet (BNI Connect's slips report)."),
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


class _Forbidden(Exception):
    """Internal: the file declares a DTD or entities, or refers to an external entity."""


def _refuse(*_args) -> None:
    """Handler for every DTD, entity declaration or external reference: refuse the file."""
    raise _Forbidden


class _SheetReader:
    """expat handlers collecting the rows of a SpreadsheetML workbook.

    Rows are appended to ``rows`` as ``(row number, cells)``; ``None`` marks the end of
    a worksheet. Cells are placed by ``ss:Index`` and widened by ``ss:MergeAcross``;
    formatted text inside ``Data`` (``<B>``, ``<Font>``) counts as plain text.
    """

    def __init__(self, parser) -> None:
        self.parser = parser
        self.rows: list[tuple[int, list[str]] | None] = []
        self.root_seen = False
        self.number = 0
        self.cells: list[str] | None = None
        self.position = 0
        self.merge = 0
        self.text: list[str] | None = None
        self.text_size = 0
        self.cell_text = ""
        self.locals: dict[str, str] = {}
        self.row_count = 0
        self.cell_count = 0
        self.depth = 0

    @staticmethod
    def _attribute(attrs: list[str], name: str) -> str | None:
        """An attribute by local name (``ss:Index`` and ``Index`` alike) from expat's
        ordered list ``[name, value, name, value, ...]``."""
        suffix = ":" + name
        for position in range(0, len(attrs), 2):
            key = attrs[position]
            if key == name or key.endswith(suffix):
                return attrs[position + 1]
        return None

    @staticmethod
    def _number(value: str | None, limit: int) -> int | None:
        """A positive integer attribute up to ``limit``; refuse anything else."""
        if value is None:
            return None
        if not value.isascii() or not value.isdigit():
            raise _bad_index()
        if len(value) > 9 or int(value) > limit:
            raise too_large()
        return int(value)

    def _local(self, name: str) -> str:
        """A tag's name without its prefix (``ss:Data`` → ``Data``), remembered per tag."""
        local = self.locals.get(name)
        if local is None:
            local = self.locals[name] = name.rpartition(":")[2]
        return local

    def root(self, name: str, attrs: list[str]) -> None:
        """The first element: it must be a ``Workbook``; then ``start`` takes over."""
        if self._local(name) != "Workbook":
            raise _not_a_workbook()
        self.root_seen = True
        self.depth = 1
        self.parser.StartElementHandler = self.start

    def start(self, name: str, attrs: list[str]) -> None:
        """Track worksheets, rows, cells and data."""
        local = self.locals.get(name) or self._local(name)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise too_large()
        if local == "Data":
            self.text = []
            self.text_size = 0
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
        elif local == "Row":
            index = self._number(self._attribute(attrs, "Index"), MAX_ROWS) if attrs else None
            self.number = index if index else self.number + 1
            self.row_count += 1
            if self.number > MAX_ROWS or self.row_count > MAX_ROWS:
                raise too_large()
            self.cells = []
            self.position = 0
        elif local == "Table":
            self.number = 0

    def end(self, name: str) -> None:
        """Place a cell's text, close a row or a worksheet."""
        local = self.locals.get(name) or self._local(name)
        self.depth -= 1
        if local == "Data":
            text = self.text
            self.cell_text = text[0] if text and len(text) == 1 else "".join(text or ())
            self.text = None
        elif local == "Cell":
            cells = self.cells
            if cells is not None:
                position = self.position
                if position >= MAX_COLUMNS:
                    raise too_large()
                self.cell_count += position + 1 - len(cells)
                if self.cell_count > MAX_CELLS:
                    raise too_large()
                if len(cells) < position:
                    cells.extend([""] * (position - len(cells)))
                cells.append(self.cell_text)
            self.position += 1 + self.merge
        elif local == "Row":
            if self.cells is not None:
                self.rows.append((self.number, self.cells))
            self.cells = None
        elif local == "Worksheet":
            self.rows.append(None)

    def characters(self, content: str) -> None:
        """Collect the text of a ``Data`` element (and of the markup inside it)."""
        if self.text is not None:
            self.text.append(content)
            self.text_size += len(content)
            if self.text_size > MAX_FIELD:
                raise too_large()


def spreadsheet_rows(data: bytes) -> Iterator[tuple[int, list[str]] | None]:
    """Rows of a SpreadsheetML workbook as (row number, cells), streamed piece by piece.

    ``None`` marks the end of a worksheet (row numbers start again in the next one).
    DTDs, entity declarations and external references are refused, so no entity is
    ever expanded ("billion laughs") and no file or URL is ever fetched.
    """
    declared = _XML_ENCODING.match(data[:200])
    if declared and declared.group(1).decode("ascii", "replace").lower() not in XML_ENCODINGS:
        raise _bad_encoding()
    parser = expat.ParserCreate()
    reader = _SheetReader(parser)
    parser.buffer_text = True
    parser.ordered_attributes = True
    parser.StartElementHandler = reader.root
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.characters
    # What defusedxml forbids: no DTD (so no entity is ever declared or expanded,
    # "billion laughs"), no entity declaration, no external reference (nothing fetched).
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    try:
        for start in range(0, len(data), FEED_BYTES):
            parser.Parse(data[start : start + FEED_BYTES], False)
            yield from reader.rows
            reader.rows.clear()
        parser.Parse(b"", True)
        yield from reader.rows
    except _Forbidden:
        raise ValidationFailed(
            _("The file declares XML entities or a DTD, which are not allowed."), field="file"
        ) from None
    except (LookupError, UnicodeError, ValueError):
        raise _bad_encoding() from None
    except expat.ExpatError as error:
        raise ValidationFailed(
            _("The file is not valid XML (line %(line)s).", line=error.lineno),
            field="file",
        ) from None
    if not reader.root_seen:
        raise _not_a_workbook()
