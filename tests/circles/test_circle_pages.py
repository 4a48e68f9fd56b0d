"""Circle pages in the HTML UI: my circles, create, roster, settings, directory, public page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import func, select

from circle.extensions import db as _db
from circle.models import Circle, Membership


def _en_user(make, name=None):
    """A user whose UI is English, so the page text can be asserted."""
    return make.user(name=name, locale="en")


def _settings_data(**overrides) -> dict:
    """A complete settings form, as a browser sends it."""
    data = {
        "name": "Kreis Bonn",
        "city": "Bonn",
        "currency": "EUR",
        "timezone": "Europe/Berlin",
        "meeting_weekday": "3",
        "meeting_time": "07:30",
        "seat_limit": "25",
    }
    data.update(overrides)
    return data


def _circle_count(app) -> int:
    with app.test_request_context():
        count = _db.session.scalar(select(func.count(Circle.id)))
        _db.session.remove()
    return count


def _load_circle(app, circle_id) -> Circle:
    with app.test_request_context():
        circle = _db.session.get(Circle, circle_id)
        _db.session.remove()
    return circle


def _memberships_of(app, circle_id) -> list[Membership]:
    with app.test_request_context():
        rows = list(
            _db.session.scalars(select(Membership).where(Membership.circle_id == circle_id))
        )
        _db.session.remove()
    return rows


def _plain_spaces(html: str) -> str:
    """Babel puts narrow no-break spaces before AM/PM (CLDR 42+); compare with plain ones."""
    return html.replace("\u202f", " ").replace("\xa0", " ")


def _seats(html: str) -> tuple[int, int, int]:
    """The seats block of a page: taken, limit, open."""
    match = re.search(
        r'data-seats-taken="(\d+)" data-seat-limit="(\d+)" data-seats-open="(\d+)"', html
    )
    assert match, "page shows no seats"
    return tuple(int(g) for g in match.groups())


# --- logged out --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/circles",
        "/circles/new",
        "/circles/{id}",
        "/circles/{id}/settings",
        "/directory",
        "/directory/{id}",
    ],
)
def test_logged_out_users_are_sent_to_the_login_page(client, make, path):
    circle = make.circle()
    response = client.get(path.format(id=circle.id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- create ------------------------------------------------------------------------


def test_create_a_circle_with_own_profession_makes_the_creator_its_admin(
    app, make, auth, forms, client
):
    user = _en_user(make, "Clara Creator")
    auth.login(user)
    response = forms.submit("/circles/new", _settings_data(profession=" fotograf "))
    assert response.status_code == 302
    circle_id = int(re.search(r"/circles/(\d+)$", response.headers["Location"]).group(1))
    circle = _load_circle(app, circle_id)
    assert (circle.name, circle.city, circle.seat_limit) == ("Kreis Bonn", "Bonn", 25)
    assert (circle.meeting_weekday, circle.meeting_time) == (3, time(7, 30))
    [me] = _memberships_of(app, circle_id)
    assert (me.user_id, me.role, me.status) == (user.id, "admin", "active")
    assert me.profession.name == "fotograf"

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "was created" in page
    assert _seats(page) == (1, 25, 24)
    directory = client.get(response.headers["Location"] + "/members").get_data(as_text=True)
    assert "Clara Creator" in directory and "fotograf" in directory
    assert "24 seats open" in page and "1 of 25 seats taken" in page


def test_create_a_circle_without_own_profession_holds_no_seat(app, make, auth, forms, client):
    auth.login(_en_user(make, "Olga Organiser"))
    response = forms.submit("/circles/new", _settings_data(profession=""))
    assert response.status_code == 302
    circle_id = int(response.headers["Location"].rsplit("/", 1)[1])
    [me] = _memberships_of(app, circle_id)
    assert me.role == "admin" and me.profession_id is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _seats(page) == (0, 25, 25)
    directory = client.get(response.headers["Location"] + "/members").get_data(as_text=True)
    assert "Organiser without a seat" in directory


@pytest.mark.parametrize("limit", ["0", "41"])
def test_create_refuses_a_seat_limit_outside_1_to_40_and_creates_nothing(
    app, make, auth, forms, limit
):
    auth.login(_en_user(make))
    before = _circle_count(app)
    response = forms.submit("/circles/new", _settings_data(seat_limit=limit))
    assert response.status_code == 422
    assert "A circle has between 1 and 40 seats." in response.get_data(as_text=True)
    assert _circle_count(app) == before


def test_create_refuses_an_empty_name_and_creates_nothing(app, make, auth, forms):
    auth.login(_en_user(make))
    before = _circle_count(app)
    response = forms.submit("/circles/new", _settings_data(name="  "))
    assert response.status_code == 422
    assert "Please enter a name." in response.get_data(as_text=True)
    assert _circle_count(app) == before


def test_create_refuses_an_unknown_time_zone_and_creates_nothing(app, make, auth, forms):
    auth.login(_en_user(make))
    before = _circle_count(app)
    response = forms.submit("/circles/new", _settings_data(timezone="Mars/Olympus"))
    assert response.status_code == 422
    assert 'id="timezone-error"' in response.get_data(as_text=True)
    assert _circle_count(app) == before


def test_create_form_offers_defaults_and_localised_weekdays(make, auth, client):
    auth.login(make.user(locale="de"))
    page = client.get("/circles/new").get_data(as_text=True)
    assert '<option selected value="EUR">' in page
    assert '<option selected value="Europe/Berlin">' in page
    assert '<option selected value="2">Mittwoch</option>' in page
    assert 'value="40"' in page and 'value="07:00"' in page


# --- roster ------------------------------------------------------------------------


def test_roster_shows_members_and_the_open_seats(make, auth, client):
    admin = _en_user(make, "Ada Admin")
    circle = make.circle(admin=admin, seat_limit=5, admin_profession="Steuerberater")
    make.member(circle, make.user(name="Paul Pharma"), profession="Apotheker")
    make.member(circle, make.user(name="Fiona Foto"), profession="Fotograf")
    auth.login(admin)
    response = client.get(f"/circles/{circle.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _seats(page) == (3, 5, 2)
    assert "3 of 5 seats taken" in page and "2 seats open" in page
    assert "Meets every Wednesday at 7:00" in page and "Köln" in page
    directory = client.get(f"/circles/{circle.id}/members").get_data(as_text=True)
    for text in ("Ada Admin", "Paul Pharma", "Fiona Foto", "Apotheker", "Fotograf"):
        assert text in directory
    assert f"/circles/{circle.id}/settings" in page
    assert f"/circles/{circle.id}/members/manage" in page


def test_roster_of_a_full_circle_says_so(make, auth, client):
    admin = _en_user(make)
    circle = make.circle(admin=admin, seat_limit=2)
    make.member(circle, profession="Fotograf")
    auth.login(admin)
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert _seats(page) == (2, 2, 0)
    assert "The circle is full" in page


def test_members_see_the_roster_without_admin_links(make, auth, client):
    circle = make.circle()
    member = _en_user(make, "Mia Member")
    make.member(circle, member, profession="Fotograf")
    auth.login(member)
    page = client.get(f"/circles/{circle.id}").get_data(as_text=True)
    assert "Mia Member" in client.get(f"/circles/{circle.id}/members").get_data(as_text=True)
    assert f"/circles/{circle.id}/settings" not in page
    assert "/members/manage" not in page


def _set_joined_at(app, membership_id, when):
    with app.test_request_context():
        _db.session.get(Membership, membership_id).joined_at = when
        _db.session.commit()
        _db.session.remove()


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("Europe/Berlin", "Jan 16, 2024"), ("America/New_York", "Jan 15, 2024")],
)
def test_joined_dates_are_shown_in_the_circles_time_zone(app, make, auth, client, zone, shown):
    admin = _en_user(make)
    circle = make.circle(admin=admin, timezone=zone)
    member = make.member(circle, make.user(name="Tim Zone"), profession="Uhrmacher")
    _set_joined_at(app, member.id, datetime(2024, 1, 15, 23, 30, tzinfo=UTC))
    auth.login(admin)
    page = client.get(f"/circles/{circle.id}/members").get_data(as_text=True)
    assert shown in _plain_spaces(page)
    assert zone.replace("_", " ") in client.get(f"/circles/{circle.id}").get_data(as_text=True)


# --- settings ----------------------------------------------------------------------


def test_admin_edits_the_settings(app, make, auth, forms, client):
    admin = _en_user(make)
    circle = make.circle(admin=admin, seat_limit=40)
    auth.login(admin)
    url = f"/circles/{circle.id}/settings"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{circle.name}"' in page
    response = forms.submit(
        url,
        _settings_data(
            name="Kreis Köln-Nord",
            city="Köln",
            currency="CHF",
            timezone="Europe/Zurich",
            meeting_weekday="4",
            meeting_time="18:15",
            seat_limit="12",
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/circles/{circle.id}"
    changed = _load_circle(app, circle.id)
    assert (changed.name, changed.currency, changed.timezone) == (
        "Kreis Köln-Nord",
        "CHF",
        "Europe/Zurich",
    )
    assert (changed.meeting_weekday, changed.meeting_time, changed.seat_limit) == (
        4,
        time(18, 15),
        12,
    )
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The settings were saved." in shown
    assert "Meets every Friday at 6:15 PM" in _plain_spaces(shown)
    assert _seats(shown) == (1, 12, 11)


def test_seat_limit_below_the_seats_taken_is_refused_and_nothing_changes(app, make, auth, forms):
    admin = _en_user(make)
    circle = make.circle(admin=admin, name="Kreis Alt", seat_limit=10)
    make.member(circle, profession="Apotheker")
    make.member(circle, profession="Fotograf")
    auth.login(admin)
    response = forms.submit(
        f"/circles/{circle.id}/settings", _settings_data(name="Kreis Neu", seat_limit="2")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The seat limit cannot be lower than the 3 seats already taken." in page
    assert 'id="seat_limit-error"' in page
    unchanged = _load_circle(app, circle.id)
    assert (unchanged.name, unchanged.seat_limit) == ("Kreis Alt", 10)


@pytest.mark.parametrize("limit", ["0", "41", ""])
def test_settings_refuse_a_seat_limit_outside_1_to_40(app, make, auth, forms, limit):
    admin = _en_user(make)
    circle = make.circle(admin=admin, seat_limit=10)
    auth.login(admin)
    response = forms.submit(f"/circles/{circle.id}/settings", _settings_data(seat_limit=limit))
    assert response.status_code == 422
    assert 'id="seat_limit-error"' in response.get_data(as_text=True)
    assert _load_circle(app, circle.id).seat_limit == 10


def test_members_who_are_not_admins_get_403_on_settings(app, make, auth, forms, client):
    circle = make.circle(name="Kreis Fest", seat_limit=10)
    member = _en_user(make)
    make.member(circle, member, profession="Fotograf")
    auth.login(member)
    url = f"/circles/{circle.id}/settings"
    assert client.get(url).status_code == 403
    # A POST with a valid CSRF token (taken from another form) is refused as well.
    response = forms.submit("/circles/new", _settings_data(name="Gekapert"), action=url)
    assert response.status_code == 403
    assert _load_circle(app, circle.id).name == "Kreis Fest"


@pytest.mark.parametrize("path", ["/circles/{id}", "/circles/{id}/settings"])
def test_users_of_another_circle_get_404(make, auth, client, path):
    circle = make.circle()
    other_admin = _en_user(make)
    make.circle(admin=other_admin)
    auth.login(other_admin)
    assert client.get(path.format(id=circle.id)).status_code == 404
    assert client.get(path.format(id=999999)).status_code == 404


def test_settings_post_from_another_circles_admin_is_404_and_changes_nothing(
    app, make, auth, forms
):
    circle = make.circle(name="Kreis Fremd")
    other_admin = _en_user(make)
    make.circle(admin=other_admin)
    auth.login(other_admin)
    response = forms.submit(
        "/circles/new", _settings_data(name="Gekapert"), action=f"/circles/{circle.id}/settings"
    )
    assert response.status_code == 404
    assert _load_circle(app, circle.id).name == "Kreis Fremd"


@pytest.mark.parametrize("status", ["applicant", "waitlisted", "removed", "left"])
def test_applicants_and_former_members_get_404_on_the_roster(make, auth, client, status):
    circle = make.circle()
    user = _en_user(make)
    make.member(circle, user, profession="Fotograf", status=status)
    auth.login(user)
    assert client.get(f"/circles/{circle.id}").status_code == 404
    assert client.get(f"/circles/{circle.id}/settings").status_code == 404


# --- my circles --------------------------------------------------------------------


def test_my_circles_lists_roles_seats_and_open_requests(app, make, auth, client):
    me = _en_user(make)
    mine = make.circle(admin=me, name="Kreis Eigen", seat_limit=5)
    joined = make.circle(name="Kreis Mit", seat_limit=8)
    make.member(joined, me, profession="Fotograf")
    applied = make.circle(name="Kreis Bewerbung")
    make.member(applied, me, profession="Apotheker", status="applicant")
    waiting = make.circle(name="Kreis Warten")
    wait = make.member(waiting, me, profession="Bäcker", status="waitlisted")
    make.circle(name="Kreis Fremd")
    with app.test_request_context():
        _db.session.get(Membership, wait.id).offered_at = datetime(2024, 1, 1, tzinfo=UTC)
        _db.session.commit()
        _db.session.remove()

    auth.login(me)
    page = client.get("/circles").get_data(as_text=True)
    for text in ("Kreis Eigen", "Kreis Mit", "Kreis Bewerbung", "Kreis Warten"):
        assert text in page
    assert "Kreis Fremd" not in page
    assert "1 of 5 taken" in page and "2 of 8 taken" in page
    assert "Admin" in page
    assert "Application pending" in page and "Seat offered to you" in page
    assert f'action="/directory/{applied.id}/withdraw"' in page
    assert f'action="/directory/{waiting.id}/withdraw"' in page
    assert f'action="/directory/{waiting.id}/accept-offer"' in page
    assert f'action="/directory/{applied.id}/accept-offer"' not in page
    assert f'href="/circles/{mine.id}"' in page
    assert 'href="/circles/new"' in page and 'href="/directory"' in page


def test_my_circles_when_i_have_none(make, auth, client):
    auth.login(_en_user(make))
    page = client.get("/circles").get_data(as_text=True)
    assert "You are not a member of any circle yet." in page


# --- directory and public page -----------------------------------------------------


def test_directory_lists_every_circle_with_its_open_seats(make, auth, client):
    small = make.circle(name="Kreis Klein", seat_limit=3, city="Bonn", admin_profession=None)
    make.member(small, profession="Fotograf")
    make.member(small, profession="Apotheker")
    full = make.circle(name="Kreis Voll", seat_limit=1)
    auth.login(_en_user(make))
    page = client.get("/directory").get_data(as_text=True)
    assert "Kreis Klein" in page and "Bonn" in page and "Kreis Voll" in page
    assert "0 of 3" not in page
    row = page[page.index("Kreis Klein") : page.index("</tr>", page.index("Kreis Klein"))]
    assert "1 of 3" in row
    assert f'href="/directory/{small.id}"' in page and f'href="/directory/{full.id}"' in page
    full_row = page[page.index("Kreis Voll") : page.index("</tr>", page.index("Kreis Voll"))]
    assert "Full" in full_row


def test_public_page_shows_taken_professions_but_no_member_names(make, auth, client):
    circle = make.circle(
        admin=make.user(name="Anna Admin"), admin_profession="Steuerberater", seat_limit=6
    )
    make.member(circle, make.user(name="Paul Pharma"), profession="Apotheker")
    make.member(circle, make.user(name="Fiona Foto"), profession="Fotograf")
    make.member(circle, make.user(name="Ulla Wartend"), profession="Bäcker", status="applicant")
    visitor = _en_user(make)
    auth.login(visitor)
    response = client.get(f"/directory/{circle.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for profession in ("Apotheker", "Fotograf", "Steuerberater"):
        assert f"<li>{profession}</li>" in page
    for name in ("Anna Admin", "Paul Pharma", "Fiona Foto", "Ulla Wartend"):
        assert name not in page
    assert "<li>Bäcker</li>" not in page
    assert _seats(page) == (3, 6, 3)
    assert f'action="/directory/{circle.id}/apply"' in page
    assert 'name="profession"' in page and 'name="waitlist"' in page
    assert 'list="professions"' in page and '<option value="Fotograf">' in page


def test_public_page_of_an_unknown_circle_is_404(make, auth, client):
    auth.login(_en_user(make))
    assert client.get("/directory/999999").status_code == 404


def test_public_page_shows_my_request_instead_of_the_form(app, make, auth, client):
    circle = make.circle()
    me = _en_user(make)
    wait = make.member(circle, me, profession="Fotograf", status="waitlisted")
    auth.login(me)
    page = client.get(f"/directory/{circle.id}").get_data(as_text=True)
    assert "On the waitlist" in page
    assert f'action="/directory/{circle.id}/apply"' not in page
    assert f'action="/directory/{circle.id}/withdraw"' in page
    assert f'action="/directory/{circle.id}/accept-offer"' not in page

    with app.test_request_context():
        _db.session.get(Membership, wait.id).offered_at = datetime(2024, 1, 1, tzinfo=UTC)
        _db.session.commit()
        _db.session.remove()
    page = client.get(f"/directory/{circle.id}").get_data(as_text=True)
    assert "Seat offered to you" in page
    assert f'action="/directory/{circle.id}/accept-offer"' in page


def test_public_page_links_members_to_their_circle(make, auth, client):
    circle = make.circle()
    me = _en_user(make)
    make.member(circle, me, profession="Fotograf")
    auth.login(me)
    page = client.get(f"/directory/{circle.id}").get_data(as_text=True)
    assert "You are a member of this circle" in page
    assert f'href="/circles/{circle.id}"' in page
    assert "/apply" not in page


def test_applying_through_the_public_page_shows_the_application_on_my_circles(
    app, make, auth, forms, client
):
    circle = make.circle(name="Kreis Offen")
    me = _en_user(make)
    auth.login(me)
    response = forms.submit(
        f"/directory/{circle.id}",
        {"profession": "Schreiner"},
        action=f"/directory/{circle.id}/apply",
    )
    assert response.status_code == 302
    [mine] = [m for m in _memberships_of(app, circle.id) if m.user_id == me.id]
    assert mine.status == "applicant" and mine.profession.name == "Schreiner"
    page = client.get("/circles").get_data(as_text=True)
    assert "Kreis Offen" in page and "Application pending" in page


@pytest.mark.parametrize(("locale", "shown"), [("de", "3. Dez. 2024"), ("en", "Dec 3, 2024")])
def test_the_directory_says_since_when_as_a_day_in_the_readers_language(
    make, auth, client, locale, shown
):
    """Member since is a day ("3. Dez. 2024"), not a timestamp; the circle's zone decides
    the day (23:30 UTC on 2 December is already the 3rd in Cologne)."""
    reader = make.user(name="Rita Reader", locale=locale)
    circle = make.circle(admin=reader)
    member = make.member(circle, make.user(name="Max Member"), profession="Fotograf")
    make.joined(member, datetime(2024, 12, 2, 23, 30, tzinfo=UTC))
    auth.login(reader)
    roster = client.get(f"/circles/{circle.id}/members").get_data(as_text=True)
    card = roster[roster.index("Max Member") :]
    assert shown in card[: card.index("</li>")]
