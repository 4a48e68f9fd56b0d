"""German users see German pages, German refusals and German amounts."""

from circle.core.money import format_money
from tests.pages import submit, text


def test_a_german_browser_gets_the_german_login_page(client):
    page = client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert '<html lang="de">' in page.get_data(as_text=True)
    assert "Anmelden" in text(page)


def test_an_english_browser_gets_english(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.get_data(as_text=True)
    assert "Log in" in text(page)


def test_a_german_admin_reads_the_seat_refusals_in_german(client, auth, make):
    admin = make.user(name="Anna Admin", locale="de")
    circle = make.circle(admin=admin, seat_limit=3)
    make.member(circle, make.user(name="Max Muster"), profession="Fotograf")
    auth.login(admin)
    page = f"/circles/{circle.id}/members/manage"
    action = f"/circles/{circle.id}/members"

    taken = submit(
        client,
        page,
        action,
        {"add-email": "neu@example.org", "add-name": "Neu", "add-profession": " FOTOGRAF "},
    )
    assert taken.status_code == 409
    assert "Die Berufsgruppe Fotograf ist in diesem Kreis bereits besetzt (Max Muster)" in text(
        taken
    )

    make.member(circle, profession="Apotheker")  # now 3 of 3
    full = submit(
        client,
        page,
        action,
        {"add-email": "neu@example.org", "add-name": "Neu", "add-profession": "Steuerberater"},
    )
    assert full.status_code == 409
    assert "Der Kreis ist voll: 3 von 3 Plätzen belegt" in text(full)


def test_amounts_are_formatted_for_the_reader():
    assert format_money(123450, "EUR", "de") == "1.234,50\xa0€"
    assert format_money(123450, "EUR", "en") == "€1,234.50"
    assert format_money(5, "EUR", "de") == "0,05\xa0€"
    assert format_money(1200, "JPY", "de") == "1.200\xa0¥"
