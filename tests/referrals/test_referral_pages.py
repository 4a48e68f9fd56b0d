"""The referral pages through their real HTML forms (with CSRF): the week view with several
referrals in one submit, closed business credited to the giver, status, void, corrections
with their history, the ledger, mails, and 404 for anything outside one's own slips."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from circle.core.weeks import today_for
from circle.extensions import db
from circle.models import AuditEntry, Circle, ClosedBusiness, Referral
from circle.referrals.reading import LINKABLE
from tests.pages import any_csrf_token, element, text

# --- reading forms as a browser does (selects send their selected option) ----------


class _Forms(HTMLParser):
    """Every form of a page with what a browser would send: inputs, selected options,
    textareas, checked boxes."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self._form["fields"][a["name"]] = a.get("value") or "y"
                else:
                    self._form["fields"].setdefault(a["name"], None)
            elif a.get("type") != "submit":
                self._form["fields"][a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select, self._first_option = a.get("name"), None
            self._form["fields"][self._select] = None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
                self._form["fields"][self._select] = value
            if "selected" in a:
                self._form["fields"][self._select] = value
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._form["fields"][self._textarea] = ""

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def page_forms(html: str) -> list[dict]:
    """The forms of a page with the values a browser would send."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def submit(client, page: str, action: str, data: dict | None = None):
    """Open ``page``, fill ``data`` into its form posting to ``action`` and send it."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    return send(client, response.get_data(as_text=True), action, data)


def send(client, html: str, action: str, data: dict | None = None, button: str = ""):
    """Fill ``data`` into the form of ``html`` posting to ``action`` and send it, with
    the submit button named ``button`` pressed (its value ``1``) when given."""
    forms = [f for f in page_forms(html) if f["action"] == action]
    assert forms, f"the page has no form posting to {action}"
    fields = forms[0]["fields"]
    payload = {k: v.strip("\n") for k, v in fields.items() if v is not None}
    for key, value in (data or {}).items():
        assert key in fields, f"the form for {action} has no field {key!r}"
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    if button:
        assert f'name="{button}" value="1"' in html, f"the page has no button {button!r}"
        payload[button] = "1"
    return client.post(action, data=payload)


# --- helpers -----------------------------------------------------------------------


def today() -> date:
    """Today where the test circles meet (Europe/Berlin)."""
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


def week_url(circle, day: date | None = None) -> str:
    """The week page of a circle (the current week without ``day``)."""
    return f"/circles/{circle.id}/week" + (f"/{day.isoformat()}" if day else "")


def give_url(circle) -> str:
    """Where the several-referrals form posts."""
    return f"/circles/{circle.id}/referrals"


def thank_url(circle) -> str:
    """Where the closed-business form posts."""
    return f"/circles/{circle.id}/closed-business"


def ledger_url(circle, query: str = "") -> str:
    """The ledger of a circle."""
    return f"/circles/{circle.id}/ledger" + (f"?{query}" if query else "")


def row(index: int, receiver, day: date | None = None, **fields) -> dict:
    """The form fields of one row of the give form."""
    data = {
        f"give-rows-{index}-receiver_id": str(getattr(receiver, "id", receiver)),
        f"give-rows-{index}-given_on": (day or today()).isoformat(),
    }
    data.update({f"give-rows-{index}-{name}": str(value) for name, value in fields.items()})
    return data


def thanks(giver, amount: str, day: date | None = None, **fields) -> dict:
    """The form fields of the closed-business form."""
    data = {
        "thank-giver_id": str(getattr(giver, "id", giver)),
        "thank-amount": amount,
        "thank-closed_on": (day or today()).isoformat(),
    }
    data.update({f"thank-{name}": str(value) for name, value in fields.items()})
    return data


def give(client, circle, data: dict, page: str | None = None):
    """Send the give form of the week page with as many rows as ``data`` fills: "One more"
    is pressed (without scripting) for each row past the first, as a member would."""
    response = client.get(page or week_url(circle))
    assert response.status_code == 200, (page, response.status_code)
    html = text(response)
    indices = [int(m.group(1)) for key in data if (m := re.match(r"give-rows-(\d+)-", key))]
    while f'id="give-row-{max(indices, default=0)}"' not in html:
        html = text(send(client, html, give_url(circle), button="more"))
    return send(client, html, give_url(circle), data)


def thank(client, circle, data: dict, page: str | None = None):
    """Send the closed-business form of the week page."""
    return submit(client, page or week_url(circle), thank_url(circle), data)


def referrals(app, circle) -> list[Referral]:
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


def closed_business(app, circle) -> list[ClosedBusiness]:
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


def audit_count(app) -> int:
    """How many audit entries exist."""
    with app.app_context():
        count = db.session.execute(select(func.count(AuditEntry.id))).scalar_one()
        db.session.remove()
    return count


def total(html: str, name: str, where: str = "week-totals") -> str:
    """One total shown on the page (``given``, ``revenue_generated`` ...)."""
    match = re.search(r'data-total="' + name + r'">([^<]*)<', element(html, where))
    assert match, name
    return match.group(1).replace("\xa0", " ").replace("\u202f", " ")


def translated(app, locale: str, message: str, **values) -> str:
    """A message as the app shows it in ``locale`` (whatever the catalog holds today)."""
    with app.test_request_context(), force_locale(locale):
        return _(message, **values)


def status_form(html: str, referral_id: int, status: str) -> dict:
    """The status button form of a referral for one status."""
    for form in page_forms(html):
        if form["action"].endswith(f"/referrals/{referral_id}/status") and (
            form["fields"].get("status") == status
        ):
            return form
    raise AssertionError(f"no {status} button for referral {referral_id}")


def press_status(client, page: str, referral_id: int, status: str):
    """Press a status button on ``page``."""
    form = status_form(client.get(page).get_data(as_text=True), referral_id, status)
    return client.post(form["action"], data=form["fields"])


# --- fixtures ----------------------------------------------------------------------


@pytest.fixture
def people(make):
    """A circle meeting on Wednesdays: an admin, a photographer (me), a pharmacist and a
    tax adviser; and another circle with its own member."""
    admin = make.user(name="Anna Admin", email="anna@example.org", locale="en")
    circle = make.circle(admin=admin, name="Kreis Köln-Süd", meeting_weekday=2)
    me = make.user(name="Fritz Foto", email="fritz@example.org", locale="en")
    pharma = make.user(name="Paula Pharma", email="paula@example.org", locale="en")
    tax = make.user(name="Stefan Steuer", email="stefan@example.org", locale="de")
    members = {
        "admin": make.admin_seat(circle),
        "me": make.member(circle, me, profession="Fotograf"),
        "pharma": make.member(circle, pharma, profession="Apotheker"),
        "tax": make.member(circle, tax, profession="Steuerberater"),
    }
    stranger = make.user(name="Olga Other", email="olga@example.org", locale="en")
    other = make.circle(admin=stranger, name="Kreis Bonn")
    members["other"] = make.member(other, profession="Fotograf")
    return {"circle": circle, "other": other, "stranger": stranger, **members}


def login(auth, membership):
    """Log in as the user of a membership."""
    response = auth.login(membership.user)
    assert response.status_code == 302
    return response


# --- giving several referrals at once ----------------------------------------------


def test_a_member_gives_three_referrals_in_one_submit(app, client, auth, people, outbox):
    circle = people["circle"]
    login(auth, people["me"])
    page = text(client.get(week_url(circle)))
    # One empty row ("One more" adds the next); the receiver list offers the others by
    # "Name - Profession", sorted by profession, and not me.
    assert 'id="give-row-0"' in page
    assert 'id="give-row-1"' not in page
    receivers = element(page, "give-rows-0-receiver_id")
    assert "Paula Pharma \N{EN DASH} Apotheker" in receivers
    assert "Fritz Foto" not in receivers
    assert receivers.index("Apotheker") < receivers.index("Steuerberater")
    assert 'value="' + today().isoformat() + '"' in element(page, "give-row-0")

    # "One more" without scripting: the page again with the row as typed and a new one
    # dated today; nothing is given yet.
    first = row(0, people["pharma"], hotness=5, kind="inside", prospect_name="Max Kunde")
    more = send(client, page, give_url(circle), first, button="more")
    assert more.status_code == 200
    page = text(more)
    kept = next(f for f in page_forms(page) if f["action"] == give_url(circle))["fields"]
    assert kept["give-rows-0-prospect_name"] == "Max Kunde"
    assert (kept["give-rows-1-receiver_id"], kept["give-rows-1-given_on"]) == (
        "",
        today().isoformat(),
    )
    assert 'id="give-row-2"' not in page
    assert referrals(app, circle) == []
    second = row(1, people["tax"], hotness=2, kind="outside", sphere="local")
    page = text(send(client, page, give_url(circle), second, button="more"))

    third = row(2, people["pharma"], prospect_phone="0221 123", note="Ruft an")
    response = send(client, page, give_url(circle), third)
    assert response.status_code == 302
    shown = text(client.get(response.headers["Location"]))
    assert "3 referrals given." in shown
    assert total(shown, "given") == "3"

    saved = referrals(app, circle)
    assert [(r.receiver_id, r.hotness, r.kind, r.sphere) for r in saved] == [
        (people["pharma"].id, 5, "inside", None),
        (people["tax"].id, 2, "outside", "local"),
        (people["pharma"].id, 3, "inside", None),
    ]
    assert all(r.giver_id == people["me"].id and r.status == "new" for r in saved)
    assert saved[0].prospect_name == "Max Kunde"
    assert saved[2].prospect_phone == "0221 123" and saved[2].note == "Ruft an"

    # Each receiver got a mail (the tax adviser in German).
    to = sorted(m["To"] for m in outbox())
    assert to == ["paula@example.org", "paula@example.org", "stefan@example.org"]
    paula = next(m for m in outbox() if m["To"] == "paula@example.org")
    assert "Fritz Foto" in paula["Subject"]
    assert f"/circles/{circle.id}/week" in paula.get_body(("plain",)).get_content()


def test_rows_without_a_receiver_are_ignored_and_an_empty_form_is_refused(
    app, client, auth, people
):
    circle = people["circle"]
    login(auth, people["me"])
    response = give(client, circle, row(1, people["pharma"]))
    assert response.status_code == 302
    assert len(referrals(app, circle)) == 1

    response = give(client, circle, {})
    assert response.status_code == 422
    assert "Choose a receiver for at least one referral." in text(response)
    assert len(referrals(app, circle)) == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("self", "A member cannot refer business to themselves."),
        ("other_circle", "This person is not an active member of this circle."),
        ("future", "The date cannot be in the future."),
        ("hotness", "Hotness is a number from 1 to 5."),
    ],
)
def test_a_bad_row_saves_nothing_and_says_why_on_its_row(
    app, client, auth, people, outbox, bad, message
):
    circle = people["circle"]
    login(auth, people["me"])
    bad_row = {
        "self": row(1, people["me"]),
        "other_circle": row(1, people["other"]),
        "future": row(1, people["tax"], day=today() + timedelta(days=1)),
        "hotness": row(1, people["tax"], hotness=0),
    }[bad]
    data = {**row(0, people["pharma"]), **bad_row, **row(2, people["tax"])}
    before = audit_count(app)
    response = give(client, circle, data)
    assert response.status_code == 422
    page = text(response)
    assert message in element(page, "give-row-1")
    assert message not in element(page, "give-row-0")
    # Nothing was saved, nobody was mailed, and the rows keep what was typed.
    assert referrals(app, circle) == []
    assert audit_count(app) == before
    assert outbox() == []
    kept = next(f for f in page_forms(page) if f["action"] == give_url(circle))["fields"]
    assert kept["give-rows-0-receiver_id"] == str(people["pharma"].id)
    assert kept["give-rows-2-receiver_id"] == str(people["tax"].id)


def test_an_invalid_date_in_a_row_is_refused_on_that_row(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    data = {**row(0, people["pharma"]), "give-rows-0-given_on": "26.03.2025"}
    response = give(client, circle, data)
    assert response.status_code == 422
    assert "Please enter a date like 2025-03-26." in element(text(response), "give-row-0")
    assert referrals(app, circle) == []


def test_an_admin_gives_in_another_members_name(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["admin"])
    page = text(client.get(week_url(circle)))
    assert 'name="give-giver_id"' in page
    data = {"give-giver_id": str(people["pharma"].id), **row(0, people["tax"])}
    assert give(client, circle, data).status_code == 302
    [saved] = referrals(app, circle)
    assert (saved.giver_id, saved.receiver_id) == (people["pharma"].id, people["tax"].id)


def test_a_plain_member_cannot_give_in_another_members_name(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    page = text(client.get(week_url(circle)))
    assert 'name="give-giver_id"' not in page
    token = any_csrf_token(client, week_url(circle))
    response = client.post(
        give_url(circle),
        data={"give-csrf_token": token, "give-giver_id": str(people["pharma"].id)}
        | row(0, people["tax"]),
    )
    # The giver select is ignored for members: the referral is theirs.
    assert response.status_code == 302
    [saved] = referrals(app, circle)
    assert saved.giver_id == people["me"].id


# --- weeks -------------------------------------------------------------------------


def test_weeks_start_on_the_meeting_day(app, client, auth, people):
    """The circle meets on Wednesdays: Tuesday belongs to the week before."""
    circle = people["circle"]
    login(auth, people["me"])
    tuesday, wednesday = date(2025, 3, 25), date(2025, 3, 26)
    data = {
        **row(0, people["pharma"], day=tuesday, prospect_name="Dienstag"),
        **row(1, people["tax"], day=wednesday, prospect_name="Mittwoch"),
    }
    assert give(client, circle, data, page=week_url(circle, wednesday)).status_code == 302

    this_week = text(client.get(week_url(circle, wednesday)))
    assert "Mittwoch" in element(this_week, "given-list")
    assert "Dienstag" not in this_week
    assert total(this_week, "given") == "1"
    assert 'datetime="2025-03-26"' in element(this_week, "week-days")
    # Any day of the week shows the same week.
    assert "Mittwoch" in text(client.get(week_url(circle, date(2025, 4, 1))))

    previous = text(client.get(week_url(circle, tuesday)))
    assert "Dienstag" in element(previous, "given-list")
    assert "Mittwoch" not in previous
    days = re.findall(r'datetime="([\d-]+)"', element(previous, "week-days"))
    assert days[0] == "2025-03-19" and days[-1] == "2025-03-25"


@pytest.mark.parametrize(
    ("weekday", "day", "first", "prev", "next_"),
    [
        # Wednesday circle, the week of Sunday 30 March 2025 (clocks go forward).
        (2, date(2025, 3, 30), date(2025, 3, 26), date(2025, 3, 19), date(2025, 4, 2)),
        # Sunday circle, the week starting Sunday 26 October 2025 (clocks go back).
        (6, date(2025, 10, 26), date(2025, 10, 26), date(2025, 10, 19), date(2025, 11, 2)),
    ],
)
def test_a_week_across_the_dst_change_has_seven_days(
    client, auth, make, weekday, day, first, prev, next_
):
    user = make.user(locale="en")
    circle = make.circle(admin=user, meeting_weekday=weekday, timezone="Europe/Berlin")
    auth.login(user)
    page = text(client.get(week_url(circle, day)))
    days = re.findall(r'datetime="([\d-]+)"', element(page, "week-days"))
    assert days == [(first + timedelta(days=i)).isoformat() for i in range(7)]
    assert re.search(r'href="([^"]+)" rel="prev"', page).group(1) == week_url(circle, prev)
    assert re.search(r'href="([^"]+)" rel="next"', page).group(1) == week_url(circle, next_)


def test_no_next_week_beyond_the_current_week(client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    page = text(client.get(week_url(circle)))
    assert 'rel="next"' not in page
    assert 'rel="prev"' in page
    # The current week under its date is the same page, also without "next".
    assert 'rel="next"' not in text(client.get(week_url(circle, today())))
    assert client.get(week_url(circle, today() + timedelta(days=8))).status_code == 404
    last_week = text(client.get(week_url(circle, today() - timedelta(days=7))))
    assert f'href="{week_url(circle)}" rel="next"' in last_week


@pytest.mark.parametrize("bad", ["2025-02-30", "abc", "20250326", "1999-12-31", "2025-3-1"])
def test_an_invalid_week_date_is_404(client, auth, people, bad):
    login(auth, people["me"])
    assert client.get(f"/circles/{people['circle'].id}/week/{bad}").status_code == 404


# --- closed business ---------------------------------------------------------------


def test_closed_business_is_credited_to_the_giver(app, client, auth, people, outbox):
    """The photographer reports 1,234.50 earned through the pharmacist: the pharmacist's
    ledger shows revenue generated, the photographer's shows revenue received."""
    circle = people["circle"]
    login(auth, people["me"])
    response = thank(client, circle, thanks(people["pharma"], "1,234.50", kind="repeat"))
    assert response.status_code == 302
    shown = text(client.get(response.headers["Location"]))
    assert "Thank you noted: €1,234.50 credited to Paula Pharma." in shown
    assert total(shown, "revenue_received") == "€1,234.50"
    assert total(shown, "revenue_generated") == "€0.00"
    assert "Paula Pharma" in element(shown, "reported-list")

    [business] = closed_business(app, circle)
    assert business.amount_minor == 123450
    assert business.currency == "EUR"
    assert (business.thanked_id, business.reporter_id) == (people["pharma"].id, people["me"].id)
    assert business.kind == "repeat"

    mine = text(client.get(ledger_url(circle)))
    assert total(mine, "revenue_received", "ledger-balance") == "€1,234.50"
    assert total(mine, "revenue_generated", "ledger-balance") == "€0.00"
    assert "You received €1,234.50 more than you generated for others." in mine

    auth.logout()
    login(auth, people["pharma"])
    theirs = text(client.get(ledger_url(circle)))
    assert total(theirs, "revenue_generated", "ledger-balance") == "€1,234.50"
    assert total(theirs, "revenue_received", "ledger-balance") == "€0.00"
    assert "You generated €1,234.50 more for others than you received." in theirs
    week = text(client.get(week_url(circle)))
    assert total(week, "revenue_generated") == "€1,234.50"
    assert "Fritz Foto" in element(week, "thanked-list")

    # The giver was thanked with the amount (the circle shows it by default).
    [mail] = [m for m in outbox() if m["To"] == "paula@example.org"]
    assert mail["Subject"] == "You were thanked for closed business"
    assert (
        "Fritz Foto thanks you for closed business worth €1,234.50."
        in mail.get_body(("plain",)).get_content()
    )


def test_a_german_amount_is_parsed_exactly(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["tax"])  # a German-speaking member
    response = thank(client, circle, thanks(people["pharma"], "1.234,50"))
    assert response.status_code == 302
    [business] = closed_business(app, circle)
    assert business.amount_minor == 123450
    assert total(text(client.get(week_url(circle))), "revenue_received") == "1.234,50 €"


@pytest.mark.parametrize(
    ("typed", "message", "values"),
    [
        ("0", "The amount must be greater than zero.", {}),
        ("-5", "The amount must be greater than zero.", {}),
        (
            "12,345",
            "%(currency)s amounts have at most %(digits)s decimal places.",
            {"currency": "EUR", "digits": 2},
        ),
        ("abc", "%(text)s is not an amount. Example: %(example)s", {"text": "abc"}),
        ("", "Please enter an amount.", {}),
    ],
)
def test_bad_amounts_are_refused_in_german(app, client, auth, people, typed, message, values):
    circle = people["circle"]
    login(auth, people["tax"])
    if "example" in message:
        values["example"] = "1.234,50"
    response = thank(client, circle, thanks(people["pharma"], typed))
    assert response.status_code == 422
    expected = translated(app, "de", message, **values)
    assert expected in element(text(response), "thank-form")
    assert closed_business(app, circle) == []


def test_bad_amounts_are_refused_in_english(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    response = thank(client, circle, thanks(people["pharma"], "1,234.567"))
    assert response.status_code == 422
    assert "EUR amounts have at most 2 decimal places." in text(response)
    response = thank(client, circle, thanks(people["pharma"], "1.234,50"))
    assert response.status_code == 422
    assert "1.234,50 is not an amount. Example: 1,234.50" in text(response)
    assert closed_business(app, circle) == []


def test_closed_business_refusals_name_the_field(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    cases = [
        (thanks(people["me"], "10"), "A member cannot thank themselves."),
        (thanks(people["other"], "10"), "This person is not an active member of this circle."),
        (
            thanks(people["pharma"], "10", day=today() + timedelta(days=1)),
            "The date cannot be in the future.",
        ),
        (thanks("", "10"), "Choose the member who gave you the business."),
    ]
    for data, message in cases:
        response = thank(client, circle, data)
        assert response.status_code == 422, message
        assert message in element(text(response), "thank-form")
    assert closed_business(app, circle) == []


def test_closed_business_links_to_a_received_referral_and_wins_it(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["pharma"])
    give(client, circle, row(0, people["me"], prospect_name="Hochzeit Meyer"))
    [referral] = referrals(app, circle)
    auth.logout()

    login(auth, people["me"])
    page = text(client.get(week_url(circle)))
    assert "Hochzeit Meyer" in element(page, "thank-referral_id")
    data = thanks(people["pharma"], "2,400.00", referral_id=referral.id)
    assert thank(client, circle, data).status_code == 302
    [business] = closed_business(app, circle)
    assert business.referral_id == referral.id
    assert referrals(app, circle)[0].status == "won"

    # A referral from someone else cannot be linked to this giver.
    response = thank(
        client, circle, {**thanks(people["tax"], "5"), "thank-referral_id": referral.id}
    )
    assert response.status_code == 422
    assert "That referral was not given by Stefan Steuer to Fritz Foto." in text(response)


def test_the_thank_you_mail_hides_the_amount_when_the_circle_says_so(
    app, client, auth, people, outbox
):
    circle = people["circle"]
    login(auth, people["admin"])
    settings = f"/circles/{circle.id}/settings"
    page = text(client.get(settings))
    assert "Tell givers the amount they were thanked for" in page
    assert 'name="show_thank_amount"' in page and "checked" in element(page, "show_thank_amount")
    form = next(f for f in page_forms(page) if f["action"] in ("", settings))
    data = {k: v for k, v in form["fields"].items() if v is not None}
    data.pop("show_thank_amount", None)  # unticked
    # Selects are not read by the form parser: send the current values.
    data.update({"currency": "EUR", "timezone": "Europe/Berlin", "meeting_weekday": "2"})
    response = client.post(settings, data=data)
    assert response.status_code == 302, text(response)
    assert "checked" not in element(text(client.get(settings)), "show_thank_amount")
    auth.logout()

    login(auth, people["me"])
    assert thank(client, circle, thanks(people["pharma"], "99.00")).status_code == 302
    [mail] = [m for m in outbox() if m["To"] == "paula@example.org"]
    body = mail.get_body(("plain",)).get_content()
    assert "Fritz Foto thanks you for closed business." in body
    assert not re.search(r"99[.,]00|€ ?99", body)  # no amount (ids in links may hold 99)


# --- status, void, corrections and history -----------------------------------------


def test_my_open_referrals_come_a_page_at_a_time(app, client, auth, people, make):
    circle = people["circle"]
    day = today()
    for back in range(23):
        make.slip(people["pharma"], people["me"], day - timedelta(days=back * 9))
    login(auth, people["me"])
    waiting = f"/circles/{circle.id}/referrals/open"
    first = text(client.get(waiting))
    assert element(first, "open-referrals").count("data-referral=") == 20
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    rest = text(client.get(older))
    assert element(rest, "open-referrals").count("data-referral=") == 3
    assert 'rel="next"' not in rest and 'rel="prev"' in rest
    # A place that does not parse is the newest page, never an error.
    for junk in ("?before=xyz", "?before=2026-13-01_1", "?after=9999-01-01_99999999999"):
        response = client.get(waiting + junk)
        assert response.status_code == 200
        assert element(text(response), "open-referrals").count("data-referral=") == 20


def test_the_receiver_moves_a_referral_through_its_status(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["pharma"])
    give(client, circle, row(0, people["me"], prospect_name="Max Kunde"))
    [referral] = referrals(app, circle)
    # The giver has no status buttons.
    with pytest.raises(AssertionError):
        status_form(text(client.get(week_url(circle))), referral.id, "contacted")
    auth.logout()

    login(auth, people["me"])
    waiting = f"/circles/{circle.id}/referrals/open"
    page = text(client.get(waiting))
    assert "Max Kunde" in element(page, "open-referrals")
    response = press_status(client, waiting, referral.id, "contacted")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(waiting)
    assert referrals(app, circle)[0].status == "contacted"
    # From contacted, only won or lost remain.
    page = text(client.get(waiting))
    with pytest.raises(AssertionError):
        status_form(page, referral.id, "contacted")
    assert press_status(client, waiting, referral.id, "won").status_code == 302
    assert referrals(app, circle)[0].status == "won"
    assert "Max Kunde" not in element(text(client.get(waiting)), "open-referrals")

    # Going back is refused with the reason, and nothing changes.
    token = any_csrf_token(client, week_url(circle))
    response = client.post(
        f"/circles/{circle.id}/referrals/{referral.id}/status",
        data={"csrf_token": token, "status": "contacted"},
    )
    assert response.status_code == 409
    assert "A referral cannot go back from won to contacted." in text(response)
    assert referrals(app, circle)[0].status == "won"


def test_the_giver_cannot_set_the_status(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    give(client, circle, row(0, people["pharma"]))
    [referral] = referrals(app, circle)
    token = any_csrf_token(client, week_url(circle))
    response = client.post(
        f"/circles/{circle.id}/referrals/{referral.id}/status",
        data={"csrf_token": token, "status": "won"},
    )
    assert response.status_code == 403
    assert referrals(app, circle)[0].status == "new"


def test_a_void_referral_is_struck_through_and_not_counted(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    give(client, circle, {**row(0, people["pharma"]), **row(1, people["tax"])})
    first, _second = referrals(app, circle)
    slip = f"/circles/{circle.id}/referrals/{first.id}"
    void = f"{slip}/void"

    response = submit(client, slip, void, {"void-reason": ""})
    assert response.status_code == 422
    assert "Please give a reason." in text(response)

    response = submit(client, slip, void, {"void-reason": "Doppelt eingetragen"})
    assert response.status_code == 302
    page = text(client.get(week_url(circle)))
    assert total(page, "given") == "1"
    given = element(page, "given-list")
    assert "<s>" in given and "Voided: Doppelt eingetragen" in given
    assert "Voided: Doppelt eingetragen" in text(client.get(slip))
    ledger = text(client.get(ledger_url(circle)))
    assert total(ledger, "given", "ledger-balance") == "1"

    # Voiding twice is refused; the receiver may not void the giver's slip.
    assert f'action="{void}"' not in text(client.get(slip))
    auth.logout()
    login(auth, people["tax"])
    second_slip = f"/circles/{circle.id}/referrals/{_second.id}"
    assert f'action="{second_slip}/void"' not in text(client.get(second_slip))
    token = any_csrf_token(client, second_slip)
    response = client.post(
        f"{second_slip}/void", data={"void-csrf_token": token, "void-reason": "nein"}
    )
    assert response.status_code == 403
    assert referrals(app, circle)[1].voided_at is None


def test_void_closed_business_is_not_counted(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    thank(client, circle, thanks(people["pharma"], "100.00"))
    thank(client, circle, thanks(people["pharma"], "20.00"))
    first, _second = closed_business(app, circle)
    page = f"/circles/{circle.id}/closed-business/{first.id}"
    response = submit(client, page, f"{page}/void", {"void-reason": "Storniert"})
    assert response.status_code == 302
    week = text(client.get(week_url(circle)))
    assert total(week, "revenue_received") == "€20.00"
    assert "Voided: Storniert" in element(week, "reported-list")
    ledger = text(client.get(ledger_url(circle)))
    assert total(ledger, "revenue_received", "ledger-balance") == "€20.00"


def test_the_slip_history_shows_a_correction(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    give(client, circle, row(0, people["pharma"], hotness=2, prospect_name="Max"))
    [referral] = referrals(app, circle)
    slip = f"/circles/{circle.id}/referrals/{referral.id}"
    response = submit(
        client,
        slip,
        f"{slip}/edit",
        {"edit-hotness": "4", "edit-prospect_name": "Max Kunde"},
    )
    assert response.status_code == 302
    saved = referrals(app, circle)[0]
    assert (saved.hotness, saved.prospect_name) == (4, "Max Kunde")

    history = element(text(client.get(slip)), "history")
    assert history.count('class="history-entry"') == 2
    assert "Fritz Foto" in history and "corrected" in history
    dash = "\N{EN DASH}"
    assert f"<del>2 {dash} the contact expects a call</del> → <ins>4 {dash} called ahead" in history
    assert "<del>Max</del> → <ins>Max Kunde</ins>" in history
    # The time is shown in the circle's time zone.
    with app.app_context():
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "edit")
        ).scalar_one()
        local = entry.created_at.astimezone(ZoneInfo("Europe/Berlin"))
        db.session.remove()
    assert local.strftime("%-I:%M") in history

    # A refused correction shows on its field and changes nothing.
    response = submit(client, slip, f"{slip}/edit", {"edit-receiver_id": str(people["me"].id)})
    assert response.status_code == 422
    assert "A member cannot refer business to themselves." in element(text(response), "correct")
    assert referrals(app, circle)[0].receiver_id == people["pharma"].id


def test_an_admin_corrects_closed_business_and_the_receiver_cannot(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    thank(client, circle, thanks(people["pharma"], "100.00"))
    [business] = closed_business(app, circle)
    page = f"/circles/{circle.id}/closed-business/{business.id}"
    auth.logout()

    # The thanked giver sees the entry but may not change it.
    login(auth, people["pharma"])
    shown = text(client.get(page))
    assert "€100.00" in shown and f'action="{page}/edit"' not in shown
    auth.logout()

    login(auth, people["admin"])
    shown = text(client.get(page))
    assert 'value="100.00"' in element(shown, "edit-amount")
    response = submit(client, page, f"{page}/edit", {"edit-amount": "1,100.00"})
    assert response.status_code == 302
    assert closed_business(app, circle)[0].amount_minor == 110000
    history = element(text(client.get(page)), "history")
    assert "Anna Admin" in history
    assert "<del>€100.00</del> → <ins>€1,100.00</ins>" in history


# --- the ledger --------------------------------------------------------------------


def test_the_ledger_groups_by_month_and_week(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    give(
        client,
        circle,
        {
            **row(0, people["pharma"], day=date(2025, 3, 25)),
            **row(1, people["pharma"], day=date(2025, 3, 26)),
            **row(2, people["tax"], day=date(2025, 4, 2)),
        },
    )
    thank(client, circle, thanks(people["pharma"], "10.00", day=date(2025, 3, 31)))
    auth.logout()
    login(auth, people["pharma"])
    give(client, circle, row(0, people["me"], day=date(2025, 4, 1)))
    auth.logout()
    login(auth, people["me"])

    by_month = text(client.get(ledger_url(circle, "from=2025-03-01&to=2025-04-30&by=month")))
    march = element(by_month, "ledger-table").split('data-period="2025-03-01"')[1]
    assert 'data-col="given">2<' in march.split("</tr>")[0]
    april = by_month.split('data-period="2025-04-01"')[1].split("</tr>")[0]
    assert 'data-col="given">1<' in april and 'data-col="received">1<' in april
    assert "€10.00" in march.split("</tr>")[0]
    assert total(by_month, "given", "ledger-balance") == "3"

    by_week = text(client.get(ledger_url(circle, "from=2025-03-19&to=2025-04-08&by=week")))
    rows = re.findall(r'data-period="([\d-]+)"', by_week)
    assert rows == ["2025-03-19", "2025-03-26", "2025-04-02"]
    week_of_26 = by_week.split('data-period="2025-03-26"')[1].split("</tr>")[0]
    # Wednesday 26 March to Tuesday 1 April: one given, one received, 10 € received.
    assert 'data-col="given">1<' in week_of_26
    assert 'data-col="received">1<' in week_of_26
    assert "€10.00" in week_of_26
    assert week_url(circle, date(2025, 3, 26)) in week_of_26


def test_the_ledger_defaults_to_twelve_months_and_refuses_bad_periods(client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    page = text(client.get(ledger_url(circle)))
    assert len(re.findall(r'data-period="\d{4}-\d{2}-01"', page)) == 12
    assert f'data-period="{today().replace(day=1).isoformat()}"' in page

    response = client.get(ledger_url(circle, "from=2025-05-01&to=2025-04-01"))
    assert response.status_code == 422
    assert "The start must not be after the end." in text(response)
    response = client.get(ledger_url(circle, "from=gestern"))
    assert response.status_code == 422
    assert "Please enter a date like 2025-03-26." in text(response)
    response = client.get(ledger_url(circle, "from=2001-01-01&to=2025-01-01"))
    assert response.status_code == 422


# --- who may see what --------------------------------------------------------------


def test_a_member_cannot_see_another_pairs_slips(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["pharma"])
    give(client, circle, row(0, people["tax"]))
    thank(client, circle, thanks(people["tax"], "50.00"))
    [referral] = referrals(app, circle)
    [business] = closed_business(app, circle)
    slip = f"/circles/{circle.id}/referrals/{referral.id}"
    entry = f"/circles/{circle.id}/closed-business/{business.id}"
    auth.logout()

    login(auth, people["me"])
    assert client.get(slip).status_code == 404
    assert client.get(entry).status_code == 404
    token = any_csrf_token(client, week_url(circle))
    for url, data in [
        (f"{slip}/status", {"csrf_token": token, "status": "won"}),
        (f"{slip}/void", {"void-csrf_token": token, "void-reason": "x"}),
        (f"{slip}/edit", {"edit-csrf_token": token, **{"edit-hotness": "1"}}),
        (f"{entry}/void", {"void-csrf_token": token, "void-reason": "x"}),
        (f"{entry}/edit", {"edit-csrf_token": token, "edit-amount": "1"}),
    ]:
        assert client.post(url, data=data).status_code == 404, url
    # Nor does it show in my week.
    assert "Stefan Steuer" not in element(text(client.get(week_url(circle))), "this-week")
    auth.logout()

    # Both members involved and the admin see them.
    for who in ("tax", "admin"):
        login(auth, people[who])
        assert client.get(slip).status_code == 200
        assert client.get(entry).status_code == 200
        auth.logout()


def test_another_circles_user_gets_404_on_every_route(app, client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    give(client, circle, row(0, people["pharma"]))
    thank(client, circle, thanks(people["pharma"], "50.00"))
    [referral] = referrals(app, circle)
    [business] = closed_business(app, circle)
    auth.logout()

    login(auth, people["other"])
    own = people["other"].circle
    token = any_csrf_token(client, week_url(own))
    slip = f"/circles/{circle.id}/referrals/{referral.id}"
    entry = f"/circles/{circle.id}/closed-business/{business.id}"
    for url in [
        week_url(circle),
        week_url(circle, date(2025, 3, 26)),
        ledger_url(circle),
        slip,
        entry,
    ]:
        assert client.get(url).status_code == 404, url
    posts = [
        (give_url(circle), {"give-csrf_token": token, **row(0, people["pharma"])}),
        (thank_url(circle), {"thank-csrf_token": token, **thanks(people["pharma"], "1")}),
        (f"{slip}/status", {"csrf_token": token, "status": "won"}),
        (f"{slip}/void", {"void-csrf_token": token, "void-reason": "x"}),
        (f"{slip}/edit", {"edit-csrf_token": token, "edit-hotness": "1"}),
        (f"{entry}/void", {"void-csrf_token": token, "void-reason": "x"}),
        (f"{entry}/edit", {"edit-csrf_token": token, "edit-amount": "1"}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 404, url
    # Ids of the other circle under one's own circle are 404 too.
    assert client.get(f"/circles/{own.id}/referrals/{referral.id}").status_code == 404
    assert client.get(f"/circles/{own.id}/closed-business/{business.id}").status_code == 404
    assert len(referrals(app, circle)) == 1 and len(closed_business(app, circle)) == 1


def test_pages_need_a_login(client, people):
    circle = people["circle"]
    response = client.get(week_url(circle))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(ledger_url(circle)).status_code == 302


def test_the_circle_page_links_to_the_week_and_the_ledger(client, auth, people):
    circle = people["circle"]
    login(auth, people["me"])
    page = text(client.get(f"/circles/{circle.id}"))
    assert f'href="{week_url(circle)}"' in page
    assert f'href="{ledger_url(circle)}"' in page


def test_the_thank_form_offers_the_newest_received_referrals_to_link(
    app, client, auth, make, people
):
    """A member who received more referrals in the year than a select can hold on a phone
    is offered the newest ``LINKABLE`` of them."""
    circle = people["circle"]
    with app.test_request_context():
        today = today_for(db.session.get(Circle, circle.id))
    ids = [make.slip(people["pharma"], people["me"], today - timedelta(days=n)) for n in range(55)]
    login(auth, people["me"])
    options = element(text(client.get(week_url(circle))), "thank-referral_id")
    offered = {int(value) for value in re.findall(r'<option value="(\d+)"', options)}
    assert offered == set(ids[:LINKABLE])  # the newest, the oldest five left out
