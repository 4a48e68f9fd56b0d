"""Personal data (DSGVO): a member downloads everything about them (page and API) and
deletes their account; the circle's totals stay, payments are kept by law, Stripe forgets."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from circle.core.clock import utcnow
from circle.extensions import db
from circle.models import (
    ApiToken,
    AuditEntry,
    Circle,
    DuesSubscription,
    Membership,
    Payment,
    Referral,
    User,
    UserSession,
    Visitor,
)
from circle.privacy import erase
from circle.referrals import services as rs
from tests.dues.stripe_http import API_VERSION, RecordingHTTPClient
from tests.pages import submit, text

TODAY = datetime.now(ZoneInfo("Europe/Berlin")).date()


@pytest.fixture
def chapter(app, make):
    """Anna (the only admin), Max (who exports and deletes), Paula; slips between them.

    Max gives Paula a referral with his prospect Karl; Paula gives Max one with her
    prospect Gisela and Anna one with Frieda. Paula thanks Max for 1.234,50 €, Max thanks
    Paula for 99,00 €. Max paid his dues (manual) and invited a visitor; Wanda waits for
    Max's profession on the waitlist.
    """
    anna = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=anna, name="Kreis Köln-Süd")
    max_ = make.user(name="Max Maler", email="max@example.org", locale="en")
    paula = make.user(name="Paula Pharma", email="paula@example.org", locale="en")
    m = make.member(circle, max_, profession="Maler")
    p = make.member(circle, paula, profession="Apotheker")
    wanda = make.user(name="Wanda Wartend", locale="en")
    w = make.member(circle, wanda, profession="Maler", status="waitlisted")
    with app.test_request_context():
        here = db.session.get(Circle, circle.id)
        me, her = db.session.get(Membership, m.id), db.session.get(Membership, p.id)
        admin = db.session.execute(
            select(Membership).where(Membership.user_id == anna.id)
        ).scalar_one()
        day = TODAY - timedelta(days=1)
        rs.give_referrals(
            here,
            me,
            [rs.ReferralInput(her.id, day, prospect_name="Karl Kunde", prospect_phone="0221 111")],
            notify=False,
        )
        rs.give_referrals(
            here,
            her,
            [
                rs.ReferralInput(me.id, day, prospect_name="Gisela Geheim", note="Ruf sie an"),
                rs.ReferralInput(admin.id, day, prospect_name="Frieda Fremd"),
            ],
            notify=False,
        )
        rs.report_closed_business(here, her, rs.BusinessInput(me.id, 123_450, day), notify=False)
        rs.report_closed_business(here, me, rs.BusinessInput(her.id, 9_900, day), notify=False)
        db.session.add_all(
            [
                Payment(
                    circle_id=circle.id,
                    membership_id=m.id,
                    source="manual",
                    amount_minor=60_000,
                    currency="EUR",
                    period_start=date(TODAY.year, 1, 1),
                    period_end=date(TODAY.year, 12, 31),
                    paid_on=day,
                    reference="Überweisung 42",
                ),
                Visitor(
                    circle_id=circle.id, name="Vera Gast", phone="0171 222", invited_by_id=m.id
                ),
            ]
        )
        db.session.commit()
        db.session.remove()
    return circle, anna, max_, paula, m, SimpleNamespace(paula=p, wanda=w)


def _export(client) -> tuple[object, dict]:
    """Download the export through the privacy page's button."""
    response = submit(client, "/account/privacy", "/account/export")
    return response, json.loads(response.get_data(as_text=True))


def test_the_export_holds_everything_about_me_and_nothing_of_others(client, auth, api, chapter):
    _circle, _anna, max_, _paula, _m, _more = chapter
    api.as_user(max_)  # a token named "test"
    auth.login(max_)
    account = client.get("/account")
    assert 'href="/account/privacy"' in text(account)
    page = client.get("/account/privacy")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"

    response, data = _export(client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="circle-export-{utcnow().date().isoformat()}.json"'
    )
    raw = response.get_data(as_text=True)
    assert data["profile"]["email"] == "max@example.org"
    assert [(x["circle"], x["profession"], x["status"]) for x in data["memberships"]] == [
        ("Kreis Köln-Süd", "Maler", "active")
    ]
    (given,) = data["referrals_given"]
    assert (given["other"], given["prospect"]["name"]) == ("Paula Pharma", "Karl Kunde")
    (received,) = data["referrals_received"]
    assert (received["other"], received["note"], received["prospect"]) == (
        "Paula Pharma",
        "Ruf sie an",
        None,
    )
    (thanked,) = data["closed_business_thanked"]
    assert (thanked["amount"], thanked["currency"]) == ("1234.50", "EUR")
    (reported,) = data["closed_business_reported"]
    assert (reported["other"], reported["amount"]) == ("Paula Pharma", "99.00")
    (payment,) = data["payments"]
    assert (payment["amount"], payment["reference"]) == ("600.00", "Überweisung 42")
    assert data["visitors_invited"][0]["name"] == "Vera Gast"
    assert [t["name"] for t in data["api_tokens"]] == ["test"]
    # Other members' prospects, addresses and secrets are not in it.
    for secret in ("Gisela Geheim", "Frieda Fremd", "paula@example.org", "anna@example.org"):
        assert secret not in raw
    assert "password" not in raw.replace("password_changed_at", "")
    with client.application.app_context():
        token = db.session.execute(select(ApiToken)).scalars().first()
        assert token.token_hash not in raw
        login = db.session.execute(select(UserSession)).scalars().first()
        assert login.session_hash not in raw
    assert [s["client_address"] for s in data["sessions"]] == ["127.0.0.1"]


def test_the_export_needs_the_csrf_token(client, auth, chapter):
    auth.login(chapter[2])
    response = client.post("/account/export")
    assert response.status_code == 400
    assert "Content-Disposition" not in response.headers


def test_the_api_offers_the_same_export_and_documents_it(app, client, api, chapter):
    circle, _anna, max_, _paula, _m, _more = chapter
    assert client.get("/api/v1/me/export").status_code == 401
    with app.test_request_context():
        db.session.get(Circle, circle.id).show_thank_amount = False  # BNI hides the amount
        db.session.commit()
    response = api.as_user(max_).get("/api/v1/me/export")
    assert response.status_code == 200
    data = response.get_json()
    assert data["referrals_given"][0]["prospect"]["name"] == "Karl Kunde"
    assert data["closed_business_thanked"][0]["amount"] is None
    assert data["closed_business_reported"][0]["amount"] == "99.00"
    assert "Gisela Geheim" not in response.get_data(as_text=True)
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "get" in spec["paths"]["/api/v1/me/export"]


def test_deleting_the_account_erases_me_but_keeps_the_circles_totals(
    app, client, auth, api, outbox, chapter
):
    circle, anna, max_, _paula, m, more = chapter
    api.as_user(max_)
    auth.login(max_)
    page = client.get("/account/privacy")
    assert "accounting records for 10 years" in text(page)
    assert "Your 1 payment record is kept" in text(page)

    wrong = submit(
        client,
        "/account/privacy",
        "/account/delete",
        {"password": "wrong password", "confirmation": "max@example.org"},
    )
    assert wrong.status_code == 422
    assert "The password is wrong." in text(wrong)
    typo = submit(
        client,
        "/account/privacy",
        "/account/delete",
        {"password": "correct horse battery", "confirmation": "max@example.com"},
    )
    assert typo.status_code == 422
    assert "Type your e-mail address exactly as shown to confirm." in text(typo)
    with app.test_request_context():
        assert db.session.get(User, max_.id).erased_at is None

    done = submit(
        client,
        "/account/privacy",
        "/account/delete",
        {"password": "correct horse battery", "confirmation": " MAX@example.org "},
    )
    assert done.status_code == 302
    assert "Your account has been deleted" in text(client.get(done.location))
    assert client.get("/account").status_code == 302  # logged out

    with app.test_request_context():
        user = db.session.get(User, max_.id)
        assert user.email == f"erased-{max_.id}@erased.invalid"
        assert (user.stored_name, user.name) == ("Former member", "Former member")
        assert user.erased_at is not None and user.session_version == 2
        seat = db.session.get(Membership, m.id)
        assert (seat.status, seat.ended_at is not None) == ("left", True)
        assert all(t.revoked_at for t in db.session.execute(select(ApiToken)).scalars())
        mine, hers = (
            db.session.execute(
                select(Referral).where(Referral.giver_id == giver).order_by(Referral.id)
            )
            .scalars()
            .first()
            for giver in (m.id, more.paula.id)
        )
        assert (mine.prospect_name, mine.prospect_phone) == ("", "")
        assert mine.prospect_erased_at is not None
        mine_id = mine.id
        assert hers.prospect_name == "Gisela Geheim"  # Paula's entry, not Max's
        assert db.session.execute(select(Payment)).scalar_one().amount_minor == 60_000
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.entity == "user")
        ).scalar_one()
        assert (entry.entity_id, entry.after) == (max_.id, {"erased": True})
        created = db.session.execute(
            select(AuditEntry).where(
                AuditEntry.entity == "referral", AuditEntry.entity_id == mine.id
            )
        ).scalar_one()
        assert created.after["prospect_name"] == ""
        # The freed seat is offered to the waitlist as usual.
        assert db.session.get(Membership, more.wanda.id).offered_at is not None
    assert any("A seat is free" in mail["Subject"] for mail in outbox())

    # Neither the old login nor the token works; the address can register again.
    assert auth.login("max@example.org").status_code == 200
    assert client.get("/account").status_code == 302
    assert api.get("/api/v1/me").status_code == 401
    api.token = None
    again = api.post(
        "/api/v1/users",
        json={"email": "max@example.org", "password": "a new password", "name": "Max Neu"},
    )
    assert again.status_code == 202  # registration answers 202 and mails a confirmation link

    # The balance still counts Max's slips, shown as a former member.
    auth.login(anna)
    overview = text(client.get(f"/circles/{circle.id}/balance?period=all"))
    assert "Former member" in overview
    assert "Max Maler" not in overview
    assert "1,234.50" in overview
    for page in (
        f"/circles/{circle.id}/balance/pairs?period=all",
        f"/circles/{circle.id}/weeks/{TODAY.isoformat()}/report",
        f"/circles/{circle.id}/referrals/{mine_id}",
    ):
        response = client.get(page)
        assert response.status_code == 200, page
        assert "Max Maler" not in text(response)
    assert "Former member" in text(client.get(f"/circles/{circle.id}/referrals/{mine_id}"))


def test_the_last_admin_must_hand_over_first(app, client, auth, chapter):
    _circle, anna, _max, _paula, _m, _more = chapter
    auth.login(anna)
    page = client.get("/account/privacy")
    assert "You are the last admin of Kreis Köln-Süd." in text(page)
    refused = submit(
        client,
        "/account/privacy",
        "/account/delete",
        {"password": "correct horse battery", "confirmation": "anna@example.org"},
    )
    assert refused.status_code == 409
    assert "Appoint another admin there before you delete your account." in text(refused)
    with app.test_request_context():
        user = db.session.get(User, anna.id)
        assert (user.email, user.erased_at) == ("anna@example.org", None)


@pytest.fixture
def stripe_http(app):
    """Stripe configured with a recording client that also deletes customers."""

    class Recorder(RecordingHTTPClient):
        def request(self, method, url, headers, post_data=None, *, _usage=None):
            if method.upper() == "DELETE" and "/v1/customers/" in url and not self.fail_with:
                self.requests.append({"method": "DELETE", "path": url.split("api.stripe.com")[-1]})
                customer = url.rsplit("/", 1)[1]
                body = {"id": customer, "object": "customer", "deleted": True}
                return json.dumps(body), 200, {}
            return super().request(method, url, headers, post_data, _usage=_usage)

    recorder = Recorder()
    app.config.update(STRIPE_SECRET_KEY="sk_test_circle", STRIPE_API_VERSION=API_VERSION)
    app.extensions["stripe_http_client"] = recorder
    yield recorder
    app.extensions.pop("stripe_http_client", None)


def _subscribe(app, circle, membership_id: int) -> None:
    """Give the member a Stripe customer, as the Checkout webhook would."""
    with app.test_request_context():
        db.session.add(
            DuesSubscription(
                circle_id=circle.id,
                membership_id=membership_id,
                stripe_customer_id="cus_max",
                stripe_subscription_id="sub_max",
                status="active",
            )
        )
        db.session.commit()


def test_the_stripe_customer_is_deleted(app, stripe_http, chapter):
    circle, _anna, max_, _paula, m, _more = chapter
    _subscribe(app, circle, m.id)
    with app.test_request_context():
        result = erase.erase_account(
            db.session.get(User, max_.id), "correct horse battery", "max@example.org"
        )
        db.session.commit()
    assert (result.stripe_customers_deleted, result.payments_kept) == (1, 1)
    assert [(r["method"], r["path"]) for r in stripe_http.requests] == [
        ("DELETE", "/v1/customers/cus_max")
    ]


def test_when_stripe_refuses_nothing_is_erased(app, stripe_http, chapter):
    circle, _anna, max_, _paula, m, _more = chapter
    _subscribe(app, circle, m.id)
    stripe_http.fail_with = 400
    with app.test_request_context():
        with pytest.raises(erase.PaymentProviderError):
            erase.erase_account(
                db.session.get(User, max_.id), "correct horse battery", "max@example.org"
            )
        db.session.rollback()
        assert db.session.get(User, max_.id).email == "max@example.org"
        assert db.session.get(Membership, m.id).status == "active"
