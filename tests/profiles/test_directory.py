"""The circle directory and its search (issue 14, item 2): a card per member; names,
professions, companies, descriptions and wishes found in their German and English word
forms; the same members on SQLite (FTS5) and PostgreSQL (full text), since both passes
run these tests; other circles never; the index follows every change; a few statements."""

from __future__ import annotations

import pytest

from circle.extensions import db as _db
from circle.models import Circle
from circle.profiles.directory import directory
from circle.profiles.search import document, fold, parse
from tests.pages import element, submit, text

EDIT = "/account/profile"


@pytest.fixture
def circle_of(make, auth, client):
    """A circle of four with profiles, filled in through the form; Otto elsewhere."""
    circle = make.circle(name="Kreis Köln-Süd")
    people = {
        "fritz": (
            make.member(circle, make.user(name="Fritz Foto", locale="en"), profession="Fotograf"),
            {
                "company": "Foto Fritz",
                "description": "Fotos für Hochzeiten und Bewerbungen.",
                "wishes_industry": "Brautmode\nHochzeitsplaner",
            },
        ),
        "stefan": (
            make.member(
                circle, make.user(name="Stefan Steuer", locale="en"), profession="Steuerberater"
            ),
            {"description": "Steuerberatung für Ärzte und Selbstständige in Köln."},
        ),
        "paula": (
            make.member(circle, make.user(name="Paula Pharma", locale="en"), profession="Apotheke"),
            {"wishes_target_group": "Familien mit kleinen Kindern"},
        ),
    }
    other = make.circle(name="Anderer Kreis")
    otto = make.member(other, make.user(name="Otto Hochzeit", locale="en"), profession="Optiker")
    for member, fields in people.values():
        auth.login(member.user)
        assert submit(client, EDIT, EDIT, fields).status_code == 302
        auth.logout()
    members = {key: member for key, (member, _fields) in people.items()}
    return {"circle": circle, "other": other, "otto": otto, **members}


def names(client, circle, query: str = "") -> list[str]:
    """The names on the directory's cards, in order."""
    response = client.get(f"/circles/{circle.id}/members", query_string={"q": query})
    assert response.status_code == 200
    cards = element(text(response), "member-cards")
    return [
        line.split(">", 1)[1].split("<", 1)[0]
        for line in cards.split('class="member-card__name"')[1:]
    ]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("", ["Admin", "Fritz Foto", "Paula Pharma", "Stefan Steuer"]),  # by name
        ("Hochzeit", ["Fritz Foto"]),  # "Hochzeiten" in the description: the German stem
        ("hochzeiten", ["Fritz Foto"]),
        ("Hochz", ["Fritz Foto"]),  # the last word also as a prefix (typing)
        ("brautmode", ["Fritz Foto"]),  # a wish
        ("Arzt", ["Stefan Steuer"]),  # "Ärzte": umlaut folded, plural stemmed
        ("steuerberatung koln", ["Stefan Steuer"]),  # every word must match; "Köln" folded
        ("Familie", ["Paula Pharma"]),  # target group wish, singular finds plural
        ("Apotheke", ["Paula Pharma"]),  # the profession
        ("paula", ["Paula Pharma"]),  # the name
        ("Optiker", []),  # Otto sits in another circle
        ("Hochzeit Apotheke", []),
    ],
)
def test_the_directory_finds_members_by_any_word_of_their_profile(
    circle_of, auth, client, make, query, found
):
    reader = make.member(circle_of["circle"], make.user(name="Rita Reader", locale="en"))
    auth.login(reader.user)
    shown = [name for name in names(client, circle_of["circle"], query) if name != "Rita Reader"]
    assert shown == found


def test_the_index_follows_edits_names_and_seats(app, circle_of, auth, client, forms):
    fritz, circle = circle_of["fritz"], circle_of["circle"]
    auth.login(fritz.user)
    submit(client, EDIT, EDIT, {"description": "Drohnenaufnahmen von Dächern."})
    assert names(client, circle, "Drohne") == ["Fritz Foto"]
    assert names(client, circle, "Hochzeiten") == []  # the old text is gone
    forms_page = "/account"
    response = submit(client, forms_page, forms_page, {"name": "Fritz Flieger", "locale": "en"})
    assert response.status_code == 302
    assert names(client, circle, "Flieger") == ["Fritz Flieger"]
    auth.logout()
    auth.login(circle_of["stefan"].user)
    leave = forms.submit(f"/circles/{circle.id}", {}, action=f"/circles/{circle.id}/leave")
    assert leave.status_code == 302
    with app.test_request_context():  # (a fourth login would meet the login rate limit)
        assert directory(_db.session.get(Circle, circle.id), "Steuerberatung") == []


def test_search_words_are_plain_ascii_so_both_databases_read_them_alike():
    assert fold("Straße") == "strasse" and fold("Kölner") == "kolner"
    assert set(document(["Hochzeiten in Köln"]).split()) >= {"hochzeiten", "hochzeit", "koln"}
    query = parse('Ärzte "OR" x; DROP TABLE --')
    for group in query.groups:
        assert all(word.isascii() and word.isalnum() for word in group.forms)
        assert group.prefix is None or (group.prefix.isascii() and group.prefix.isalnum())
    assert parse("").is_empty and parse("!!! ?").is_empty


def test_a_search_takes_a_few_statements_at_4_and_at_40_members(
    app, circle_of, auth, client, make, count_queries
):
    circle = circle_of["circle"]
    reader = circle_of["paula"]
    auth.login(reader.user)
    url = f"/circles/{circle.id}/members"
    with count_queries() as small:
        assert client.get(url, query_string={"q": "Hochzeit"}).status_code == 200
    for n in range(36):
        make.member(circle, make.user(name=f"Mitglied {n}"), profession=f"Beruf {n}")
    with count_queries() as large:
        assert client.get(url, query_string={"q": "Hochzeit"}).status_code == 200
    with count_queries() as everyone:
        assert client.get(url).status_code == 200
    assert small.count == large.count <= 6, large.statements
    assert everyone.count <= 6, everyone.statements
    # 4,000 more profiles in 100 other circles, every one of them about weddings: the
    # search still finds only this circle's member, with as many statements.
    make.many_circles(circles=100, seats=40)
    with count_queries() as crowded:
        response = client.get(url, query_string={"q": "Hochzeit"})
    assert crowded.count == small.count, crowded.statements
    assert "Fritz Foto" in text(response) and "Gast" not in text(response)


def test_who_fits_lists_the_members_a_need_speaks_to_best_first(circle_of, auth, client):
    """A need in a sentence: stop words ignored, any word may match, "Arztpraxis" meets
    "Ärzte" and "Arztpraxen" by the stem's beginning; more matching words rank first."""
    paula, circle = circle_of["paula"], circle_of["circle"]
    auth.login(paula.user)
    submit(client, EDIT, EDIT, {"wishes_industry": "Arztpraxen"})
    auth.logout()
    auth.login(circle_of["fritz"].user)
    response = client.get(
        f"/circles/{circle.id}/members",
        query_string={"fit": "Steuerberatung für eine Arztpraxis"},
    )
    cards = element(text(response), "member-cards")
    shown = [
        part.split(">", 1)[1].split("<", 1)[0]
        for part in cards.split('class="member-card__name"')[1:]
    ]
    assert shown == ["Stefan Steuer", "Paula Pharma"]
    nobody = client.get(f"/circles/{circle.id}/members", query_string={"fit": "für eine"})
    assert "Nobody in this circle matches" in text(nobody)
    week = text(client.get(f"/circles/{circle.id}/week"))
    assert f'href="/circles/{circle.id}/members#fit"' in week
