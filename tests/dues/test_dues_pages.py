"""The dues pages through their real HTML forms (with CSRF): my status, the plan form,
manual payments, the dues list and its CSV, the pay-off numbers, the Stripe buttons
without keys, the return page, and 403/404 for everyone who may not see them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from circle.core.weeks import today_for
from circle.dues import services as ds
from circle.extensions import db
from circle.models import AuditEntry, ClosedBusiness, DuesPlan, Membership, Payment
from tests.dues.stripe_http import RecordingHTTPClient
from tests.pages import any_csrf_token, text


def tr(app, msgid: str, **values) -> str:
    """``msgid`` as the German UI shows it (English until the catalog has it)."""
    with app.test_request_context(), force_locale("de"):
        return _(msgid, **values)


def save(app, *objects):
    """Insert rows and commit (inside the test's rolled-back transaction)."""
    with app.test_request_context():
        for obj in objects:
            db.session.add(obj)
        db.session.commit()
        db.session.remove()


def today(app, circle) -> date:
    """Today in the circle's time zone."""
    with app.test_request_context():
        return today_for(circle)


def count(app, model) -> int:
    """How many rows a table holds."""
    with app.test_request_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def dues_circle(app, make):
    """A circle (admin = treasurer), two members, a yearly plan of 600,00 €."""
    admin = make.user(name="Tina Treasurer")
    circle = make.circle(admin=admin)
    max_user = make.user(name="Max Mitglied")
    max_ = make.member(circle, max_user)
    eva_user = make.user(name="Eva Early")
    eva = make.member(circle, eva_user)
    save(
        app,
        DuesPlan(
            circle_id=circle.id, amount_minor=60_000, currency="EUR", interval="year", grace_days=14
        ),
    )
    return {
        "circle": circle,
        "admin": admin,
        "max": max_,
        "max_user": max_user,
        "eva": eva,
        "eva_user": eva_user,
    }


def set_joined(app, member, when: datetime) -> None:
    """Move a member's joining day."""
    with app.test_request_context():
        db.session.get(Membership, member.id).joined_at = when
        db.session.commit()
        db.session.remove()


# --- my status ------------------------------------------------------------------------


def test_member_sees_paid_grace_and_overdue_as_the_data_says(app, client, auth, dues_circle, make):
    c = dues_circle
    circle, now = c["circle"], today(app, c["circle"])
    auth.login(c["max_user"])
    url = f"/circles/{circle.id}/dues"

    # joined today, nothing paid: within the 14 days of grace
    page = client.get(url)
    assert page.status_code == 200 and 'data-state="grace"' in text(page)

    # joined 20 days ago, nothing paid: overdue
    set_joined(app, c["max"], datetime.combine(now - timedelta(days=20), datetime.min.time(), UTC))
    assert 'data-state="overdue"' in text(client.get(url))

    # paid through next month: paid, with the date in the user's (German) locale
    through = now + timedelta(days=40)
    make.payment(c["max"], now - timedelta(days=20), through, now, amount=60_000)
    page = text(client.get(url))
    assert 'data-state="paid"' in page
    with app.test_request_context(), force_locale("de"):
        from flask_babel import format_date

        assert format_date(through, "long") in page
    assert "600,00\xa0€" in page  # plan and payment in format_money (de)


def test_no_plan_means_no_dues(app, client, auth, make):
    user = make.user()
    circle = make.circle()
    make.member(circle, user)
    auth.login(user)
    page = client.get(f"/circles/{circle.id}/dues")
    assert page.status_code == 200 and 'data-state="no_plan"' in text(page)


def test_without_stripe_keys_the_page_says_online_payment_is_not_configured(
    app, client, auth, dues_circle
):
    c = dues_circle
    assert not app.config["STRIPE_SECRET_KEY"]
    auth.login(c["max_user"])
    url = f"/circles/{c['circle'].id}/dues"
    page = text(client.get(url))
    assert 'id="online-not-configured"' in page and 'id="pay-online"' not in page
    # posting anyway changes nothing and says so
    token = any_csrf_token(client)
    for action in ("checkout", "portal"):
        response = client.post(f"{url}/{action}", data={"csrf_token": token})
        assert response.status_code == 302 and response.location.endswith(url)
        assert tr(app, "Online payment is not configured.") in text(client.get(url))
    assert count(app, Payment) == 0


def test_checkout_post_needs_csrf(client, auth, dues_circle):
    auth.login(dues_circle["max_user"])
    response = client.post(f"/circles/{dues_circle['circle'].id}/dues/checkout")
    assert response.status_code == 400


def test_the_return_page_says_processing_and_never_marks_paid(app, client, auth, dues_circle):
    c = dues_circle
    auth.login(c["max_user"])
    before = count(app, Payment)
    page = client.get(f"/circles/{c['circle'].id}/dues/return?session_id=cs_test_123")
    assert page.status_code == 200
    body = text(page)
    assert tr(app, "Payment is being processed.") in body
    assert 'data-state="grace"' in body
    assert count(app, Payment) == before


def test_another_circles_member_gets_404_everywhere(app, client, auth, make, dues_circle):
    c = dues_circle
    outsider = make.user()
    make.circle(admin=outsider)
    auth.login(outsider)
    cid = c["circle"].id
    for url in (
        f"/circles/{cid}/dues",
        f"/circles/{cid}/dues/return?session_id=x",
        f"/circles/{cid}/dues/admin",
        f"/circles/{cid}/dues.csv",
        f"/circles/{cid}/dues/payoff",
    ):
        assert client.get(url).status_code == 404, url
    token = any_csrf_token(client)
    for url in ("checkout", "portal", "plan", "payments"):
        response = client.post(f"/circles/{cid}/dues/{url}", data={"csrf_token": token})
        assert response.status_code == 404, url


def test_a_plain_member_gets_403_on_the_admin_page_and_its_posts(app, client, auth, dues_circle):
    c = dues_circle
    auth.login(c["max_user"])
    cid = c["circle"].id
    assert client.get(f"/circles/{cid}/dues/admin").status_code == 403
    assert client.get(f"/circles/{cid}/dues.csv").status_code == 403
    token = any_csrf_token(client)
    plans, payments = count(app, DuesPlan), count(app, Payment)
    response = client.post(
        f"/circles/{cid}/dues/plan",
        data={"csrf_token": token, "amount": "1,00", "interval": "year", "grace_days": "14"},
    )
    assert response.status_code == 403
    response = client.post(
        f"/circles/{cid}/dues/payments",
        data={
            "csrf_token": token,
            "member": str(c["max"].id),
            "amount": "600,00",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "paid_on": "2026-01-02",
        },
    )
    assert response.status_code == 403
    assert (count(app, DuesPlan), count(app, Payment)) == (plans, payments)


# --- the plan form ----------------------------------------------------------------------


def test_plan_form_parses_a_german_amount(app, forms, auth, dues_circle):
    c = dues_circle
    auth.login(c["admin"])
    cid = c["circle"].id
    page = f"/circles/{cid}/dues/admin"
    response = forms.submit(
        page,
        {"amount": "600,00", "interval": "month", "joining_fee": "1.250,50", "grace_days": "30"},
        action=f"/circles/{cid}/dues/plan",
    )
    assert response.status_code == 302
    with app.test_request_context():
        plan = ds.current_plan(db.session.get(type(c["circle"]), cid))
        assert (plan.amount_minor, plan.interval, plan.joining_fee_minor, plan.grace_days) == (
            60_000,
            "month",
            125_050,
            30,
        )
        assert plan.currency == "EUR" and plan.stripe_price_id is None
        archived = db.session.execute(
            select(func.count()).select_from(DuesPlan).where(DuesPlan.archived_at.is_not(None))
        ).scalar_one()
        assert archived == 1


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"amount": "0"}, "The amount must be greater than zero."),
        ({"amount": "-5,00"}, "The amount must be greater than zero."),
        ({"grace_days": "91"}, "The grace period is 0 to %(n)s days."),
        ({"amount": "zwölf"}, None),
        ({"stripe_price_id": "prod_123"}, "A Stripe Price id looks like price_1AbC…"),
    ],
)
def test_plan_form_refusals_change_nothing(app, forms, auth, dues_circle, data, field_message):
    c = dues_circle
    auth.login(c["admin"])
    cid = c["circle"].id
    plans = count(app, DuesPlan)
    payload = {"amount": "600,00", "interval": "year", "grace_days": "14"} | data
    response = forms.submit(
        f"/circles/{cid}/dues/admin", payload, action=f"/circles/{cid}/dues/plan"
    )
    assert response.status_code == 422
    assert 'role="alert"' in text(response)
    if field_message:
        assert tr(app, field_message, n=90) in text(response)
    assert count(app, DuesPlan) == plans


# --- manual payments ----------------------------------------------------------------------


def test_manual_payment_form_defaults_to_the_next_period(app, client, auth, dues_circle, make):
    c = dues_circle
    circle = c["circle"]
    make.payment(c["max"], date(2025, 3, 1), date(2026, 2, 28), date(2025, 3, 1))
    auth.login(c["admin"])
    page = text(client.get(f"/circles/{circle.id}/dues/admin?member={c['max'].id}"))
    assert 'value="2026-03-01"' in page  # the day after paid-through
    assert 'value="2027-02-28"' in page  # one year later (period_end)
    assert 'value="600,00"' in page  # the plan's amount, typed the German way


def test_recording_a_manual_payment_marks_the_member_paid(app, client, forms, auth, dues_circle):
    c = dues_circle
    circle = c["circle"]
    now = today(app, circle)
    auth.login(c["admin"])
    response = forms.submit(
        f"/circles/{circle.id}/dues/admin",
        {
            "member": str(c["max"].id),
            "amount": "600,00",
            "period_start": now.isoformat(),
            "period_end": (now + timedelta(days=364)).isoformat(),
            "paid_on": now.isoformat(),
            "reference": "Überweisung 4711",
            "note": "bar",
        },
        action=f"/circles/{circle.id}/dues/payments",
    )
    assert response.status_code == 302
    with app.test_request_context():
        payment = db.session.execute(select(Payment)).scalar_one()
        assert (payment.membership_id, payment.amount_minor, payment.source) == (
            c["max"].id,
            60_000,
            "manual",
        )
        assert payment.reference == "Überweisung 4711"
        assert db.session.execute(
            select(AuditEntry).where(AuditEntry.entity == "payment")
        ).scalar_one()
    page = text(client.get(f"/circles/{circle.id}/dues/admin?status=paid"))
    assert f'data-member="{c["max"].id}" data-state="paid"' in page
    assert f'data-member="{c["eva"].id}"' not in page


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"amount": "0"}, 422),
        ({"amount": "-1"}, 422),
        ({"period_end": "2025-12-31"}, 422),  # before the start
        ({"paid_on": "2999-01-01"}, 422),  # in the future
        ({"period_start": "kein Datum"}, 422),
        ({"member": "999999"}, 422),  # not a member of this circle
    ],
)
def test_manual_payment_refusals_write_nothing(app, forms, auth, dues_circle, change, status):
    c = dues_circle
    circle = c["circle"]
    auth.login(c["admin"])
    data = {
        "member": str(c["max"].id),
        "amount": "600,00",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "paid_on": "2026-01-02",
    } | change
    response = forms.submit(
        f"/circles/{circle.id}/dues/admin", data, action=f"/circles/{circle.id}/dues/payments"
    )
    assert response.status_code == status
    assert 'role="alert"' in text(response)
    assert count(app, Payment) == 0


def test_manual_payment_for_another_circles_member_is_refused(app, forms, auth, make, dues_circle):
    c = dues_circle
    other = make.circle()
    stranger = make.member(other)
    auth.login(c["admin"])
    cid = c["circle"].id
    response = forms.submit(
        f"/circles/{cid}/dues/admin",
        {
            "member": str(stranger.id),
            "amount": "600,00",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "paid_on": "2026-01-02",
        },
        action=f"/circles/{cid}/dues/payments",
    )
    assert response.status_code == 422
    assert count(app, Payment) == 0


# --- dues list and CSV --------------------------------------------------------------------


def test_dues_list_flags_overdue_and_filters(app, client, auth, dues_circle):
    c = dues_circle
    circle = c["circle"]
    now = today(app, circle)
    set_joined(app, c["eva"], datetime.combine(now - timedelta(days=60), datetime.min.time(), UTC))
    auth.login(c["admin"])
    page = text(client.get(f"/circles/{circle.id}/dues/admin?status=overdue"))
    assert f'data-member="{c["eva"].id}" data-state="overdue" class="flag flag--overdue"' in page
    assert f'data-member="{c["max"].id}"' not in page
    page = text(client.get(f"/circles/{circle.id}/dues/admin?status=grace"))
    assert f'data-member="{c["max"].id}" data-state="grace"' in page
    assert f'data-member="{c["eva"].id}"' not in page


def test_csv_has_plain_amounts(app, client, auth, dues_circle, make):
    c = dues_circle
    circle = c["circle"]
    now = today(app, circle)
    make.payment(
        c["max"],
        now - timedelta(days=400),
        now - timedelta(days=36),
        now - timedelta(days=400),
        100_000,
    )
    make.payment(
        c["max"],
        now - timedelta(days=35),
        now + timedelta(days=329),
        now - timedelta(days=30),
        123_450,
    )
    auth.login(c["admin"])
    response = client.get(f"/circles/{circle.id}/dues.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = {r["member"]: r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    max_row = rows["Max Mitglied"]
    assert max_row["status"] == "paid"
    assert max_row["paid_through"] == (now + timedelta(days=329)).isoformat()
    assert max_row["last_payment_on"] == (now - timedelta(days=30)).isoformat()
    assert max_row["last_payment_amount"] == "1234.50"
    assert max_row["total_paid"] == "2234.50"
    assert rows["Eva Early"]["status"] == "grace"
    assert rows["Eva Early"]["total_paid"] == "0.00"
    assert rows["Eva Early"]["last_payment_amount"] == ""


# --- does membership pay off? --------------------------------------------------------------


def _business(circle, reporter, thanked, amount, closed_on, voided=False):
    """Closed business the reporter received, thanking ``thanked``."""
    return ClosedBusiness(
        circle_id=circle.id,
        reporter_id=reporter.id,
        thanked_id=thanked.id,
        amount_minor=amount,
        currency="EUR",
        closed_on=closed_on,
        voided_at=datetime(2026, 3, 1, tzinfo=UTC) if voided else None,
        void_reason="Tippfehler" if voided else None,
    )


@pytest.fixture
def payoff_data(app, dues_circle, make):
    """Max paid 600,00 € in March 2026 (and 100,00 € outside), received 7.440,00 € in the
    period (plus a voided 1.000,00 € and 500,00 € outside); Eva paid 300,00 €, received
    nothing."""
    c = dues_circle
    circle, max_, eva = c["circle"], c["max"], c["eva"]
    make.payment(max_, date(2026, 3, 1), date(2027, 2, 28), date(2026, 3, 5), 60_000)
    make.payment(max_, date(2025, 3, 1), date(2026, 2, 28), date(2025, 12, 1), 10_000)
    make.payment(eva, date(2026, 3, 1), date(2026, 8, 31), date(2026, 3, 10), 30_000)
    save(
        app,
        _business(circle, max_, eva, 500_000, date(2026, 3, 20)),
        _business(circle, max_, eva, 244_000, date(2026, 3, 31)),
        _business(circle, max_, eva, 100_000, date(2026, 3, 25), voided=True),
        _business(circle, max_, eva, 50_000, date(2026, 4, 1)),
        _business(circle, eva, max_, 7_000, date(2026, 4, 2)),
    )
    return c


def test_payoff_for_a_member_is_exact(app, client, auth, payoff_data):
    c = payoff_data
    auth.login(c["max_user"])
    response = client.get(
        f"/circles/{c['circle'].id}/dues/payoff?period=custom&from=2026-03-01&to=2026-03-31"
    )
    assert response.status_code == 200
    page = text(response)
    assert 'data-total="dues">600,00\xa0€' in page
    assert 'data-total="revenue">7.440,00\xa0€' in page
    assert 'data-total="difference">6.840,00\xa0€' in page
    assert (
        tr(
            app,
            "Each %(unit)s of dues brought %(amount)s of revenue.",
            unit="Euro",
            amount="12,40\xa0€",
        )
        in page
    )
    assert "payoff-table" not in page  # a member sees only their own numbers


def test_payoff_for_the_admin_lists_every_member(app, client, auth, payoff_data):
    c = payoff_data
    auth.login(c["admin"])
    response = client.get(
        f"/circles/{c['circle'].id}/dues/payoff?period=custom&from=2026-03-01&to=2026-03-31"
    )
    page = text(response)
    assert response.status_code == 200 and 'id="payoff-table"' in page
    eva_row = page.split(f'data-member="{c["eva"].id}"')[1].split("</tr>")[0]
    assert 'data-col="dues">300,00\xa0€' in eva_row
    assert 'data-col="revenue">0,00\xa0€' in eva_row
    assert 'data-col="difference">-300,00\xa0€' in eva_row
    footer = page.split("<tfoot>")[1]
    assert 'data-col="dues">900,00\xa0€' in footer
    assert 'data-col="revenue">7.440,00\xa0€' in footer


def test_payoff_sums_every_member_in_one_statement(app, payoff_data, count_queries):
    from circle.core.periods import Period
    from circle.dues import payoff

    c = payoff_data
    with app.test_request_context():
        period = Period(date(2026, 3, 1), date(2026, 4, 30))
        with count_queries() as queries:
            rows = {
                row.member.id: (row.dues, row.revenue) for row in payoff.payoff(c["circle"], period)
            }
        assert queries.count == 1
        assert rows[c["max"].id] == (60_000, 794_000)
        assert rows[c["eva"].id] == (30_000, 7_000)
        assert set(rows.values()) - {(0, 0)} == {(60_000, 794_000), (30_000, 7_000)}
        only = payoff.payoff(c["circle"], period, c["eva"])
        assert [(row.member.id, row.dues, row.revenue) for row in only] == [
            (c["eva"].id, 30_000, 7_000)
        ]


def test_payoff_with_a_bad_period_is_refused(app, client, auth, payoff_data):
    c = payoff_data
    auth.login(c["max_user"])
    response = client.get(
        f"/circles/{c['circle'].id}/dues/payoff?period=custom&from=2026-04-01&to=2026-03-01"
    )
    assert response.status_code == 422 and 'role="alert"' in text(response)


# --- with Stripe configured (the in-process Stripe API of the Checkout tests) ---------------


@pytest.fixture
def stripe_http(app):
    """Stripe configured, answered by an in-process recording HTTP client."""
    recorder = RecordingHTTPClient()
    app.config.update(STRIPE_SECRET_KEY="sk_test_circle")
    app.extensions["stripe_http_client"] = recorder
    yield recorder
    app.extensions.pop("stripe_http_client", None)


def test_pay_online_goes_to_checkout_and_the_return_marks_nothing(
    app, client, auth, stripe_http, dues_circle
):
    c = dues_circle
    cid = c["circle"].id
    auth.login(c["max_user"])
    url = f"/circles/{cid}/dues"
    page = text(client.get(url))
    assert 'id="pay-online"' in page and 'id="online-not-configured"' not in page
    response = client.post(f"{url}/checkout", data={"csrf_token": any_csrf_token(client, url)})
    assert response.status_code == 303
    assert response.location.startswith("https://checkout.stripe.com/")
    sent = next(r for r in stripe_http.requests if r["path"] == "/v1/checkout/sessions")["form"]
    assert sent["client_reference_id"] == str(c["max"].id)
    assert sent["success_url"].endswith(
        f"/circles/{cid}/dues/return?session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert sent["cancel_url"].endswith(f"/circles/{cid}/dues")
    back = client.get(f"{url}/return?session_id=cs_test_3")
    assert tr(app, "Payment is being processed.") in text(back)
    assert 'data-state="grace"' in text(back)
    assert count(app, Payment) == 0


def test_portal_without_an_online_payment_says_so(
    app, client, auth, forms, stripe_http, dues_circle
):
    c = dues_circle
    auth.login(c["max_user"])
    url = f"/circles/{c['circle'].id}/dues"
    response = client.post(
        f"{url}/portal", data={"csrf_token": any_csrf_token(client, url)}, follow_redirects=True
    )
    assert response.status_code == 200
    assert tr(app, "You have not paid online yet.") in text(response)
    assert stripe_http.requests == []


def test_a_running_subscription_offers_the_portal_instead_of_a_second_checkout(
    app, client, auth, stripe_http, dues_circle
):
    from circle.extensions import db
    from circle.models import DuesSubscription

    c = dues_circle
    cid = c["circle"].id
    with app.app_context():
        db.session.add(
            DuesSubscription(
                circle_id=cid,
                membership_id=c["max"].id,
                stripe_customer_id="cus_test_1",
                stripe_subscription_id="sub_test_1",
                status="active",
            )
        )
        db.session.commit()
        db.session.remove()
    auth.login(c["max_user"])
    page = client.get(f"/circles/{cid}/dues").get_data(as_text=True)
    assert f'action="/circles/{cid}/dues/checkout"' not in page
    assert f'action="/circles/{cid}/dues/portal"' in page


def test_only_the_member_page_lets_its_forms_continue_to_stripe(app, client, auth, dues_circle):
    """Browsers check form-action on the redirect after a POST: Pay online goes to Stripe."""
    c = dues_circle
    auth.login(c["max_user"])
    cid = c["circle"].id
    for url in (f"/circles/{cid}/dues", f"/circles/{cid}/dues/return?session_id=cs_1"):
        policy = client.get(url).headers["Content-Security-Policy"]
        assert (
            "form-action 'self' https://checkout.stripe.com https://billing.stripe.com;" in policy
        )
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    policy = client.get(f"/circles/{cid}/dues/payoff").headers["Content-Security-Policy"]
    assert "form-action 'self';" in policy and "stripe" not in policy
