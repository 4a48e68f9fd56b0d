"""Hostile uploads (issue 12, item 2 and the importer's part of item 13).

Each file is small, but shaped so that the importer before the caps did work that grew
with an index, not with the bytes (a cell index of 1000 in every row, a row index in the
millions), or accepted an unbounded shape (wide rows, giant fields, any XML encoding).
Every one is now refused with a clear message, and nothing is written.
"""

from __future__ import annotations

import io
from datetime import date

import pytest

from circle.core.errors import FileTooLarge, ValidationFailed
from circle.imports import parsers
from circle.imports.formats.common import MAX_ROWS, Parsed
from tests.imports.support import checked, world  # noqa: F401  (fixture)
from tests.imports.support import counts as import_counts

HEAD = b'<?xml version="1.0"?><Workbook xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
HEADER_ROW = (
    b"<Row><Cell><Data>From</Data></Cell><Cell><Data>To</Data></Cell>"
    b"<Cell><Data>Slip Type</Data></Cell></Row>"
)


def workbook(rows: bytes) -> bytes:
    """A one-sheet SpreadsheetML workbook with a BNI header row and ``rows`` after it."""
    return HEAD + b"<Worksheet><Table>" + HEADER_ROW + rows + b"</Table></Worksheet></Workbook>"


def read(data: bytes) -> Parsed:
    """Parse like a preview dated 2025-03-05."""
    return parsers.parse(
        data,
        currency="EUR",
        slip_date=date(2025, 3, 5),
        today=date(2025, 3, 10),
        earliest=date(2000, 1, 1),
    )


HOSTILE = {
    "deep nesting": HEAD + b"<Data>" * 100 + b"</Data>" * 100 + b"</Workbook>",
    "cell index jump": workbook(b'<Row><Cell ss:Index="1000"><Data>x</Data></Cell></Row>' * 50),
    "merge across": workbook(b'<Row><Cell ss:MergeAcross="900"/><Cell><Data>x</Data></Cell></Row>'),
    "row index jump": workbook(b'<Row ss:Index="5000000"><Cell><Data>x</Data></Cell></Row>'),
    "wide csv": (",".join(f"c{n}" for n in range(100)) + "\n" + "x," * 99 + "x\n").encode(),
    "giant csv field": b"From,To,Slip Type\nA,B," + b"x" * 120_000 + b"\n",
    "giant xml cell": workbook(b"<Row><Cell><Data>" + b"x" * 120_000 + b"</Data></Cell></Row>"),
}


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_a_hostile_shape_is_refused_as_too_large_by_the_parser(shape):
    """Past 64 columns, 250,000 rows or 100,000 characters a cell: 413 file_too_large."""
    with pytest.raises(FileTooLarge) as refused:
        read(HOSTILE[shape])
    assert refused.value.status == 413
    assert refused.value.code == "file_too_large"
    assert "too large to import" in refused.value.message


def test_more_than_250000_rows_are_refused():
    """Row 250,001 is refused even when every row is empty (bounded rows, bounded time)."""
    with pytest.raises(FileTooLarge):
        read(workbook(b"<Row/>" * (MAX_ROWS + 1)))


@pytest.mark.parametrize("encoding", ["UTF-7", "x-unknown", "utf-32", "shift_jis"])
def test_xml_in_another_encoding_is_refused(encoding):
    """Only UTF-8, UTF-16, ISO-8859-1 and Windows-1252 are read; others are a 422."""
    data = workbook(b"").replace(
        b'version="1.0"', b'version="1.0" encoding="%s"' % encoding.encode()
    )
    with pytest.raises(ValidationFailed) as refused:
        read(data)
    assert refused.value.status == 422
    assert "must be encoded in UTF-8" in refused.value.message


def test_windows_1252_xml_is_still_read():
    """BNI's Windows-1252 files keep working: an umlaut in a name is read."""
    data = workbook(
        b"<Row><Cell><Data>J\xfcrgen</Data></Cell><Cell><Data>Anna</Data></Cell>"
        b"<Cell><Data>Referral</Data></Cell></Row>"
    ).replace(b'version="1.0"', b'version="1.0" encoding="windows-1252"')
    parsed = read(data)
    assert parsed.count == 1


def test_entity_expansion_is_refused():
    """A billion-laughs file is refused before any entity is expanded."""
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<Workbook><Worksheet><Table><Row><Cell><Data>&lol2;</Data></Cell></Row>"
        b"</Table></Worksheet></Workbook>"
    )
    with pytest.raises(ValidationFailed, match="entities or a DTD"):
        read(laughs)


def test_a_zip_file_is_refused_with_a_message():
    """XLSX (a zip) is not read at all, so no zip bomb is ever unpacked."""
    with pytest.raises(ValidationFailed, match="binary Excel file"):
        read(b"PK\x03\x04" + b"\x00" * 100)


def test_the_upload_page_fails_the_job_as_too_large_and_writes_nothing(
    app,
    client,
    auth,
    world,  # noqa: F811
):
    """Through the real page: the worker stops reading the index-jump file at its limits;
    the job's page says the file is too large, nothing changes."""
    auth.login(world["admin"])
    page = checked(
        app, client, world["circle"].id, name="slips.xls", data=HOSTILE["cell index jump"]
    )
    assert page.status_code == 200
    assert "too large to import" in page.get_data(as_text=True)
    assert import_counts(app) == (0, 0, 0, 0, 0)


def test_the_api_answers_413_file_too_large_and_writes_nothing(app, api, world):  # noqa: F811
    """Through the API: problem+json with the stable code ``file_too_large``."""
    api.as_user(world["admin"])
    response = api.post(
        f"/api/v1/circles/{world['circle'].id}/imports",
        data={"file": (io.BytesIO(HOSTILE["row index jump"]), "slips.xls"), "date": "2025-03-05"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "file_too_large" in response.get_data(as_text=True)
    assert import_counts(app) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize("day", ["2026-13-45", "0001-01-01", "9999-12-31"])
def test_the_api_refuses_impossible_and_edge_dates(app, api, world, day):  # noqa: F811
    """Impossible days and days at the calendar's edges are a 4xx, not a 500."""
    api.as_user(world["admin"])
    response = api.post(
        f"/api/v1/circles/{world['circle'].id}/imports",
        data={"file": (io.BytesIO(workbook(b"")), "slips.xls"), "date": day},
        content_type="multipart/form-data",
    )
    assert 400 <= response.status_code < 500
    assert import_counts(app) == (0, 0, 0, 0, 0)
