"""What the fuzzers found (tests/test_fuzz_api.py, tests/test_fuzz_forms.py), pinned down.

Separate from the fuzzers: those hold one module-wide transaction, which SQLite would not
share with the per-test ``app`` fixture used here.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import csrf_token


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
    from circle.circles.services import owned
    from circle.errors import NotAMember
    from circle.models import Membership
    from circle.referrals.services import active_member

    circle = db.session.merge(make.circle())
    assert owned(Membership, circle.id, huge) is None
    with pytest.raises(NotAMember):
        active_member(circle, huge, "thanked_id")
