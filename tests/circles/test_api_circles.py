"""API circles: the profession list, creating, listing, showing and changing circles."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from circle.extensions import db
from circle.models import Circle, Membership
from tests.api.support import assert_problem


def circle_row(app, circle_id: int) -> Circle:
    """The circle as stored now."""
    with app.app_context():
        return db.session.get(Circle, circle_id)


def count_circles(app) -> int:
    """How many circles exist."""
    with app.app_context():
        return db.session.execute(select(func.count(Circle.id))).scalar_one()


def memberships_of(app, circle_id: int) -> list[Membership]:
    """Every membership of a circle."""
    with app.app_context():
        return list(
            db.session.execute(select(Membership).where(Membership.circle_id == circle_id))
            .scalars()
            .all()
        )


# --- professions ---------------------------------------------------------------------


def test_professions_are_listed_by_name(api, make):
    make.profession("Steuerberater")
    make.profession("Apotheker")
    response = api.as_user(make.user()).get("/api/v1/professions")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [p["name"] for p in items] == ["Apotheker", "Steuerberater"]
    assert all(set(p) == {"id", "name"} and isinstance(p["id"], int) for p in items)


# --- create --------------------------------------------------------------------------


def test_create_circle_with_defaults_makes_the_caller_admin_without_a_seat(app, api, make):
    user = make.user()
    response = api.as_user(user).post("/api/v1/circles", json={"name": "Kreis Köln-Süd"})
    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "name": "Kreis Köln-Süd",
        "city": "",
        "currency": "EUR",
        "timezone": "Europe/Berlin",
        "seat_limit": 40,
        "seats_taken": 0,
        "meeting_weekday": 2,
        "meeting_time": "07:00",
    }
    (membership,) = memberships_of(app, body["id"])
    assert (membership.user_id, membership.role, membership.status) == (user.id, "admin", "active")
    assert membership.profession_id is None


def test_create_circle_with_every_setting_and_the_creators_seat(app, api, make):
    user = make.user()
    response = api.as_user(user).post(
        "/api/v1/circles",
        json={
            "name": "  Kreis Wien ",
            "city": "Wien",
            "currency": "CHF",
            "timezone": "Europe/Vienna",
            "seat_limit": 12,
            "meeting_weekday": 4,
            "meeting_time": "18:30",
            "profession": " fotograf ",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "name": "Kreis Wien",
        "city": "Wien",
        "currency": "CHF",
        "timezone": "Europe/Vienna",
        "seat_limit": 12,
        "seats_taken": 1,
        "meeting_weekday": 4,
        "meeting_time": "18:30",
    }
    me = api.get("/api/v1/me").get_json()
    (membership,) = me["memberships"]
    assert membership["role"] == "admin"
    assert membership["profession"]["name"] == "fotograf"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "name", "This field is required."),
        ({"name": "   "}, "name", "This field may not be empty."),
        ({"name": "K" * 121}, "name", "At most 120 characters."),
        ({"name": "K", "city": "C" * 121}, "city", "At most 120 characters."),
        ({"name": "K", "currency": "XYZ"}, "currency", "Unknown currency code."),
        ({"name": "K", "currency": "EURO"}, "currency", "At most 3 characters."),
        ({"name": "K", "timezone": "Mars/Olympus"}, "timezone", "Unknown time zone."),
        ({"name": "K", "seat_limit": 0}, "seat_limit", "A circle has between 1 and 40 seats."),
        ({"name": "K", "seat_limit": 41}, "seat_limit", "A circle has between 1 and 40 seats."),
        ({"name": "K", "seat_limit": "40"}, "seat_limit", "Not a valid integer."),
        ({"name": "K", "seat_limit": 12.0}, "seat_limit", "Not a valid integer."),
        ({"name": "K", "seat_limit": True}, "seat_limit", "Not a valid integer."),
        ({"name": "K", "seat_limit": None}, "seat_limit", "This field may not be null."),
        ({"name": "K", "seat_limit": 10**40}, "seat_limit", "A circle has between 1 and 40 seats."),
        ({"name": "K", "meeting_weekday": 7}, "meeting_weekday", "Must be between 0 and 6."),
        (
            {"name": "K", "meeting_time": "7 Uhr"},
            "meeting_time",
            "Enter a time as HH:MM, for example 07:00.",
        ),
        (
            {"name": "K", "meeting_time": "24:00"},
            "meeting_time",
            "Enter a time as HH:MM, for example 07:00.",
        ),
        ({"name": "K", "profession": "P" * 121}, "profession", "At most 120 characters."),
        ({"name": "K", "owner_id": 1}, "owner_id", "Unknown field."),
        ({"name": ["K"]}, "name", "Not a valid string."),
        ({"name": "K\nL"}, "name", "Contains characters that are not allowed."),
    ],
)
def test_create_circle_refuses_invalid_settings_per_field(app, api, make, payload, field, message):
    before = count_circles(app)
    response = api.as_user(make.user()).post("/api/v1/circles", json=payload)
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == {field: [message]}
    assert count_circles(app) == before


def test_names_of_exactly_120_characters_and_any_script_are_accepted(api, make):
    name = ("Kreis Köln-Süd 🌞 " * 10)[:120]
    response = api.as_user(make.user()).post(
        "/api/v1/circles", json={"name": name, "city": "Ærø · Δήμος", "profession": "F" * 120}
    )
    assert response.status_code == 201
    assert response.get_json()["name"] == name.strip()
    assert response.get_json()["city"] == "Ærø · Δήμος"


# --- list and show -------------------------------------------------------------------


def test_list_shows_only_the_callers_active_circles_with_seats_taken(api, make):
    user = make.user()
    first = make.circle(admin=user, name="Kreis A", seat_limit=10)
    make.member(first)
    second = make.circle(name="Kreis B")
    make.member(second, user, profession="Fotograf")
    applied = make.circle(name="Kreis C")
    make.member(applied, user, profession="Apotheker", status="applicant")
    left = make.circle(name="Kreis D")
    make.member(left, user, profession="Apotheker", status="left")
    make.circle(name="Fremder Kreis")

    response = api.as_user(user).get("/api/v1/circles")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(c["id"], c["name"], c["seat_limit"], c["seats_taken"]) for c in items] == [
        (first.id, "Kreis A", 10, 2),
        (second.id, "Kreis B", 40, 2),
    ]


def test_show_circle_to_a_member(api, make):
    user = make.user()
    circle = make.circle(name="Kreis Köln-Süd", seat_limit=20, city="Köln")
    make.member(circle, user, profession="Fotograf")
    response = api.as_user(user).get(f"/api/v1/circles/{circle.id}")
    assert response.status_code == 200
    assert response.get_json() == {
        "id": circle.id,
        "name": "Kreis Köln-Süd",
        "city": "Köln",
        "currency": "EUR",
        "timezone": "Europe/Berlin",
        "seat_limit": 20,
        "seats_taken": 2,
        "meeting_weekday": 2,
        "meeting_time": "07:00",
    }


@pytest.mark.parametrize("status", ["applicant", "waitlisted", "removed", "left", None])
def test_a_circle_is_not_found_for_anyone_who_is_not_an_active_member(api, make, status):
    user = make.user()
    circle = make.circle()
    if status:
        make.member(circle, user, profession="Fotograf", status=status)
    api.as_user(user)
    body = assert_problem(api.get(f"/api/v1/circles/{circle.id}"), 404, "not_found")
    missing = assert_problem(api.get("/api/v1/circles/987654"), 404, "not_found")
    assert body["detail"] == missing["detail"]  # no hint that the circle exists


# --- change settings -----------------------------------------------------------------


def test_admin_changes_some_settings_and_the_rest_stays(app, api, make):
    admin = make.user()
    circle = make.circle(admin=admin, name="Alt", seat_limit=20, city="Köln")
    response = api.as_user(admin).patch(
        f"/api/v1/circles/{circle.id}",
        json={"name": "Neu", "seat_limit": 25, "meeting_time": "06:45"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Neu"
    assert body["seat_limit"] == 25
    assert body["meeting_time"] == "06:45"
    assert body["city"] == "Köln"
    assert body["currency"] == "EUR"
    stored = circle_row(app, circle.id)
    assert (stored.name, stored.seat_limit, stored.city) == ("Neu", 25, "Köln")


def test_the_currency_stays_once_closed_business_is_recorded_in_it(app, api, make):
    admin = make.user()
    circle = make.circle(admin=admin, name="Kreis")
    fritz = make.member(circle, profession="Fotograf")
    paula = make.member(circle, profession="Apotheke")
    url = f"/api/v1/circles/{circle.id}"
    api.as_user(admin)
    assert api.patch(url, json={"currency": "CHF"}).status_code == 200  # no amounts yet
    assert api.patch(url, json={"currency": "EUR"}).status_code == 200
    make.slip(paula, fritz, circle_row(app, circle.id).created_at.date(), amount=120_000)
    body = assert_problem(
        api.patch(url, json={"currency": "CHF", "name": "Neu"}), 422, "validation_error"
    )
    assert body["errors"]["currency"] == [
        "The currency cannot change once closed business is recorded: its amounts are in EUR."
    ]
    stored = circle_row(app, circle.id)
    assert (stored.currency, stored.name) == ("EUR", "Kreis")  # nothing changed
    assert api.patch(url, json={"currency": "EUR", "name": "Neu"}).status_code == 200


def test_plain_member_may_not_change_settings(app, api, make):
    user = make.user()
    circle = make.circle(name="Alt")
    make.member(circle, user, profession="Fotograf")
    response = api.as_user(user).patch(f"/api/v1/circles/{circle.id}", json={"name": "Neu"})
    body = assert_problem(response, 403, "forbidden")
    assert body["detail"] == "Your role in this circle does not allow this."
    assert circle_row(app, circle.id).name == "Alt"


def test_a_vice_president_changes_settings(app, api, make):
    user = make.user()
    circle = make.circle(name="Alt")
    make.officer(make.member(circle, user, profession="Fotograf"), "vice_president")
    response = api.as_user(user).patch(f"/api/v1/circles/{circle.id}", json={"name": "Neu"})
    assert response.status_code == 200
    assert circle_row(app, circle.id).name == "Neu"


def test_seat_limit_below_the_seats_taken_is_refused_on_seat_limit(app, api, make):
    admin = make.user()
    circle = make.circle(admin=admin, seat_limit=10)
    make.member(circle)
    make.member(circle)
    response = api.as_user(admin).patch(f"/api/v1/circles/{circle.id}", json={"seat_limit": 2})
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == {
        "seat_limit": ["The seat limit cannot be lower than the 3 seats already taken."]
    }
    assert circle_row(app, circle.id).seat_limit == 10
    ok = api.patch(f"/api/v1/circles/{circle.id}", json={"seat_limit": 3})
    assert ok.status_code == 200
    assert ok.get_json()["seats_taken"] == 3


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"seat_limit": 41}, "seat_limit"),
        ({"seat_limit": -1}, "seat_limit"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"profession": "Fotograf"}, "profession"),
        ({"timezone": "Nowhere"}, "timezone"),
    ],
)
def test_invalid_changes_are_refused_and_nothing_changes(app, api, make, payload, field):
    admin = make.user()
    circle = make.circle(admin=admin, name="Alt", seat_limit=20)
    response = api.as_user(admin).patch(f"/api/v1/circles/{circle.id}", json=payload)
    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]) == [field]
    stored = circle_row(app, circle.id)
    assert (stored.name, stored.seat_limit, stored.timezone) == ("Alt", 20, "Europe/Berlin")
