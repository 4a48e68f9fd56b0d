"""The quick slip and quick thank-you pages (issue 14, item 5) through their real HTML
forms: the remembered choices, one and several rows saved all or nothing, the refusal on
its row, the no-script "one more", ``?to=``, another circle's member, amounts in the
user's notation, and no 500 on hostile input."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from circle.core.clock import utcnow
from circle.extensions import db
from circle.models import ClosedBusiness, Referral
from circle.referrals.quick import MAX_ROWS
from tests.pages import element, text

# --- reading the forms as a browser sends them -------------------------------------


class _Form(HTMLParser):
    """The fields of the form with ``form_id`` as a browser sends them: inputs, checked
    radios, the selected option of each select; submit buttons are not sent."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.fields: dict[str, str] = {}
        self.action: str | None = None
        self._inside = False
        self._select: str | None = None
        self._first = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._inside = a.get("id") == self.form_id
            if self._inside:
                self.action = a.get("action")
            return
        name = a.get("name")
        if not self._inside:
            return
        if tag == "input" and name:
            kind = a.get("type")
            if kind not in ("submit", "radio", "checkbox") or (kind == "radio" and "checked" in a):
                self.fields[name] = a.get("value") or ""
        elif tag == "select":
            self._select, self._first = name, True
        elif tag == "option" and self._select:
            if self._first or "selected" in a:
                self.fields[self._select] = a.get("value", "")
            self._first = False
        elif tag == "textarea" and name:
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None


def form_of(html: str, form_id: str) -> tuple[str, dict[str, str]]:
    """The action and fields of a form of the page."""
    parser = _Form(form_id)
    parser.feed(html)
    assert parser.action, f"no form #{form_id}"
    return parser.action, parser.fields


def send(client, page: str, form_id: str, data: dict, extra: dict | None = None):
    """Open ``page``, fill ``data`` into its form (every key must be a field of it), add
    ``extra`` (a pressed button, a row added by the script) and send it."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    action, fields = form_of(text(response), form_id)
    missing = set(data) - set(fields)
    assert not missing, f"the form has no field {missing}"
    return client.post(action, data={**fields, **data, **(extra or {})})


# --- helpers -----------------------------------------------------------------------


def today() -> date:
    """Today where the test circles meet (Europe/Berlin)."""
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


def slip_url(circle, query: str = "") -> str:
    """The quick slip page."""
    return f"/circles/{circle.id}/slips/new" + (f"?{query}" if query else "")


def thanks_url(circle) -> str:
    """The quick thank-you page."""
    return f"/circles/{circle.id}/thanks/new"


def row(index: int, receiver, **fields) -> dict:
    """The fields of one row of the quick slip form."""
    data = {f"give-rows-{index}-receiver_id": str(getattr(receiver, "id", receiver))}
    data.update({f"give-rows-{index}-{name}": str(value) for name, value in fields.items()})
    return data


def script_row(index: int, receiver, **fields) -> dict:
    """A row the script added: every field of a row, as the clone sends them."""
    data = {
        f"give-rows-{index}-{name}": value
        for name, value in {
            "kind": "inside",
            "hotness": "3",
            "sphere": "",
            "note": "",
            "prospect_name": "",
            "prospect_phone": "",
            "prospect_email": "",
            "given_on": today().isoformat(),
        }.items()
    }
    return {**data, **row(index, receiver, **fields)}


def saved_referrals(app, circle) -> list[Referral]:
    """Every referral of a circle, fresh from the database."""
    with app.app_context():
        rows = list(
            db.session.execute(
                select(Referral).where(Referral.circle_id == circle.id).order_by(Referral.id)
            )
            .unique()
            .scalars()
        )
        db.session.expunge_all()
        db.session.remove()
    return rows


def saved_business(app, circle) -> list[ClosedBusiness]:
    """Every closed business of a circle, fresh from the database."""
    with app.app_context():
        rows = list(
            db.session.execute(
                select(ClosedBusiness)
                .where(ClosedBusiness.circle_id == circle.id)
                .order_by(ClosedBusiness.id)
            )
            .unique()
            .scalars()
        )
        db.session.expunge_all()
        db.session.remove()
    return rows


@pytest.fixture
def people(make):
    """A circle: an admin, a photographer (me), a pharmacist and a tax adviser; and
    another circle with its own member."""
    admin = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd", meeting_weekday=2)
    me = make.user(name="Fritz Foto", email="fritz@example.org", locale="en")
    members = {
        "admin": make.admin_seat(circle),
        "me": make.member(circle, me, profession="Fotograf"),
        "pharma": make.member(circle, make.user(name="Paula Pharma"), profession="Apotheker"),
        "tax": make.member(circle, make.user(name="Stefan Steuer"), profession="Steuerberater"),
    }
    other = make.circle(admin=make.user(name="Olga Other"), name="Kreis Bonn")
    members["other"] = make.member(other, make.user(name="Otto Bonn"), profession="Fotograf")
    return {"circle": circle, "other_circle": other, **members}


@pytest.fixture
def me(auth, people):
    """Logged in as the photographer."""
    assert auth.login(people["me"].user).status_code == 302
    return people["me"]


# --- the quick slip ----------------------------------------------------------------


def test_the_form_is_one_row_with_my_last_choices(app, client, make, people, me):
    circle = people["circle"]
    fresh = text(client.get(slip_url(circle)))
    _action, fields = form_of(fresh, "give-form")
    # Nothing given yet: inside, hotness 3, no sphere; one row dated today; not me.
    assert fields["give-rows-0-kind"] == "inside"
    assert fields["give-rows-0-hotness"] == "3"
    assert fields["give-rows-0-sphere"] == ""
    assert fields["give-rows-0-given_on"] == today().isoformat()
    assert "give-rows-1-receiver_id" not in fields
    receivers = element(fresh, "give-rows-0-receiver_id")
    assert "Paula Pharma \N{EN DASH} Apotheker" in receivers
    assert "Fritz Foto" not in receivers
    assert 'data-typeahead="Find by name or profession"' in receivers

    # My last live slip sets the start; a voided newer one and other members' do not.
    response = send(
        client,
        slip_url(circle),
        "give-form",
        row(0, people["pharma"], kind="outside", hotness=5, sphere="local"),
    )
    assert response.status_code == 302
    make.slip(people["pharma"], people["tax"], today())  # someone else's
    voided = make.slip(me, people["tax"], today())  # mine, newer, but voided
    with app.app_context():
        db.session.execute(
            update(Referral)
            .where(Referral.id == voided)
            .values(voided_at=utcnow(), void_reason="Falsch", hotness=1, kind="inside")
        )
        db.session.commit()
    _action, fields = form_of(text(client.get(slip_url(circle))), "give-form")
    assert (fields["give-rows-0-kind"], fields["give-rows-0-hotness"]) == ("outside", "5")
    assert fields["give-rows-0-sphere"] == "local"
    assert fields["give-rows-0-receiver_id"] == ""


def test_posting_one_row_saves_it_and_comes_back_to_the_form(app, client, people, me, outbox):
    circle = people["circle"]
    data = row(0, people["pharma"], hotness=4, note="Ruft morgen an", prospect_name="Max Kunde")
    response = send(client, slip_url(circle), "give-form", data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(slip_url(circle))
    page = text(client.get(response.headers["Location"]))
    assert "1 referral given." in page
    assert f'href="/circles/{circle.id}/week"' in page
    [saved] = saved_referrals(app, circle)
    assert (saved.giver_id, saved.receiver_id, saved.hotness) == (me.id, people["pharma"].id, 4)
    assert (saved.note, saved.prospect_name, saved.given_on) == (
        "Ruft morgen an",
        "Max Kunde",
        today(),
    )
    assert [m["To"] for m in outbox()] == [people["pharma"].user.email]


def test_three_rows_added_by_the_script_are_saved_together(app, client, people, me):
    circle = people["circle"]
    data = row(0, people["pharma"], kind="outside")
    added = {
        **script_row(1, people["tax"], hotness="2"),
        **script_row(2, people["admin"], sphere="interests"),
    }
    response = send(client, slip_url(circle), "give-form", data, extra=added)
    assert response.status_code == 302
    assert "3 referrals given." in text(client.get(response.headers["Location"]))
    saved = saved_referrals(app, circle)
    assert [(r.receiver_id, r.kind, r.hotness, r.sphere) for r in saved] == [
        (people["pharma"].id, "outside", 3, None),
        (people["tax"].id, "inside", 2, None),
        (people["admin"].id, "inside", 3, "interests"),
    ]


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ("other_circle", "receiver_id", "This person is not an active member of this circle."),
        ("unknown", "receiver_id", "This person is not an active member of this circle."),
        ("future", "given_on", "The date cannot be in the future."),
        ("hotness", "hotness", "Hotness is a number from 1 to 5."),
        ("kind", "kind", "Choose inside or outside."),
    ],
)
def test_one_bad_row_saves_nothing_and_says_why_on_its_row(
    app, client, people, me, outbox, bad, field, message
):
    circle = people["circle"]
    bad_row = {
        "other_circle": script_row(1, people["other"]),
        "unknown": script_row(1, "99999999999999999999"),
        "future": script_row(1, people["tax"], given_on=today() + timedelta(days=1)),
        "hotness": script_row(1, people["tax"], hotness="lukewarm"),
        "kind": script_row(1, people["tax"], kind="sideways"),
    }[bad]
    extra = {**bad_row, **script_row(2, people["admin"])}
    response = send(client, slip_url(circle), "give-form", row(0, people["pharma"]), extra)
    assert response.status_code == 422
    page = text(response)
    assert message in element(page, f"give-rows-1-{field}-error")
    assert message not in element(page, "give-row-0")
    assert message not in element(page, "give-row-2")
    assert saved_referrals(app, circle) == []
    assert outbox() == []
    # The rows keep what was typed.
    _action, kept = form_of(page, "give-form")
    assert kept["give-rows-0-receiver_id"] == str(people["pharma"].id)
    assert kept["give-rows-2-receiver_id"] == str(people["admin"].id)


def test_the_refusal_is_in_the_members_language(app, client, auth, people):
    circle = people["circle"]
    english = "This person is not an active member of this circle."
    with app.test_request_context(), force_locale("de"):
        german = _(english)
    assert german != english
    auth.login(people["tax"].user)  # Stefan Steuer reads German
    response = send(client, slip_url(circle), "give-form", row(0, people["other"]))
    assert response.status_code == 422
    assert german in element(text(response), "give-rows-0-receiver_id-error")
    assert saved_referrals(app, circle) == []


def test_a_form_without_a_receiver_is_refused(app, client, people, me):
    circle = people["circle"]
    response = send(client, slip_url(circle), "give-form", {})
    assert response.status_code == 422
    assert "Choose a receiver for at least one referral." in element(text(response), "give-row-0")
    assert saved_referrals(app, circle) == []


def test_one_more_without_script_adds_a_row_and_saves_nothing(app, client, people, me):
    circle = people["circle"]
    data = row(0, people["pharma"], kind="outside", hotness=5, note="Erster")
    response = send(client, slip_url(circle), "give-form", data, extra={"more": "1"})
    assert response.status_code == 200
    page = text(response)
    assert 'id="give-row-1"' in page
    assert 'id="give-row-2"' not in page
    _action, fields = form_of(page, "give-form")
    # The first row keeps what was typed; the new one is empty with the same choices.
    assert fields["give-rows-0-receiver_id"] == str(people["pharma"].id)
    assert fields["give-rows-0-note"] == "Erster"
    assert fields["give-rows-1-receiver_id"] == ""
    assert (fields["give-rows-1-kind"], fields["give-rows-1-hotness"]) == ("outside", "5")
    assert fields["give-rows-1-given_on"] == today().isoformat()
    assert "error" not in element(page, "give-row-0")
    assert saved_referrals(app, circle) == []

    # Filled in and sent: both are saved.
    fields["give-rows-1-receiver_id"] = str(people["tax"].id)
    response = client.post(slip_url(circle), data=fields)
    assert response.status_code == 302
    assert [r.receiver_id for r in saved_referrals(app, circle)] == [
        people["pharma"].id,
        people["tax"].id,
    ]


def test_one_more_stops_at_the_most_rows(app, client, people, me):
    circle = people["circle"]
    rows = {}
    for index in range(MAX_ROWS):
        rows |= script_row(index, "")
    response = send(client, slip_url(circle), "give-form", {}, extra={**rows, "more": "1"})
    assert response.status_code == 200
    page = text(response)
    assert f'id="give-row-{MAX_ROWS - 1}"' in page
    assert f'id="give-row-{MAX_ROWS}"' not in page
    assert 'name="more"' not in page
    # More rows than that are not even read.
    rows |= script_row(MAX_ROWS, people["tax"])
    response = send(client, slip_url(circle), "give-form", {}, extra=rows)
    assert response.status_code == 422
    assert saved_referrals(app, circle) == []


def test_to_chooses_the_receiver_and_nonsense_chooses_nobody(app, client, people, me):
    circle = people["circle"]
    _action, fields = form_of(
        text(client.get(slip_url(circle, f"to={people['tax'].id}"))), "give-form"
    )
    assert fields["give-rows-0-receiver_id"] == str(people["tax"].id)
    for to in (me.id, people["other"].id, "x1", "9" * 30, ""):
        response = client.get(slip_url(circle), query_string={"to": to})
        assert response.status_code == 200
        _action, fields = form_of(text(response), "give-form")
        assert fields["give-rows-0-receiver_id"] == "", to


def test_the_profile_button_and_the_week_lead_to_the_quick_forms(client, people, me):
    circle = people["circle"]
    tax = people["tax"]
    profile = text(client.get(f"/circles/{circle.id}/members/{tax.id}/profile"))
    assert f'href="{slip_url(circle, f"to={tax.id}")}"' in profile
    week = element(text(client.get(f"/circles/{circle.id}/week")), "quick-links")
    assert f'href="{slip_url(circle)}"' in week
    assert f'href="{thanks_url(circle)}"' in week


def test_another_circle_and_strangers_get_nothing(app, client, auth, make, people, me):
    other = people["other_circle"]
    for url in (slip_url(other), thanks_url(other)):
        assert client.get(url).status_code == 404
    token_page = text(client.get(slip_url(people["circle"])))
    _action, fields = form_of(token_page, "give-form")
    response = client.post(slip_url(other), data={**fields, **row(0, people["other"])})
    assert response.status_code == 404
    assert saved_referrals(app, other) == []


def test_a_post_without_csrf_is_refused(app, client, people, me):
    circle = people["circle"]
    response = client.post(slip_url(circle), data=row(0, people["pharma"]))
    assert response.status_code in (400, 422)
    assert saved_referrals(app, circle) == []


# --- the quick thank-you -----------------------------------------------------------


def test_thanking_saves_the_amount_in_minor_units_and_remembers_the_kind(app, client, people, me):
    circle = people["circle"]
    page = text(client.get(thanks_url(circle)))
    _action, fields = form_of(page, "thank-form")
    assert fields["thank-kind"] == "new"
    assert fields["thank-closed_on"] == today().isoformat()
    assert 'inputmode="decimal"' in element(page, "thank-amount")
    data = {"thank-giver_id": str(people["pharma"].id), "thank-amount": "1,234.50"}
    response = send(client, thanks_url(circle), "thank-form", {**data, "thank-kind": "repeat"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(thanks_url(circle))
    shown = text(client.get(response.headers["Location"]))
    assert "Thank you noted: €1,234.50 credited to Paula Pharma." in shown
    [saved] = saved_business(app, circle)
    assert (saved.amount_minor, saved.currency, saved.kind) == (123450, "EUR", "repeat")
    assert (saved.thanked_id, saved.reporter_id) == (people["pharma"].id, me.id)
    # The next thank-you starts as "repeat".
    _action, fields = form_of(text(client.get(thanks_url(circle))), "thank-form")
    assert fields["thank-kind"] == "repeat"


def test_the_amount_is_read_in_german_notation(app, client, auth, people):
    circle = people["circle"]
    auth.login(people["tax"].user)  # reads German
    data = {"thank-giver_id": str(people["pharma"].id), "thank-amount": "1.234,50"}
    assert send(client, thanks_url(circle), "thank-form", data).status_code == 302
    [saved] = saved_business(app, circle)
    assert saved.amount_minor == 123450


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"thank-amount": "12.345"}, "thank-amount"),
        ({"thank-amount": "9" * 40}, "thank-amount"),
        ({"thank-amount": ""}, "thank-amount"),
        ({"thank-giver_id": ""}, "thank-giver_id"),
        ({"thank-giver_id": "99999999999999999999"}, "thank-giver_id"),
        ({"thank-kind": "sometimes"}, "thank-kind"),
    ],
)
def test_a_bad_thank_you_saves_nothing(app, client, people, me, data, field):
    circle = people["circle"]
    good = {"thank-giver_id": str(people["pharma"].id), "thank-amount": "100"}
    response = send(client, thanks_url(circle), "thank-form", {**good, **data})
    assert response.status_code == 422
    assert 'class="error"' in element(text(response), f"{field}-error")
    assert saved_business(app, circle) == []


def test_a_giver_of_another_circle_is_refused(app, client, people, me):
    circle = people["circle"]
    data = {"thank-giver_id": str(people["other"].id), "thank-amount": "100"}
    response = send(client, thanks_url(circle), "thank-form", data)
    assert response.status_code == 422
    assert saved_business(app, circle) == []
    assert saved_business(app, people["other_circle"]) == []
