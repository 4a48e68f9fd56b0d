"""API referrals and closed business: exact shapes, the giver's and receiver's rights,
every refusal with nothing changed, objects of other circles, and exact money."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from circle.core.weeks import today_for
from circle.extensions import db
from circle.models import AuditEntry, Circle, ClosedBusiness, Referral
from circle.referrals import reading
from tests.api.support import assert_problem
from tests.clients import ApiClient

# --- setting -------------------------------------------------------------------------


@pytest.fixture
def people(make):
    """The users of ``circle``: an admin, a photographer, a pharmacist and a tax adviser."""
    return {
        "admin": make.user(name="Anna Admin"),
        "photo": make.user(name="Jens Fotograf"),
        "pharma": make.user(name="Petra Apotheke", locale="en"),
        "tax": make.user(name="Tom Steuer"),
    }


@pytest.fixture
def circle(make, people):
    """A circle in EUR whose admin holds the Organisationsberatung seat."""
    return make.circle(admin=people["admin"], name="Kreis Köln-Süd")


@pytest.fixture
def seats(app, make, people, circle):
    """Membership ids by person in ``circle``."""
    return {
        "admin": make.admin_seat(circle).id,
        "photo": make.member(circle, people["photo"], profession="Fotograf").id,
        "pharma": make.member(circle, people["pharma"], profession="Apotheker").id,
        "tax": make.member(circle, people["tax"], profession="Steuerberater").id,
    }


@pytest.fixture
def other(make):
    """Another circle with its admin and an active member (users and membership)."""
    admin, user = make.user(name="Fremde Admin"), make.user(name="Fremder Fotograf")
    theirs = make.circle(admin=admin, name="Fremder Kreis")
    member = make.member(theirs, user, profession="Fotograf")
    return {"circle": theirs, "admin": admin, "user": user, "member": member}


@pytest.fixture
def as_(app, client, people, seats):
    """``as_("photo")``: an API client with a token of that person (seats are taken)."""
    clients: dict[str, ApiClient] = {}

    def client_for(name: str) -> ApiClient:
        if name not in clients:
            clients[name] = ApiClient(app, client).as_user(people[name])
        return clients[name]

    return client_for


def today(circle) -> date:
    """Today where the circle meets (not on this machine)."""
    return today_for(circle)


def referrals_url(circle) -> str:
    """The referrals collection of a circle."""
    return f"/api/v1/circles/{circle.id}/referrals"


def business_url(circle) -> str:
    """The closed-business collection of a circle."""
    return f"/api/v1/circles/{circle.id}/closed-business"


def counts(app) -> tuple[int, int, int]:
    """Rows of referrals, closed business and audit entries: a refusal changes none."""
    with app.app_context():
        return tuple(
            db.session.execute(select(func.count(model.id))).scalar_one()
            for model in (Referral, ClosedBusiness, AuditEntry)
        )


def slip(receiver_id: int, day: date, **extra) -> dict:
    """A valid referral body."""
    body = {"receiver_id": receiver_id, "given_on": day.isoformat(), "kind": "inside", "hotness": 3}
    return body | extra


def thanks(giver_id: int, amount: str, day: date, **extra) -> dict:
    """A valid closed-business body."""
    body = {"giver_id": giver_id, "amount": amount, "closed_on": day.isoformat(), "kind": "new"}
    return body | extra


def give(api: ApiClient, circle, body: dict) -> dict:
    """Post a referral that must be accepted; return the response body."""
    response = api.post(referrals_url(circle), json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def report(api: ApiClient, circle, body: dict) -> dict:
    """Post closed business that must be accepted; return the response body."""
    response = api.post(business_url(circle), json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def stored_referral(app, referral_id: int) -> Referral:
    """A referral as stored now."""
    with app.app_context():
        return db.session.get(Referral, referral_id)


def member_totals(app, circle, member_id: int, start: date, end: date) -> reading.Totals:
    """``reading.totals`` for a member, read in a fresh request context."""
    with app.test_request_context():
        totals = reading.totals(db.session.get(Circle, circle.id), member_id, start, end)
        db.session.remove()
    return totals


# --- giving referrals ----------------------------------------------------------------


def test_a_referral_is_given_in_the_callers_name_with_the_exact_shape(
    app, as_, people, circle, seats, outbox
):
    day = today(circle) - timedelta(days=2)
    body = give(
        as_("photo"),
        circle,
        {
            "receiver_id": seats["pharma"],
            "given_on": day.isoformat(),
            "kind": "outside",
            "hotness": 5,
            "sphere": "private",
            "prospect": {"name": " Frau Kunde ", "phone": "0221 123", "email": "kunde@example.org"},
            "note": "Braucht Hilfe\nbei der Hausapotheke",
        },
    )
    assert body == {
        "id": body["id"],
        "giver_id": seats["photo"],
        "receiver_id": seats["pharma"],
        "given_on": day.isoformat(),
        "kind": "outside",
        "hotness": 5,
        "sphere": "private",
        "status": "new",
        "voided": False,
        "void_reason": None,
    }
    referral = stored_referral(app, body["id"])
    assert (referral.prospect_name, referral.prospect_phone, referral.prospect_email) == (
        "Frau Kunde",
        "0221 123",
        "kunde@example.org",
    )
    assert referral.note == "Braucht Hilfe\nbei der Hausapotheke"
    (mail,) = outbox()  # to the receiver, in her language (English)
    assert mail["To"] == people["pharma"].email
    assert mail["Subject"] == "New referral from Jens Fotograf"
    assert "Contact: Frau Kunde" in mail.get_body(("plain",)).get_content()


def test_optional_fields_may_be_left_out(as_, circle, seats):
    body = give(as_("tax"), circle, slip(seats["photo"], today(circle)))
    assert (body["giver_id"], body["sphere"], body["hotness"]) == (seats["tax"], None, 3)


def test_an_admin_gives_in_another_members_name_a_member_cannot(app, as_, circle, seats, make):
    body = give(as_("admin"), circle, slip(seats["pharma"], today(circle), giver_id=seats["photo"]))
    assert (body["giver_id"], body["receiver_id"]) == (seats["photo"], seats["pharma"])
    with app.app_context():
        assert db.session.get(Referral, body["id"]).created_by_id == make.admin_seat(circle).user_id

    before = counts(app)
    response = as_("tax").post(
        referrals_url(circle), json=slip(seats["pharma"], today(circle), giver_id=seats["photo"])
    )
    body = assert_problem(response, 403, "forbidden")
    assert body["detail"] == "Only admins may enter a referral in another member's name."
    assert counts(app) == before


def test_giving_to_oneself_is_a_self_referral(app, as_, circle, seats):
    before = counts(app)
    response = as_("photo").post(referrals_url(circle), json=slip(seats["photo"], today(circle)))
    body = assert_problem(response, 422, "self_referral")
    assert body["errors"] == {"receiver_id": ["A member cannot refer business to themselves."]}
    response = as_("admin").post(
        referrals_url(circle),
        json=slip(seats["pharma"], today(circle), giver_id=seats["pharma"]),
    )
    assert_problem(response, 422, "self_referral")
    assert counts(app) == before


def test_receivers_who_are_not_active_members_here_are_refused(
    app, make, as_, circle, seats, other
):
    gone = make.member(circle, profession="Bäcker", status="removed")
    waiting = make.member(circle, profession="Koch", status="waitlisted")
    before = counts(app)
    for receiver in (other["member"].id, gone.id, waiting.id, 424242, 0, -3, 2**31, 10**30):
        response = as_("photo").post(referrals_url(circle), json=slip(receiver, today(circle)))
        body = assert_problem(response, 422, "not_a_member")
        assert body["errors"] == {
            "receiver_id": ["This person is not an active member of this circle."]
        }, receiver
    # An admin naming another circle's member as the giver.
    response = as_("admin").post(
        referrals_url(circle),
        json=slip(seats["pharma"], today(circle), giver_id=other["member"].id),
    )
    assert assert_problem(response, 422, "not_a_member")["errors"].keys() == {"giver_id"}
    assert counts(app) == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"given_on": "FUTURE"}, "given_on", "The date cannot be in the future."),
        ({"given_on": "1999-12-31"}, "given_on", "The date cannot be before"),
        ({"given_on": "2024-02-30"}, "given_on", "Enter a date as YYYY-MM-DD"),
        ({"given_on": "02.05.2024"}, "given_on", "Enter a date as YYYY-MM-DD"),
        ({"given_on": "2024-05-02T10:00:00"}, "given_on", "Enter a date as YYYY-MM-DD"),
        ({"given_on": 20240502}, "given_on", "Not a valid string."),
        ({"hotness": 0}, "hotness", "Hotness is a number from 1 to 5."),
        ({"hotness": 6}, "hotness", "Hotness is a number from 1 to 5."),
        ({"hotness": "3"}, "hotness", "Not a valid integer."),
        ({"hotness": True}, "hotness", "Not a valid integer."),
        ({"hotness": 2.5}, "hotness", "Not a valid integer."),
        ({"kind": "sideways"}, "kind", "Must be one of: inside, outside."),
        ({"sphere": "galactic"}, "sphere", "Must be one of: private, professional"),
        ({"receiver_id": None}, "receiver_id", "This field may not be null."),
        ({"prospect": {"email": "not-an-address"}}, "prospect", "Not a valid e-mail address."),
        ({"prospect": {"age": 3}}, "prospect", "Unknown field."),
        ({"prospect": None}, "prospect", "This field may not be null."),
        ({"prospect": "Frau Kunde"}, "prospect", "Expected a JSON object."),
        ({"note": "x" * 2001}, "note", "At most 2000 characters."),
        ({"status": "won"}, "status", "Unknown field."),
    ],
)
def test_invalid_referrals_are_refused_field_by_field(
    app, as_, circle, seats, change, field, message
):
    body = slip(seats["pharma"], today(circle))
    if change.get("given_on") == "FUTURE":
        change = {"given_on": (today(circle) + timedelta(days=1)).isoformat()}
    body.update(change)
    before = counts(app)
    response = as_("photo").post(referrals_url(circle), json=body)
    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert list(errors) == [field]
    assert message in str(errors[field])
    assert counts(app) == before


def test_required_fields_are_named(as_, circle):
    response = as_("photo").post(referrals_url(circle), json={})
    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert errors == {
        name: ["This field is required."] for name in ("receiver_id", "given_on", "kind", "hotness")
    }


def test_another_circle_answers_404_and_changes_nothing(app, as_, circle, seats, other):
    before = counts(app)
    for circle_id in (other["circle"].id, 424242):
        url = f"/api/v1/circles/{circle_id}/referrals"
        body = slip(other["member"].id, today(circle))
        assert_problem(as_("admin").post(url, json=body), 404, "not_found")
        assert_problem(as_("admin").get(url), 404, "not_found")
        url = f"/api/v1/circles/{circle_id}/closed-business"
        body = thanks(other["member"].id, "10.00", today(circle))
        assert_problem(as_("admin").post(url, json=body), 404, "not_found")
        assert_problem(as_("admin").get(url), 404, "not_found")
    assert counts(app) == before


# --- listing -------------------------------------------------------------------------


def test_members_list_their_own_slips_admins_all_by_period(app, as_, circle, seats):
    now = today(circle)
    photo_to_pharma = give(as_("photo"), circle, slip(seats["pharma"], now))
    pharma_to_tax = give(as_("pharma"), circle, slip(seats["tax"], now - timedelta(days=29)))
    old = give(as_("tax"), circle, slip(seats["photo"], now - timedelta(days=30)))

    def ids(api, query=""):
        response = api.get(referrals_url(circle) + query)
        assert response.status_code == 200, response.get_json()
        assert set(response.get_json()) == {"items"}
        return [item["id"] for item in response.get_json()["items"]]

    # Default: the 30 days ending today, oldest first.
    assert ids(as_("admin")) == [pharma_to_tax["id"], photo_to_pharma["id"]]
    assert ids(as_("pharma")) == [pharma_to_tax["id"], photo_to_pharma["id"]]
    assert ids(as_("photo")) == [photo_to_pharma["id"]]
    assert ids(as_("tax")) == [pharma_to_tax["id"]]
    # An explicit period includes both ends.
    start = (now - timedelta(days=30)).isoformat()
    query = f"?from={start}&to={(now - timedelta(days=29)).isoformat()}"
    assert ids(as_("admin"), query) == [old["id"], pharma_to_tax["id"]]
    assert ids(as_("photo"), f"?from={start}") == [old["id"], photo_to_pharma["id"]]
    assert ids(as_("tax"), f"?to={start}") == [old["id"]]
    # The listed items have the same shape as the created one.
    (item,) = as_("photo").get(referrals_url(circle)).get_json()["items"]
    assert item == photo_to_pharma


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?from=2024-13-01", "from", "Enter a date as YYYY-MM-DD"),
        ("?to=yesterday", "to", "Enter a date as YYYY-MM-DD"),
        ("?from=", "from", "Enter a date as YYYY-MM-DD"),
        ("?from=2024-05-02&to=2024-05-01", "from", "The start of the period lies after its end."),
        ("?week=2024-05-01", "week", "Unknown field."),
    ],
)
def test_bad_periods_are_refused(as_, circle, query, field, message):
    for url in (referrals_url(circle), business_url(circle)):
        errors = assert_problem(as_("photo").get(url + query), 422, "validation_error")["errors"]
        assert list(errors) == [field]
        assert message in errors[field][0]


# --- status and void -----------------------------------------------------------------


def test_the_receiver_moves_the_status_forward_only(app, as_, circle, seats):
    referral = give(as_("photo"), circle, slip(seats["pharma"], today(circle)))
    url = f"{referrals_url(circle)}/{referral['id']}"

    response = as_("pharma").patch(url, json={"status": "contacted"})
    assert response.status_code == 200
    assert response.get_json() == referral | {"status": "contacted"}

    before = counts(app)
    body = assert_problem(as_("photo").patch(url, json={"status": "won"}), 403, "forbidden")
    assert body["detail"] == "Only the receiver sets the status of a referral."
    assert counts(app) == before

    assert as_("pharma").patch(url, json={"status": "won"}).get_json()["status"] == "won"
    before = counts(app)
    for back in ("contacted", "new", "lost"):
        body = assert_problem(as_("pharma").patch(url, json={"status": back}), 409, "conflict")
        assert body["detail"].startswith("A referral cannot go back from won to")
    assert stored_referral(app, referral["id"]).status == "won"
    assert counts(app) == before
    # Setting the status it already has changes nothing and is no error.
    assert as_("pharma").patch(url, json={"status": "won"}).status_code == 200
    assert counts(app) == before


def test_a_member_outside_the_pair_cannot_see_or_patch_a_slip(app, as_, circle, seats, other):
    referral = give(as_("photo"), circle, slip(seats["pharma"], today(circle)))
    business = report(as_("pharma"), circle, thanks(seats["photo"], "50.00", today(circle)))
    before = counts(app)
    url = f"{referrals_url(circle)}/{referral['id']}"
    for change in ({"status": "contacted"}, {"void": True, "reason": "Neugier"}):
        assert_problem(as_("tax").patch(url, json=change), 404, "not_found")
    url = f"{business_url(circle)}/{business['id']}"
    assert_problem(as_("tax").patch(url, json={"void": True, "reason": "x"}), 404, "not_found")
    assert as_("tax").get(referrals_url(circle)).get_json() == {"items": []}
    assert as_("tax").get(business_url(circle)).get_json() == {"items": []}
    # Ids of this circle's slips under another circle's URL, and unknown ids.
    theirs = other["circle"].id
    for url in (
        f"/api/v1/circles/{theirs}/referrals/{referral['id']}",
        f"{referrals_url(circle)}/424242",
    ):
        assert_problem(as_("photo").patch(url, json={"status": "won"}), 404, "not_found")
    for url in (
        f"/api/v1/circles/{theirs}/closed-business/{business['id']}",
        f"{business_url(circle)}/424242",
    ):
        body = {"void": True, "reason": "x"}
        assert_problem(as_("pharma").patch(url, json=body), 404, "not_found")
    assert counts(app) == before
    assert stored_referral(app, referral["id"]).status == "new"


def test_slips_of_another_circle_are_not_found_in_mine(
    app, client, make, as_, circle, seats, other
):
    theirs = other["circle"]
    their_admin = ApiClient(app, client).as_user(other["admin"])
    their_member = ApiClient(app, client).as_user(other["user"])
    foreign = give(their_admin, theirs, slip(other["member"].id, today(theirs)))
    foreign_business = report(
        their_member,
        theirs,
        thanks(make.admin_seat(theirs).id, "5.00", today(theirs), referral_id=foreign["id"]),
    )
    before = counts(app)
    url = f"{referrals_url(circle)}/{foreign['id']}"
    assert_problem(as_("admin").patch(url, json={"status": "won"}), 404, "not_found")
    url = f"{business_url(circle)}/{foreign_business['id']}"
    assert_problem(as_("admin").patch(url, json={"void": True, "reason": "x"}), 404, "not_found")
    # Their referral id as the slip of closed business in my circle.
    response = as_("pharma").post(
        business_url(circle),
        json=thanks(seats["photo"], "10.00", today(circle), referral_id=foreign["id"]),
    )
    assert_problem(response, 404, "not_found")
    # A user without a seat here sees nothing of my circle.
    outsider = ApiClient(app, client).as_user(make.user(name="Fremd"))
    assert_problem(outsider.get(referrals_url(circle)), 404, "not_found")
    assert_problem(outsider.get(business_url(circle)), 404, "not_found")
    assert counts(app) == before


def test_the_giver_voids_a_slip_with_a_reason_and_it_stops_counting(app, as_, circle, seats):
    now = today(circle)
    kept = give(as_("photo"), circle, slip(seats["pharma"], now))
    wrong = give(as_("photo"), circle, slip(seats["pharma"], now))
    url = f"{referrals_url(circle)}/{wrong['id']}"
    assert member_totals(app, circle, seats["photo"], now, now).given == 2

    before = counts(app)
    for api, change, status, code in [
        (as_("pharma"), {"void": True, "reason": "Falsch"}, 403, "forbidden"),
        (as_("photo"), {"void": True}, 422, "validation_error"),
        (as_("photo"), {"void": True, "reason": "   "}, 422, "validation_error"),
        (as_("photo"), {"void": False, "reason": "Falsch"}, 422, "validation_error"),
        (as_("photo"), {"void": "true", "reason": "Falsch"}, 422, "validation_error"),
        (as_("photo"), {"void": True, "reason": "x", "status": "won"}, 422, "validation_error"),
        (as_("photo"), {"reason": "Falsch"}, 422, "validation_error"),
        (as_("photo"), {}, 422, "validation_error"),
    ]:
        assert_problem(api.patch(url, json=change), status, code)
    assert counts(app) == before

    response = as_("photo").patch(url, json={"void": True, "reason": " Doppelt erfasst "})
    assert response.status_code == 200
    assert response.get_json() == wrong | {"voided": True, "void_reason": "Doppelt erfasst"}
    assert member_totals(app, circle, seats["photo"], now, now).given == 1
    assert member_totals(app, circle, seats["pharma"], now, now).received == 1
    # Listed with its reason; a second void and a status change are conflicts.
    items = as_("pharma").get(referrals_url(circle)).get_json()["items"]
    assert [(i["id"], i["voided"], i["void_reason"]) for i in items] == [
        (kept["id"], False, None),
        (wrong["id"], True, "Doppelt erfasst"),
    ]
    before = counts(app)
    assert_problem(as_("photo").patch(url, json={"void": True, "reason": "x"}), 409, "conflict")
    assert_problem(as_("pharma").patch(url, json={"status": "won"}), 409, "conflict")
    assert counts(app) == before


def test_patch_messages_say_what_to_send(as_, circle, seats):
    referral = give(as_("photo"), circle, slip(seats["pharma"], today(circle)))
    url = f"{referrals_url(circle)}/{referral['id']}"
    cases = [
        ({}, {"body": ["Give a status or void: true with a reason."]}),
        ({"status": "won", "void": True}, {"body": ["Give either a status or void, not both."]}),
        ({"void": False, "reason": "x"}, {"void": ["Only true voids an entry."]}),
        ({"void": 1, "reason": "x"}, {"void": ["Not a valid boolean."]}),
        ({"status": "maybe"}, {"status": ["Must be one of: new, contacted, won, lost."]}),
    ]
    for change, errors in cases:
        body = assert_problem(as_("pharma").patch(url, json=change), 422, "validation_error")
        assert body["errors"] == errors, change


# --- closed business -----------------------------------------------------------------


def test_closed_business_is_reported_by_the_receiver_and_credited_to_the_giver(
    app, as_, people, circle, seats, outbox
):
    now = today(circle)
    referral = give(as_("photo"), circle, slip(seats["pharma"], now))
    body = report(
        as_("pharma"),
        circle,
        thanks(seats["photo"], "1200.00", now, referral_id=referral["id"], note="Hochzeit"),
    )
    assert body == {
        "id": body["id"],
        "giver_id": seats["photo"],
        "receiver_id": seats["pharma"],
        "amount": "1200.00",
        "currency": "EUR",
        "closed_on": now.isoformat(),
        "kind": "new",
        "referral_id": referral["id"],
        "voided": False,
        "void_reason": None,
    }
    assert stored_referral(app, referral["id"]).status == "won"
    totals = member_totals(app, circle, seats["photo"], now, now)
    assert (totals.revenue_generated, totals.revenue_received) == (120000, 0)
    assert member_totals(app, circle, seats["pharma"], now, now).revenue_received == 120000
    mail = outbox()[-1]  # the giver is thanked
    assert mail["To"] == people["photo"].email
    assert "Petra Apotheke" in mail.get_body(("plain",)).get_content()
    # Without a slip, a whole number, repeat business.
    body = report(as_("tax"), circle, thanks(seats["photo"], "7", now, kind="repeat"))
    assert (body["amount"], body["kind"], body["referral_id"]) == ("7.00", "repeat", None)
    items = as_("photo").get(business_url(circle)).get_json()["items"]
    assert [item["amount"] for item in items] == ["1200.00", "7.00"]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (1200, 'Give the amount as a decimal string with a dot, e.g. "1200.00".'),
        (1200.5, 'Give the amount as a decimal string with a dot, e.g. "1200.00".'),
        (None, "This field may not be null."),
        ("0.001", "EUR amounts have at most 2 decimal places."),
        ("12.345", "EUR amounts have at most 2 decimal places."),
        ("0", "The amount must be greater than zero."),
        ("0.00", "The amount must be greater than zero."),
        ("-5.00", 'Give the amount as a decimal string with a dot, e.g. "1200.00".'),
        ("1.234,50", 'Give the amount as a decimal string with a dot, e.g. "1200.00".'),
        ("1e3", 'Give the amount as a decimal string with a dot, e.g. "1200.00".'),
        ("NaN", 'Give the amount as a decimal string with a dot, e.g. "1200.00".'),
        ("", 'Give the amount as a decimal string with a dot, e.g. "1200.00".'),
        ("1000000000.00", "The amount is too large."),
        ("9" * 41, "At most 40 characters."),
    ],
)
def test_amounts_that_are_not_exact_positive_decimal_strings_are_refused(
    app, as_, circle, seats, amount, message
):
    before = counts(app)
    response = as_("pharma").post(
        business_url(circle),
        json=thanks(seats["photo"], "1.00", today(circle)) | {"amount": amount},
    )
    errors = assert_problem(response, 422, "validation_error")["errors"]
    assert errors == {"amount": [message]}
    assert counts(app) == before


def test_a_currency_without_cents_takes_whole_amounts_only(app, make, people):
    admin = make.user()
    yen = make.circle(admin=admin, currency="JPY")
    giver = make.member(yen, profession="Fotograf")
    api = ApiClient(app, app.test_client()).as_user(admin)
    url = business_url(yen)
    day = today(yen).isoformat()
    body = {"giver_id": giver.id, "amount": "1200.5", "closed_on": day, "kind": "new"}
    errors = assert_problem(api.post(url, json=body), 422, "validation_error")["errors"]
    assert errors == {"amount": ["JPY amounts have at most 0 decimal places."]}
    response = api.post(url, json=body | {"amount": "1200"})
    assert response.status_code == 201
    assert (response.get_json()["amount"], response.get_json()["currency"]) == ("1200", "JPY")


def test_closed_business_refusals(app, make, as_, circle, seats, other):
    now = today(circle)
    photo_to_pharma = give(as_("photo"), circle, slip(seats["pharma"], now))
    tax_to_pharma = give(as_("tax"), circle, slip(seats["pharma"], now))
    gone = make.member(circle, profession="Bäcker", status="left")
    before = counts(app)
    cases = [
        (thanks(seats["pharma"], "5.00", now), 422, "self_referral", {"giver_id"}),
        (thanks(other["member"].id, "5.00", now), 422, "not_a_member", {"giver_id"}),
        (thanks(gone.id, "5.00", now), 422, "not_a_member", {"giver_id"}),
        (thanks(424242, "5.00", now), 422, "not_a_member", {"giver_id"}),
        (thanks(seats["photo"], "5.00", now + timedelta(days=1)), 422, "validation_error", None),
        (thanks(seats["photo"], "5.00", now, kind="old"), 422, "validation_error", {"kind"}),
        (
            thanks(seats["photo"], "5.00", now, referral_id=tax_to_pharma["id"]),
            422,
            "validation_error",
            {"referral_id"},
        ),
        (thanks(seats["photo"], "5.00", now, referral_id=424242), 404, "not_found", None),
        (
            thanks(seats["photo"], "5.00", now, reporter_id=seats["tax"]),
            422,
            "validation_error",
            {"reporter_id"},
        ),
        ({"amount": "5.00"}, 422, "validation_error", {"giver_id", "closed_on", "kind"}),
    ]
    for body, status, code, fields in cases:
        problem = assert_problem(as_("pharma").post(business_url(circle), json=body), status, code)
        if fields:
            assert set(problem["errors"]) == fields, body
    # The giver of the linked slip is not the member thanked.
    response = as_("tax").post(
        business_url(circle),
        json=thanks(seats["photo"], "5.00", now, referral_id=photo_to_pharma["id"]),
    )
    assert_problem(response, 422, "validation_error")
    assert counts(app) == before
    assert stored_referral(app, photo_to_pharma["id"]).status == "new"


def test_the_reporter_voids_closed_business_and_it_leaves_the_totals(app, as_, circle, seats):
    now = today(circle)
    kept = report(as_("pharma"), circle, thanks(seats["photo"], "10.50", now))
    wrong = report(as_("pharma"), circle, thanks(seats["photo"], "99.99", now))
    assert member_totals(app, circle, seats["photo"], now, now).revenue_generated == 11049
    url = f"{business_url(circle)}/{wrong['id']}"

    before = counts(app)
    for api, change, status, code in [
        (as_("photo"), {"void": True, "reason": "Nein"}, 403, "forbidden"),
        (as_("pharma"), {"void": True}, 422, "validation_error"),
        (as_("pharma"), {"void": False, "reason": "x"}, 422, "validation_error"),
        (as_("pharma"), {"reason": "x"}, 422, "validation_error"),
        (as_("pharma"), {"void": True, "reason": ""}, 422, "validation_error"),
        (as_("pharma"), {"void": True, "reason": "x", "amount": "1.00"}, 422, "validation_error"),
    ]:
        assert_problem(api.patch(url, json=change), status, code)
    assert counts(app) == before

    response = as_("pharma").patch(url, json={"void": True, "reason": "Tippfehler"})
    assert response.status_code == 200
    assert response.get_json() == wrong | {"voided": True, "void_reason": "Tippfehler"}
    totals = member_totals(app, circle, seats["photo"], now, now)
    assert totals.revenue_generated == 1050
    assert member_totals(app, circle, seats["pharma"], now, now).revenue_received == 1050
    items = as_("admin").get(business_url(circle)).get_json()["items"]
    assert [(i["id"], i["voided"]) for i in items] == [(kept["id"], False), (wrong["id"], True)]
    assert_problem(as_("pharma").patch(url, json={"void": True, "reason": "x"}), 409, "conflict")
    # An admin voids anyone's entry.
    url = f"{business_url(circle)}/{kept['id']}"
    assert as_("admin").patch(url, json={"void": True, "reason": "Test"}).status_code == 200
    assert member_totals(app, circle, seats["photo"], now, now).revenue_generated == 0


def test_many_random_amounts_sum_exactly(app, as_, circle, seats):
    """200 amounts posted as strings add up to the exact decimal sum, read back two ways."""
    rng = random.Random(20240502)
    now = today(circle)
    expected = Decimal(0)
    for n in range(200):
        cents = rng.choice([1, 5, 99, 10, 1999, 33333, rng.randrange(1, 99_999_999_999)])
        amount = f"{cents // 100}.{cents % 100:02d}"
        expected += Decimal(amount)
        body = report(
            as_("pharma"), circle, thanks(seats["photo"], amount, now - timedelta(days=n % 30))
        )
        assert body["amount"] == amount
    raw = as_("photo").get(business_url(circle)).get_data(as_text=True)
    items = json.loads(raw, parse_float=lambda text: pytest.fail(f"a float: {text}"))["items"]
    assert len(items) == 200
    assert all(isinstance(item["amount"], str) for item in items)
    assert sum(Decimal(item["amount"]) for item in items) == expected
    totals = member_totals(app, circle, seats["photo"], now - timedelta(days=29), now)
    assert totals.revenue_generated == int(expected * 100)
    assert Decimal(totals.revenue_generated).scaleb(-2) == expected


# --- OpenAPI -------------------------------------------------------------------------


def test_the_routes_are_documented_with_their_problem_codes(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = doc["paths"]
    referrals = paths["/api/v1/circles/{circle_id}/referrals"]
    assert set(referrals) == {"get", "post"}
    assert set(paths["/api/v1/circles/{circle_id}/referrals/{referral_id}"]) == {"patch"}
    assert set(paths["/api/v1/circles/{circle_id}/closed-business"]) == {"get", "post"}
    assert set(paths["/api/v1/circles/{circle_id}/closed-business/{business_id}"]) == {"patch"}

    give_op = referrals["post"]
    for code in ("validation_error", "self_referral", "not_a_member"):
        assert f"`{code}`" in give_op["responses"]["422"]["description"]
    assert set(give_op["responses"]) == {"201", "401", "403", "404", "413", "415", "422"}
    listing = referrals["get"]
    assert [(p["name"], p["in"]) for p in listing["parameters"]] == [
        ("circle_id", "path"),
        ("from", "query"),
        ("to", "query"),
    ]
    assert listing["parameters"][1]["schema"] == {"type": "string", "format": "date"}
    assert "30 days" in listing["description"]
    assert "422" in listing["responses"]
    patch = paths["/api/v1/circles/{circle_id}/referrals/{referral_id}"]["patch"]
    assert {"403", "404", "409", "422"} <= set(patch["responses"])

    schemas = doc["components"]["schemas"]
    amount = schemas["BusinessIn"]["properties"]["amount"]
    assert amount["type"] == "string"
    assert schemas["BusinessOut"]["properties"]["amount"]["type"] == "string"
    assert "reporter_id" not in schemas["BusinessIn"]["properties"]
    assert schemas["ReferralIn"]["properties"]["hotness"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 5,
    }
    assert set(schemas["ReferralOut"]["required"]) == {
        "id",
        "giver_id",
        "receiver_id",
        "given_on",
        "kind",
        "hotness",
        "sphere",
        "status",
        "voided",
        "void_reason",
    }
