"""Every CSV export goes through one writer that neutralises spreadsheet formulas.

A member named ``=HYPERLINK("http://x")`` or ``@SUM(1)`` arrives in the balance CSV, the
period export and the dues CSV as text with a leading apostrophe; amounts, counts and ids
are numbers and stay numbers.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from circle.core.csv_export import csv_text, guard, unguard
from tests.meetings.chapter import this_week_start

LINK = '=HYPERLINK("http://x")'
SUM = "@SUM(1)"


@pytest.fixture
def hostile(app, make):
    """A circle whose two members carry formula names: a referral from LINK to SUM, closed
    business of 1.234,50 reported by SUM thanking LINK, and LINK's dues of 600,00."""
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin)
    link = make.member(circle, make.user(name=LINK), profession="Fotograf")
    summer = make.member(circle, make.user(name=SUM), profession="Apotheker")
    day = this_week_start()
    make.slip(link, summer, day)
    make.slip(summer, link, day, amount=123_450)
    make.payment(link, day, day + timedelta(days=364), day, 60_000)
    return admin, circle


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_writer_decides_by_type_not_by_content():
    text = csv_text(
        ["name", "amount", "count", "empty"],
        [["-12.50", Decimal("-12.50"), -3, None], ["\tTab", Decimal("0.00"), 0, ""]],
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["name", "amount", "count", "empty"],
        ["'-12.50", "-12.50", "-3", ""],
        ["'\tTab", "0.00", "0", ""],
    ]
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert guard(start + "1") == "'" + start + "1"
        assert unguard(guard(start + "1")) == start + "1"
    assert guard("Anna") == "Anna" and guard("") == "" and unguard("'Anna") == "'Anna"
    with pytest.raises(TypeError):
        csv_text(["x"], [[1.5]])


def test_the_balance_csv_neutralises_names_and_keeps_amounts_numeric(client, auth, hostile):
    admin, circle = hostile
    auth.login(admin)
    rows = _rows(client.get(f"/circles/{circle.id}/balance.csv?period=all"))
    names = {row["name"] for row in rows if row["record"] == "member"}
    assert {"'" + LINK, "'" + SUM} <= names
    [pair] = [row for row in rows if row["record"] == "pair"]
    assert {pair["a_name"], pair["b_name"]} == {"'" + LINK, "'" + SUM}
    members = {row["name"]: row for row in rows if row["record"] == "member"}
    assert members["'" + LINK]["revenue_generated"] == "1234.50"
    assert Decimal(members["'" + SUM]["revenue_received"]) == Decimal("1234.50")
    assert int(pair["count_a_to_b"]) + int(pair["count_b_to_a"]) == 1


def test_the_period_export_neutralises_names_and_keeps_amounts_numeric(client, auth, hostile):
    admin, circle = hostile
    auth.login(admin)
    rows = _rows(client.get(f"/circles/{circle.id}/export.csv"))
    # The referral's giver and the member thanked for the business (``giver``) is LINK.
    assert [(row["giver"], row["receiver"]) for row in rows] == [("'" + LINK, "'" + SUM)] * 2
    [business] = [row for row in rows if row["type"] == "closed_business"]
    assert Decimal(business["amount"]) == Decimal("1234.50") and business["amount"] == "1234.50"
    assert all(row["id"].isdigit() for row in rows)


def test_the_dues_csv_neutralises_names_and_keeps_amounts_numeric(client, auth, hostile):
    admin, circle = hostile
    auth.login(admin)
    rows = {row["member"]: row for row in _rows(client.get(f"/circles/{circle.id}/dues.csv"))}
    assert set(rows) >= {"'" + LINK, "'" + SUM}
    assert rows["'" + LINK]["total_paid"] == "600.00"
    assert rows["'" + LINK]["last_payment_on"] == this_week_start().isoformat()
    assert Decimal(rows["'" + SUM]["total_paid"]) == 0


def test_the_api_export_uses_the_same_writer(api, hostile):
    admin, circle = hostile
    response = api.as_user(admin).get(
        f"/api/v1/circles/{circle.id}/export.csv", headers={"Accept": "text/csv"}
    )
    rows = _rows(response)
    assert [(row["giver"], row["receiver"]) for row in rows] == [("'" + LINK, "'" + SUM)] * 2
    assert response.headers["Cache-Control"] == "no-store"
