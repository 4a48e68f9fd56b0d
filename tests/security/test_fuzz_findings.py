"""What the fuzzers found (tests/security/test_fuzz_api.py and test_fuzz_forms.py), pinned down.

Separate from the fuzzers: those hold one module-wide transaction, which SQLite would not
share with the per-test ``app`` fixture used here.
"""

from __future__ import annotations

import io
from datetime import date

import pytest

from tests.dues.webhooks import deliver, dues, state
from tests.imports.support import checked, world
from tests.imports.support import counts as import_counts
from tests.pages import csrf_token, page_forms, text

__all__ = ["dues", "world"]  # fixtures of the import and webhook tests, shared here


@pytest.mark.parametrize("by", ["month", "week"])
def test_the_ledger_reaches_the_last_day_of_the_calendar(make, auth, client, by):
    """Found by the fuzzer: a period ending on 9999-12-31 overflowed (500)."""
    circle = make.circle()
    member = make.member(circle)
    auth.login(member.user)
    response = client.get(f"/circles/{circle.id}/ledger?from=9999-12-01&to=9999-12-31&by={by}")
    assert response.status_code == 200
    assert "9999" in response.get_data(as_text=True)


def test_a_nul_character_in_a_form_is_refused_with_a_message_and_nothing_changes(
    app, make, auth, client
):
    """Found by the form fuzzer on PostgreSQL, which cannot store NUL: void reasons, token
    names, decline reasons ... answered 500."""
    from circle.extensions import db
    from circle.models import Meeting

    admin = make.user()
    circle = make.circle(admin=admin)
    meeting = make.meeting(circle, date(2030, 1, 2))
    auth.login(admin)
    page = client.get(f"/circles/{circle.id}/meetings/{meeting.id}")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        f"/circles/{circle.id}/meetings/{meeting.id}/cancel",
        data={"csrf_token": token, "reason": "Feier\x00tag"},
    )
    assert response.status_code == 422
    assert "Enthält Zeichen, die nicht erlaubt sind." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Meeting, meeting.id).status == "scheduled"


@pytest.mark.parametrize("huge", [2**31, 10**40])
def test_an_id_beyond_the_database_range_names_no_member(ctx, make, db, huge):
    """Found by the deep form fuzzer on PostgreSQL: correcting closed business with a member
    id of 10**40 reached the driver ("integer out of range", 500). Every lookup by an id
    from a form goes through ``owned`` or ``active_member``; both answer "not found"."""
    from circle.circles.access import owned
    from circle.core.errors import NotAMember
    from circle.models import Membership
    from circle.referrals.reading import active_member

    circle = db.session.merge(make.circle())
    assert owned(Membership, circle.id, huge) is None
    with pytest.raises(NotAMember):
        active_member(circle, huge, "thanked_id")


# --- issue 12, item 13: 500s at the calendar's edges and past 64 bits -----------------


@pytest.mark.parametrize("page", ["balance", "balance/pairs", "balance/matrix", "balance.csv"])
def test_a_balance_range_ending_on_the_last_day_of_the_calendar_is_answered(
    make, auth, client, page
):
    """Issue 12, item 13: a custom range 2000-01-01..9999-12-31 overflowed while the
    comparison period before it was computed (500). It is a range like any other."""
    admin = make.user()
    circle = make.circle(admin=admin)
    auth.login(admin)
    response = client.get(f"/circles/{circle.id}/{page}?from=2000-01-01&to=9999-12-31")
    assert response.status_code == 200


def test_the_balance_api_answers_a_range_ending_on_the_last_day_of_the_calendar(make, api):
    """Issue 12, item 13: the same overflow behind ``GET /api/v1/circles/{id}/balance``."""
    admin = make.user()
    circle = make.circle(admin=admin)
    response = api.as_user(admin).get(
        f"/api/v1/circles/{circle.id}/balance?from=2000-01-01&to=9999-12-31"
    )
    assert response.status_code == 200
    assert response.get_json()["period"]["to"] == "9999-12-31"


def test_the_referral_list_api_ending_on_the_first_day_of_the_calendar_is_empty(make, api):
    """Found while looking for the same class: ``to=0001-01-01`` without ``from`` went 29
    days before the calendar's first day (500)."""
    admin = make.user()
    circle = make.circle(admin=admin)
    response = api.as_user(admin).get(f"/api/v1/circles/{circle.id}/referrals?to=0001-01-01")
    assert response.status_code == 200
    assert response.get_json()["items"] == []


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("0001-01-01", "Vor dem 01.01.2000 gibt es keine Berichte."),
        ("1999-12-31", "Vor dem 01.01.2000 gibt es keine Berichte."),
        ("9999-12-31", "Diese Woche hat noch nicht begonnen."),
    ],
)
def test_a_week_report_at_the_calendar_edges_is_a_clear_refusal(
    make, auth, client, api, day, message
):
    """Issue 12, item 13: ``GET /api/v1/circles/{id}/weeks/0001-01-01/report`` reached
    before the calendar's first day for the week's start (500); 9999-12-31 went past its
    last day for the week's end. Both answer 422 with a message, on the page and the API."""
    admin = make.user()
    circle = make.circle(admin=admin)
    auth.login(admin)
    page = client.get(f"/circles/{circle.id}/weeks/{day}/report")
    assert page.status_code == 422
    assert message in page.get_data(as_text=True)
    response = api.as_user(admin).get(f"/api/v1/circles/{circle.id}/weeks/{day}/report")
    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


@pytest.mark.parametrize("member", ["99999999999999999999", "2147483648", "-1", "7abc", "%C3%A9"])
def test_the_dues_admin_page_with_a_member_id_past_any_column_is_answered(
    make, auth, client, member
):
    """Issue 12, item 13: ``/dues/admin?member=99999999999999999999`` reached the driver
    (SQLite: OverflowError; PostgreSQL: integer out of range, 500). Such an id names no
    member: the page shows with nobody chosen, as for any unknown id."""
    admin = make.user()
    circle = make.circle(admin=admin)
    auth.login(admin)
    response = client.get(f"/circles/{circle.id}/dues/admin?member={member}")
    assert response.status_code == 200


def test_a_payment_up_to_the_last_day_of_the_calendar_does_not_break_the_dues_page(
    app, make, auth, client, forms
):
    """Found while looking for the same class: a treasurer may record a payment whose
    period ends 9999-12-31; the next period's defaults then began the day after (500)."""
    admin = make.user()
    circle = make.circle(admin=admin)
    member = make.member(circle)
    auth.login(admin)
    page = f"/circles/{circle.id}/dues/admin"
    plan = {"amount": "600,00", "interval": "year", "grace_days": "14"}
    assert forms.submit(page, plan, action=f"/circles/{circle.id}/dues/plan").status_code == 302
    payment = {
        "member": str(member.id),
        "amount": "600,00",
        "period_start": "9999-01-01",
        "period_end": "9999-12-31",
        "paid_on": "2026-01-02",
    }
    response = forms.submit(page, payment, action=f"/circles/{circle.id}/dues/payments")
    assert response.status_code == 302
    response = client.get(f"{page}?member={member.id}")
    assert response.status_code == 200
    assert 'value="9999-12-31"' in response.get_data(as_text=True)


# --- issue 12, item 13: the other three 500s (fixed in the importer and the webhook) -----


UTF7_XML = (
    b'<?xml version="1.0" encoding="UTF-7"?>\n'
    b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>\n'
)


def test_an_xml_file_declaring_utf_7_is_refused_with_a_message(app, client, auth, api, world):
    """Issue 12, item 13: an upload declaring ``encoding="UTF-7"`` made the XML parser
    raise outside the importer's refusals (500). It is an unreadable file: its job fails
    with the reason on the page, 422 on the API, nothing imported."""
    auth.login(world["admin"])
    page = checked(app, client, world["circle"].id, name="slips.xls", data=UTF7_XML)
    assert page.status_code == 200 and "alert--error" in page.get_data(as_text=True)
    api.as_user(world["admin"])
    refused = api.post(
        f"/api/v1/circles/{world['circle'].id}/imports",
        data={"file": (io.BytesIO(UTF7_XML), "slips.xls"), "date": "2025-03-05"},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert import_counts(app) == (0, 0, 0, 0, 0)


def test_a_json_array_sent_to_the_webhook_with_a_valid_signature_is_400(app, client, dues):
    """Issue 12, item 13: a correctly signed JSON array was taken for an event (500)."""
    response = deliver(client, '[{"id": "evt_1", "type": "invoice.paid"}]')
    assert response.status_code == 400
    assert state(app) == ([], [], [])
