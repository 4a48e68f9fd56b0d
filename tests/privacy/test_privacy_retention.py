"""Prospect retention: ``flask circle purge-prospects`` blanks the prospect details of
referrals older than each circle's retention period (default 24 months), keeps the
referral, is idempotent; the period is a circle setting from 1 to 120 months."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from circle.auditlog import record as audit
from circle.extensions import db
from circle.models import AuditEntry, Circle, Referral
from tests.pages import any_csrf_token, text

TODAY = date(2026, 3, 15)


@pytest.fixture
def slips(app, make):
    """Two circles (24 and 1 months) with referrals around their cut-off days."""
    long = make.circle(name="Kreis Lang")
    short = make.circle(name="Kreis Kurz")
    givers = {}
    for circle in (long, short):
        givers[circle.id] = (make.member(circle), make.member(circle))
    with app.test_request_context():
        db.session.get(Circle, short.id).prospect_retention_months = 1
        rows = {}
        for key, circle, day, name in (
            ("older", long, date(2024, 3, 14), "Olga Alt"),  # one day more than 24 months
            ("boundary", long, date(2024, 3, 15), "Bea Grenze"),  # exactly 24 months: kept
            ("empty", long, date(2020, 1, 1), ""),  # nothing to erase
            ("short_old", short, date(2026, 2, 14), "Kurt Kurz"),
            ("short_new", short, date(2026, 2, 15), "Nina Neu"),
        ):
            giver, receiver = givers[circle.id]
            referral = Referral(
                circle_id=circle.id,
                giver_id=giver.id,
                receiver_id=receiver.id,
                given_on=day,
                prospect_name=name,
                prospect_phone="0221 999" if name else "",
                prospect_email="p@example.org" if name else "",
                note="Bleibt",
            )
            db.session.add(referral)
            db.session.flush()
            audit.record(
                circle.id,
                "referral",
                referral.id,
                "create",
                None,
                after=audit.snapshot(referral, ("given_on", "prospect_name", "note")),
            )
            rows[key] = referral.id
        db.session.commit()
    return rows


def _referral(app, referral_id: int) -> Referral:
    with app.test_request_context():
        return db.session.get(Referral, referral_id)


def test_purge_erases_details_older_than_the_period_and_keeps_the_referral(app, slips):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["circle", "purge-prospects", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Kreis Lang: 1 referrals erased (given before 2024-03-15, 24 months)" in result.output
    assert "Kreis Kurz: 1 referrals erased (given before 2026-02-15, 1 months)" in result.output
    assert "Prospect details erased: 2 referrals" in result.output

    for key in ("older", "short_old"):
        row = _referral(app, slips[key])
        assert (row.prospect_name, row.prospect_phone, row.prospect_email) == ("", "", "")
        assert row.prospect_erased_at is not None
        assert (row.note, row.giver_id is not None) == ("Bleibt", True)
    for key, name in (("boundary", "Bea Grenze"), ("short_new", "Nina Neu")):
        row = _referral(app, slips[key])
        assert (row.prospect_name, row.prospect_erased_at) == (name, None)
    assert _referral(app, slips["empty"]).prospect_erased_at is None
    with app.test_request_context():
        trail = {
            e.entity_id: e.after["prospect_name"]
            for e in db.session.execute(select(AuditEntry)).scalars()
        }
    assert trail[slips["older"]] == "" and trail[slips["boundary"]] == "Bea Grenze"

    again = runner.invoke(args=["circle", "purge-prospects", "--today", TODAY.isoformat()])
    assert again.exit_code == 0
    assert "Prospect details erased: 0 referrals" in again.output
    # The next day the boundary referral is older than 24 months.
    later = runner.invoke(args=["circle", "purge-prospects", "--today", "2026-03-16"])
    assert "Kreis Lang: 1 referrals erased" in later.output
    assert _referral(app, slips["boundary"]).prospect_name == ""


def test_a_bad_day_is_a_usage_error(app):
    result = app.test_cli_runner().invoke(args=["circle", "purge-prospects", "--today", "15.3."])
    assert result.exit_code == 2


def _settings(client, circle_id: int) -> dict:
    """The settings form's current values as a browser sends them."""
    page = client.get(f"/circles/{circle_id}/settings").get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
    for name in re.findall(r'<select[^>]*name="(\w+)"', page):
        block = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"', block) or re.search(
            r'<option[^>]*value="([^"]*)"[^>]*selected', block
        )
        data[name] = chosen.group(1)
    for box in (
        "show_thank_amount",
        "revenue_open_to_members",
        "late_counts_half",
        "require_two_factor",
    ):
        data.pop(box, None)
    return data


@pytest.mark.parametrize("value", ["0", "121", "zwölf"])
def test_the_retention_setting_takes_1_to_120_months(app, client, auth, make, value):
    admin = make.user(locale="en")
    circle = make.circle(admin=admin)
    auth.login(admin)
    data = _settings(client, circle.id)
    assert data["prospect_retention_months"] == "24"
    refused = client.post(
        f"/circles/{circle.id}/settings", data={**data, "prospect_retention_months": value}
    )
    assert refused.status_code == 422
    if value != "zwölf":
        assert "Enter a whole number from 1 to 120." in text(refused)
    saved = client.post(
        f"/circles/{circle.id}/settings", data={**data, "prospect_retention_months": "36"}
    )
    assert saved.status_code == 302
    with app.test_request_context():
        assert db.session.get(Circle, circle.id).prospect_retention_months == 36


def test_a_plain_member_cannot_change_the_retention(app, client, auth, make):
    circle = make.circle()
    member = make.member(circle)
    auth.login(member.user)
    assert client.get(f"/circles/{circle.id}/settings").status_code == 403
    token = any_csrf_token(client)
    refused = client.post(
        f"/circles/{circle.id}/settings",
        data={"csrf_token": token, "name": "X", "prospect_retention_months": "1"},
    )
    assert refused.status_code == 403
    with app.test_request_context():
        assert db.session.get(Circle, circle.id).prospect_retention_months == 24
