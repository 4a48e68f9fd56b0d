"""Who runs the dues: the permission ``manage_dues`` (admins, president, secretary/treasurer).

The secretary/treasurer is a plain member with an officer role, not a circle admin; they
set the plan, record manual payments, see the dues list, its CSV and everyone's pay-off.
Members without the role get 403, members of other circles (even their admins) 404.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from circle.core.weeks import today_for
from circle.extensions import db
from circle.models import AuditEntry, DuesPlan, Payment
from tests.pages import any_csrf_token, text


def count(app, model) -> int:
    """How many rows a table holds."""
    with app.test_request_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def roles_circle(app, make):
    """A circle with a treasurer (officer role, not admin), a committee member and a member."""
    circle = make.circle(admin=make.user(name="Anna Admin"))
    tom_user = make.user(name="Tom Treasurer")
    tom = make.officer(make.member(circle, tom_user), "secretary_treasurer")
    kim_user = make.user(name="Kim Committee")
    make.officer(make.member(circle, kim_user), "membership_committee")
    max_user = make.user(name="Max Mitglied")
    max_ = make.member(circle, max_user)
    with app.test_request_context():
        db.session.add(
            DuesPlan(
                circle_id=circle.id,
                amount_minor=60_000,
                currency="EUR",
                interval="year",
                grace_days=14,
            )
        )
        db.session.commit()
        now = today_for(circle)
        db.session.remove()
    return {
        "circle": circle,
        "tom": tom,
        "tom_user": tom_user,
        "kim_user": kim_user,
        "max": max_,
        "max_user": max_user,
        "today": now,
    }


def payment_form(member_id: int, now) -> dict[str, str]:
    """A filled manual payment form: one year from today, paid today."""
    return {
        "member": str(member_id),
        "amount": "600,00",
        "period_start": now.isoformat(),
        "period_end": (now + timedelta(days=364)).isoformat(),
        "paid_on": now.isoformat(),
        "reference": "Überweisung 0815",
    }


def test_the_treasurer_records_a_manual_payment(app, client, forms, auth, roles_circle):
    c = roles_circle
    cid, now = c["circle"].id, c["today"]
    auth.login(c["tom_user"])
    response = forms.submit(
        f"/circles/{cid}/dues/admin",
        payment_form(c["max"].id, now),
        action=f"/circles/{cid}/dues/payments",
    )
    assert response.status_code == 302
    with app.test_request_context():
        payment = db.session.execute(select(Payment)).scalar_one()
        assert (payment.membership_id, payment.amount_minor, payment.source) == (
            c["max"].id,
            60_000,
            "manual",
        )
        assert payment.recorded_by_id == c["tom_user"].id
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.entity == "payment")
        ).scalar_one()
        assert entry.actor_id == c["tom_user"].id
    # the member now reads "paid" on their own page
    auth.logout()
    auth.login(c["max_user"])
    assert 'data-state="paid"' in text(client.get(f"/circles/{cid}/dues"))


def test_the_treasurer_sets_the_plan_and_sees_list_csv_but_only_their_own_payoff(
    app, client, forms, auth, roles_circle
):
    c = roles_circle
    cid = c["circle"].id
    auth.login(c["tom_user"])
    circle_page = text(client.get(f"/circles/{cid}"))
    assert f'href="/circles/{cid}/dues/admin"' in circle_page
    admin_page = client.get(f"/circles/{cid}/dues/admin")
    assert admin_page.status_code == 200 and "Max Mitglied" in text(admin_page)
    response = forms.submit(
        f"/circles/{cid}/dues/admin",
        {"amount": "50,00", "interval": "month", "grace_days": "7"},
        action=f"/circles/{cid}/dues/plan",
    )
    assert response.status_code == 302
    with app.test_request_context():
        plan = db.session.execute(
            select(DuesPlan).where(DuesPlan.archived_at.is_(None))
        ).scalar_one()
        assert (plan.amount_minor, plan.interval, plan.grace_days) == (5_000, "month", 7)
    csv_response = client.get(f"/circles/{cid}/dues.csv")
    assert csv_response.status_code == 200 and "Max Mitglied" in csv_response.get_data(True)
    # Pay-off compares dues with the revenue members earned: other members' amounts,
    # which only ``see_amounts`` shows (circle.roles.permissions.sees_amounts).
    payoff = text(client.get(f"/circles/{cid}/dues/payoff"))
    assert 'id="payoff-mine"' in payoff and 'id="payoff-table"' not in payoff
    assert "Max Mitglied" not in payoff


@pytest.mark.parametrize("who", ["max_user", "kim_user"])
def test_members_without_the_role_get_403_and_nothing_changes(app, client, auth, roles_circle, who):
    c = roles_circle
    cid = c["circle"].id
    auth.login(c[who])
    assert f'href="/circles/{cid}/dues/admin"' not in text(client.get(f"/circles/{cid}"))
    assert client.get(f"/circles/{cid}/dues/admin").status_code == 403
    assert client.get(f"/circles/{cid}/dues.csv").status_code == 403
    payoff = text(client.get(f"/circles/{cid}/dues/payoff"))
    assert 'id="payoff-mine"' in payoff and 'id="payoff-table"' not in payoff
    token = any_csrf_token(client)
    before = count(app, DuesPlan), count(app, Payment)
    response = client.post(
        f"/circles/{cid}/dues/payments",
        data={"csrf_token": token, **payment_form(c["max"].id, c["today"])},
    )
    assert response.status_code == 403
    response = client.post(
        f"/circles/{cid}/dues/plan",
        data={"csrf_token": token, "amount": "1,00", "interval": "year", "grace_days": "14"},
    )
    assert response.status_code == 403
    assert (count(app, DuesPlan), count(app, Payment)) == before


def test_another_circles_admin_and_treasurer_get_404(app, client, make, auth, roles_circle):
    c = roles_circle
    cid = c["circle"].id
    other_admin = make.user()
    other = make.circle(admin=other_admin)
    other_treasurer = make.user()
    make.officer(make.member(other, other_treasurer), "secretary_treasurer")
    for user in (other_admin, other_treasurer):
        auth.login(user)
        for url in (f"/circles/{cid}/dues/admin", f"/circles/{cid}/dues.csv"):
            assert client.get(url).status_code == 404, url
        token = any_csrf_token(client)
        response = client.post(
            f"/circles/{cid}/dues/payments",
            data={"csrf_token": token, **payment_form(c["max"].id, c["today"])},
        )
        assert response.status_code == 404
        auth.logout()
    assert count(app, Payment) == 0


def test_a_treasurer_cannot_record_a_payment_for_another_circles_member(
    app, client, forms, make, auth, roles_circle
):
    c = roles_circle
    cid = c["circle"].id
    other = make.circle()
    stranger = make.member(other)
    auth.login(c["tom_user"])
    response = forms.submit(
        f"/circles/{cid}/dues/admin",
        payment_form(stranger.id, c["today"]),
        action=f"/circles/{cid}/dues/payments",
    )
    assert response.status_code == 422
    assert count(app, Payment) == 0
