"""Imports and exports at service level: BNI slips reports, our CSV round trip, refusals."""

from __future__ import annotations

import csv
import io
import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from circle.core.errors import ValidationFailed
from circle.core.money import parse_plain_amount
from circle.imports import export, services
from circle.models import (
    AuditEntry,
    Circle,
    ClosedBusiness,
    ExternalParty,
    Import,
    OtherSlip,
    Referral,
)
from circle.referrals import reading
from circle.referrals import services as rs
from tests.imports.support import (
    BILLION_LAUGHS,
    METADATA_PREVIEW,
    SLIP_DATE,
    fixture,
    make_people,
)


def berlin_today() -> date:
    """Today where the factories' circles meet (Europe/Berlin)."""
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


@pytest.fixture
def people(make, db):
    """The circle of the fixtures: Anna Schmidt (admin), Bernd Meyer, Clara Wolf, Dieter Koch."""
    return make_people(make, db)


def count(db, model, circle_id=None) -> int:
    """Rows of ``model`` (of one circle when given)."""
    query = select(func.count()).select_from(model)
    if circle_id is not None:
        query = query.where(model.circle_id == circle_id)
    return db.session.execute(query).scalar_one()


def rows_of(text: str) -> list[dict]:
    """The rows of an exported CSV as dicts."""
    return list(csv.DictReader(io.StringIO(text)))


# --- BNI Connect slips audit report ---------------------------------------------------


def test_bni_report_with_metadata_rows_and_variant_headers_previews_exactly(ctx, db, people):
    circle, _seats = people
    summary = services.preview(circle, fixture("bni_slips_metadata.xls"), slip_date=SLIP_DATE)
    assert summary.as_dict() == METADATA_PREVIEW
    assert count(db, Referral) == count(db, ClosedBusiness) == count(db, OtherSlip) == 0
    assert count(db, ExternalParty) == count(db, Import) == 0


def test_standard_headers_are_read_too(ctx, people):
    circle, _seats = people
    summary = services.preview(circle, fixture("bni_slips_plain.xls"), slip_date=SLIP_DATE)
    assert (summary.rows, summary.referrals, summary.closed_business) == (3, 1, 1)
    assert summary.other_slips == {"One-to-One": 1}
    assert summary.unmatched_names == [] and summary.errors == []


def test_commit_stores_slips_credits_tyfcb_and_records_unmatched_names(ctx, db, people, outbox):
    circle, seats = people
    admin = seats["Anna Schmidt"]
    summary = services.commit(
        circle,
        admin.user,
        fixture("bni_slips_metadata.xls"),
        filename="slips.xls",
        slip_date=SLIP_DATE,
    )
    db.session.commit()
    assert summary.as_dict() == {**METADATA_PREVIEW, "import_id": summary.import_id}

    referrals = db.session.execute(select(Referral).order_by(Referral.id)).unique().scalars().all()
    pairs = [(r.giver_id, r.receiver_id, r.receiver_external_id is not None) for r in referrals]
    anna, bernd, clara = seats["Anna Schmidt"].id, seats["Bernd Meyer"].id, seats["Clara Wolf"].id
    assert pairs == [
        (anna, bernd, False),
        (bernd, clara, False),
        (clara, None, True),
        (anna, bernd, False),
    ]
    assert [r.kind for r in referrals] == ["inside", "outside", "outside", "inside"]
    assert {r.given_on for r in referrals} == {SLIP_DATE}
    assert all(r.import_id == summary.import_id and r.source_key for r in referrals)
    gerda = db.session.execute(select(ExternalParty)).scalar_one()
    assert (gerda.name, gerda.key, gerda.circle_id) == ("Gerda Extern", "gerda extern", circle.id)
    assert referrals[2].receiver_external_id == gerda.id
    assert referrals[2].note == "BNI Bonn Mitte"

    business = db.session.execute(select(ClosedBusiness).order_by(ClosedBusiness.id)).unique()
    credited = [
        (b.thanked_id, b.reporter_id, b.amount_minor, b.currency) for b in business.scalars()
    ]
    assert credited == [
        (anna, None, 120000, "EUR"),
        (bernd, None, 120000, "EUR"),
        (seats["Dieter Koch"].id, None, 550, "EUR"),
        (clara, None, 30000, "EUR"),
    ]
    others = db.session.execute(select(OtherSlip).order_by(OtherSlip.id)).scalars().all()
    assert [(o.slip_type, o.from_name, o.to_name, o.quantity, o.detail) for o in others] == [
        ("One-to-One", "Anna Schmidt", "Dieter Koch", "", ""),
        ("CEU", "Clara Wolf", "", "2", "Podcast"),
        ("Visitor", "Dieter Koch", "Hans Gast", "", ""),
    ]
    record = db.session.get(Import, summary.import_id)
    assert (record.format, record.filename, record.slip_date, record.rows) == (
        "bni_slips",
        "slips.xls",
        SLIP_DATE,
        11,
    )
    assert record.added["referrals"] == 4 and record.added["other_slips"]["Visitor"] == 1
    audit = db.session.execute(select(AuditEntry)).unique().scalars().all()
    assert [(a.entity, a.entity_id, a.action, a.actor_id) for a in audit] == [
        ("import", record.id, "import", admin.user_id)
    ]
    assert outbox() == []  # imports never send mails
    # TYFCB without a known reporter counts for the member thanked.
    totals = reading.totals(circle, anna, SLIP_DATE, SLIP_DATE)
    assert (totals.given, totals.revenue_generated) == (2, 120000)


def test_a_file_with_bad_rows_changes_nothing(ctx, db, people):
    circle, seats = people
    data = fixture("bni_slips_bad.xls")
    summary = services.preview(circle, data, slip_date=SLIP_DATE)
    assert [(e.row, e.message) for e in summary.errors] == [
        (4, "The amount must be greater than zero."),
        (5, "The amount must be greater than zero."),
        (6, "zwölf is not an amount."),
        (
            7,
            "Unknown slip type Thank-you note (expected Referral, TYFCB, One-to-One, CEU "
            "or Visitor).",
        ),
        (8, "A referral needs both From and To."),
        (10, "EUR amounts have at most 2 decimal places."),
    ]
    assert (summary.rows, summary.referrals, summary.error_count) == (8, 2, 6)
    with pytest.raises(services.ImportRejected) as refused:
        services.commit(circle, seats["Anna Schmidt"].user, data, slip_date=SLIP_DATE)
    db.session.rollback()
    assert refused.value.status == 422 and refused.value.summary.error_count == 6
    assert refused.value.message == "6 rows have errors; nothing was imported."
    for model in (Referral, ClosedBusiness, OtherSlip, ExternalParty, Import):
        assert count(db, model) == 0, model


def test_the_same_file_twice_adds_nothing(ctx, db, people):
    circle, seats = people
    data = fixture("bni_slips_metadata.xls")
    services.commit(circle, seats["Anna Schmidt"].user, data, slip_date=SLIP_DATE)
    db.session.commit()
    again = services.preview(circle, data, slip_date=SLIP_DATE)
    assert (again.referrals, again.closed_business, again.other_slips) == (0, 0, {})
    assert again.already_imported == 11 and again.unmatched_names == []
    second = services.commit(circle, None, data, slip_date=SLIP_DATE)
    db.session.commit()
    assert second.added == 0 and second.already_imported == 11
    assert (count(db, Referral), count(db, ClosedBusiness), count(db, OtherSlip)) == (4, 4, 3)
    assert count(db, ExternalParty) == 1 and count(db, Import) == 2


def test_the_next_weeks_report_with_the_same_slips_is_imported_again(ctx, db, people):
    circle, _seats = people
    data = fixture("bni_slips_plain.xls")
    services.commit(circle, None, data, slip_date=SLIP_DATE)
    later = services.commit(circle, None, data, slip_date=SLIP_DATE + timedelta(days=7))
    db.session.commit()
    assert later.added == 3 and count(db, Referral) == 2


def test_names_match_whitespace_and_case_insensitively_but_not_ambiguously(ctx, db, make):
    circle, _seats = make_people(make, db, names=("Bernd Meyer", "bernd  MEYER", "Clara Wolf"))
    summary = services.preview(circle, fixture("bni_slips_plain.xls"), slip_date=SLIP_DATE)
    assert [(e.row, e.message) for e in summary.errors] == [
        (2, "Bernd Meyer matches several members; give them distinct names."),
        (3, "Bernd Meyer matches several members; give them distinct names."),
    ]


def test_the_slips_date_is_required_for_bni_and_not_in_the_future(ctx, people):
    circle, _seats = people
    with pytest.raises(ValidationFailed) as missing:
        services.preview(circle, fixture("bni_slips_plain.xls"), slip_date=None)
    assert missing.value.field == "date"
    with pytest.raises(ValidationFailed) as future:
        services.preview(
            circle, fixture("bni_slips_plain.xls"), slip_date=berlin_today() + timedelta(days=3)
        )
    assert (future.value.field, future.value.message) == (
        "date",
        "The date cannot be in the future.",
    )


EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Workbook [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table>
<Row><Cell><Data>&secret;</Data></Cell></Row></Table></Worksheet></Workbook>
"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "The file declares XML entities or a DTD, which are not allowed."),
        (EXTERNAL_ENTITY, "The file declares XML entities or a DTD, which are not allowed."),
        (b"<Workbook><Worksheet><Table><Row>", "The file is not valid XML (line 1)."),
        (
            b"<html><body><table></table></body></html>",
            "This XML file is not an Excel 2003 XML spreadsheet (BNI Connect's slips report).",
        ),
        (
            bytes(range(256)) * 4,
            "The file is neither a BNI Connect slips report (XML Spreadsheet 2003) nor a CSV "
            "file in UTF-8.",
        ),
        (
            b"PK\x03\x04" + b"\x00" * 100,
            'This is a binary Excel file. Export the report from BNI Connect as "XML '
            'Spreadsheet 2003" (.xls) or save it as CSV (UTF-8).',
        ),
        (b"  \n", "The file is empty."),
        (
            b"name,amount\nAnna,12\n",
            "No header row with the columns From, To and Slip Type was found.",
        ),
    ],
)
def test_hostile_or_unreadable_files_are_refused_quickly_with_a_clear_message(
    ctx, db, people, data, message
):
    circle, _seats = people
    started = time.perf_counter()
    with pytest.raises(ValidationFailed) as refused:
        services.preview(circle, data, slip_date=SLIP_DATE)
    assert time.perf_counter() - started < 2
    assert (refused.value.field, refused.value.message) == ("file", message)


def test_amounts_in_bni_files_are_exact_decimals():
    from circle.imports.formats.bni_slips import bni_amount
    from circle.imports.formats.common import RowRefused

    assert bni_amount("1200", "EUR") == 120000
    assert bni_amount("1,200.00", "EUR") == 120000
    assert bni_amount("$1,200.00", "USD") == 120000
    assert bni_amount(" 1\u00a0234.5 € ", "EUR") == 123450
    assert bni_amount("0.1", "EUR") + bni_amount("0.2", "EUR") == bni_amount("0.3", "EUR")
    assert bni_amount("1.2E3", "EUR") == 120000
    for bad in ("-5", "(5.00)", "0", "0.00", "1,20", "1.234,50", "abc", "1e400", "1e-999999"):
        with pytest.raises(RowRefused):
            bni_amount(bad, "EUR")


# --- CSV export and import -------------------------------------------------------------


def _fill(circle, seats, *, rng: random.Random, weeks: int = 6):
    """Referrals and closed business over some weeks, one voided, with random amounts."""
    names = list(seats)
    today = berlin_today() - timedelta(days=1)
    expected = Decimal(0)
    for week in range(weeks):
        day = today - timedelta(days=7 * week)
        for index, name in enumerate(names):
            giver = seats[name]
            receiver = seats[names[(index + 1 + week) % len(names)]]
            if giver.id == receiver.id:
                continue
            referral = rs.give_referral(
                circle,
                giver,
                rs.ReferralInput(
                    receiver_id=receiver.id,
                    given_on=day,
                    kind=rng.choice(("inside", "outside")),
                    hotness=rng.randint(1, 5),
                    sphere=rng.choice((None, "private", "local")),
                    prospect_name='=HYPERLINK("http://x")' if week == 0 and index == 0 else "",
                    note=f'Woche {week}, "Zitat"; ä,ö\nzweite Zeile',
                ),
            )
            amount = Decimal(rng.randint(1, 500_000)) / 100
            expected += amount
            rs.report_closed_business(
                circle,
                receiver,
                rs.BusinessInput(
                    thanked_id=giver.id,
                    amount_minor=parse_plain_amount(f"{amount:.2f}", "EUR"),
                    closed_on=day,
                    kind=rng.choice(("new", "repeat")),
                    referral_id=referral.id if index % 2 == 0 else None,
                    note="-5 % Rabatt" if index == 1 else "",
                ),
                notify=False,
            )
    admin = next(s for s in seats.values() if s.is_admin)
    first = db_first(Referral, circle.id)
    rs.void_referral(circle, admin, first.id, "Doppelt erfasst")
    return expected


def db_first(model, circle_id):
    """The first entry of a circle."""
    from circle.extensions import db

    return (
        db.session.execute(select(model).where(model.circle_id == circle_id).order_by(model.id))
        .unique()
        .scalars()
        .first()
    )


COMPARED = [
    c
    for c in export.CSV_COLUMNS
    if c not in ("id", "key", "giver_id", "receiver_id", "referral_id", "voided_at")
]


def _comparable(text: str) -> list[tuple]:
    """The exported rows without ids, keys and times; links as (has a link)."""
    return [
        (*(row[c] for c in COMPARED), bool(row["referral_id"]), bool(row["voided_at"]))
        for row in rows_of(text)
    ]


def test_csv_export_imports_into_a_fresh_circle_exactly(ctx, db, make, people):
    circle, seats = people
    # An imported BNI file adds external parties and TYFCB without reporter to the export.
    services.commit(circle, None, fixture("bni_slips_metadata.xls"), slip_date=SLIP_DATE)
    expected = _fill(circle, seats, rng=random.Random(7))
    db.session.commit()
    admin = seats["Anna Schmidt"]
    start, end = export.period(circle, None, None)
    text = export.export_csv(circle, admin, start, end)
    rows = rows_of(text)
    assert list(rows[0]) == list(export.CSV_COLUMNS)
    assert len(rows) == count(db, Referral) + count(db, ClosedBusiness)
    filled = [r for r in rows if r["type"] == "closed_business" and r["date"] != "2025-03-05"]
    assert sum(Decimal(r["amount"]) for r in filled) == expected
    assert all(r["currency"] == "EUR" for r in rows if r["type"] == "closed_business")
    guarded = [r for r in rows if r["prospect_name"].startswith("'=")]
    assert len(guarded) == 1  # formulas are neutralised for spreadsheets

    fresh, fresh_seats = make_people(make, db, admin_name="Anna Schmidt")
    summary = services.commit(fresh, None, text.encode("utf-8"), filename="export.csv")
    db.session.commit()
    assert summary.format == "circle_csv" and summary.error_count == 0
    assert (summary.referrals, summary.closed_business) == (
        count(db, Referral, circle.id),
        count(db, ClosedBusiness, circle.id),
    )
    assert summary.unmatched_names == ["Gerda Extern"]
    fresh = db.session.get(Circle, fresh.id)
    again = export.export_csv(fresh, fresh_seats["Anna Schmidt"], start, end)
    assert len(_comparable(text)) == len(rows) > 40
    assert _comparable(again) == _comparable(text)
    sums = [
        db.session.execute(
            select(func.sum(ClosedBusiness.amount_minor)).where(ClosedBusiness.circle_id == c)
        ).scalar_one()
        for c in (circle.id, fresh.id)
    ]
    assert sums[0] == sums[1]
    voided = db_first(Referral, fresh.id)
    assert (voided.void_reason, voided.voided_at is not None) == ("Doppelt erfasst", True)
    original_void = db_first(Referral, circle.id)
    assert voided.voided_at == original_void.voided_at
    imported = (
        db.session.execute(
            select(Referral).where(Referral.circle_id == fresh.id, Referral.prospect_name != "")
        )
        .unique()
        .scalar_one()
    )
    assert imported.prospect_name == '=HYPERLINK("http://x")'

    # The same export imported again into the fresh circle adds nothing.
    twice = services.commit(fresh, None, text.encode("utf-8"))
    assert twice.added == 0 and twice.already_imported == len(rows)


def test_export_then_import_into_the_same_circle_adds_nothing(ctx, db, people):
    circle, seats = people
    services.commit(circle, None, fixture("bni_slips_plain.xls"), slip_date=SLIP_DATE)
    _fill(circle, seats, rng=random.Random(3), weeks=2)
    db.session.commit()
    before = (count(db, Referral), count(db, ClosedBusiness), count(db, ExternalParty))
    start, end = export.period(circle, None, None)
    text = export.export_csv(circle, seats["Anna Schmidt"], start, end)
    summary = services.commit(circle, None, text.encode("utf-8"))
    db.session.commit()
    assert summary.added == 0 and summary.already_imported == len(rows_of(text))
    assert (count(db, Referral), count(db, ClosedBusiness), count(db, ExternalParty)) == before


def test_members_export_only_their_own_entries(ctx, db, people):
    circle, seats = people
    _fill(circle, seats, rng=random.Random(5), weeks=2)
    db.session.commit()
    clara = seats["Clara Wolf"]
    start, end = export.period(circle, None, None)
    rows = rows_of(export.export_csv(circle, clara, start, end))
    assert rows and all("Clara Wolf" in (r["giver"], r["receiver"]) for r in rows)
    everything = rows_of(export.export_csv(circle, seats["Anna Schmidt"], start, end))
    assert len(everything) > len(rows)


def test_export_period_is_inclusive_and_checked(ctx, db, people):
    circle, seats = people
    services.commit(circle, None, fixture("bni_slips_plain.xls"), slip_date=SLIP_DATE)
    admin = seats["Anna Schmidt"]
    assert len(rows_of(export.export_csv(circle, admin, SLIP_DATE, SLIP_DATE))) == 2
    later = SLIP_DATE + timedelta(days=1)
    assert rows_of(export.export_csv(circle, admin, later, berlin_today())) == []
    with pytest.raises(ValidationFailed):
        export.period(circle, date(2025, 3, 6), date(2025, 3, 5))


def test_csv_rows_with_errors_are_refused_with_their_line(ctx, db, people):
    circle, _seats = people
    header = ",".join(export.CSV_COLUMNS)
    lines = [
        header,
        "referral,,,2025-03-05,,Anna Schmidt,,Bernd Meyer,inside,3,,new,,,,,,,,,",
        "referral,,,2025-13-05,,Anna Schmidt,,Bernd Meyer,inside,3,,new,,,,,,,,,",
        "closed_business,,,2025-03-05,,Anna Schmidt,,Bernd Meyer,new,,,,12.345,EUR,,,,,,,",
        "closed_business,,,2025-03-05,,Anna Schmidt,,Bernd Meyer,new,,,,12.00,USD,,,,,,,",
        "referral,,,2025-03-05,,Anna Schmidt,,anna  schmidt,inside,3,,new,,,,,,,,,",
        "gift,,,2025-03-05,,Anna Schmidt,,Bernd Meyer,inside,3,,new,,,,,,,,,",
        "referral,,,2025-03-05,,Anna Schmidt,,Bernd Meyer,sideways,9,,new,,,,,,,,,",
    ]
    summary = services.preview(circle, "\n".join(lines).encode())
    assert [(e.row, e.message) for e in summary.errors] == [
        (3, "2025-13-05 is not a date (YYYY-MM-DD)."),
        (4, "EUR amounts have at most 2 decimal places."),
        (5, "The amount is in USD, but this circle keeps EUR."),
        (6, "A member cannot refer business to themselves."),
        (7, "Unknown type gift (expected referral or closed_business)."),
        (8, "kind must be inside or outside."),
    ]
    assert summary.referrals == 1


def test_a_german_excel_csv_with_semicolons_and_bom_is_recognised(ctx, db, people):
    circle, seats = people
    services.commit(circle, None, fixture("bni_slips_plain.xls"), slip_date=SLIP_DATE)
    start, end = export.period(circle, None, None)
    text = export.export_csv(circle, seats["Anna Schmidt"], start, end)
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(csv.reader(io.StringIO(text)))
    semicolons = "\ufeff" + out.getvalue()
    summary = services.preview(circle, semicolons.encode("utf-8"))
    assert summary.format == "circle_csv" and summary.error_count == 0
    assert summary.already_imported == 2


def test_a_bni_report_saved_as_csv_with_metadata_rows_imports(ctx, db, people):
    circle, seats = people
    text = (
        "Running User,Anna Schmidt\r\nChapter,Kreis Test\r\n\r\n"
        "From,To,Slip Type,Inside/Outside,$ if TYFCB,Qty if CEU,Detail\r\n"
        "Anna  Schmidt,Bernd Meyer,Referral,Tier 2 (outside),,,\r\n"
        ',Clara Wolf,TYFCB,,"$2,500.10",,\r\n'
    )
    summary = services.commit(circle, None, text.encode("utf-8"), slip_date=SLIP_DATE)
    db.session.commit()
    assert (summary.format, summary.rows, summary.referrals, summary.closed_business) == (
        "bni_slips",
        2,
        1,
        1,
    )
    business = db.session.execute(select(ClosedBusiness)).unique().scalar_one()
    assert (business.thanked_id, business.reporter_id, business.amount_minor) == (
        seats["Clara Wolf"].id,
        None,
        250010,
    )
