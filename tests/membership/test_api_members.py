"""API members: the roster, seating directly with the seat rules, changing and removing
members, admin-only routes, and objects of other circles answering 404."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from circle.api.endpoint import OPERATIONS
from circle.api.openapi import openapi_path
from circle.extensions import db
from circle.models import ApiToken, Membership, Profession, User
from tests.api.support import OTHER_IDS, VALID_BODIES, assert_problem


def members_path(circle) -> str:
    """The members collection of a circle."""
    return f"/api/v1/circles/{circle.id}/members"


def stored(app, membership_id: int) -> Membership:
    """A membership as stored now."""
    with app.app_context():
        return db.session.get(Membership, membership_id)


def count_memberships(app, circle) -> int:
    """Every membership row of a circle, ended ones included."""
    with app.app_context():
        return db.session.execute(
            select(func.count(Membership.id)).where(Membership.circle_id == circle.id)
        ).scalar_one()


@pytest.fixture
def admin(make):
    """A user who administers ``circle``."""
    return make.user(name="Anna Admin")


@pytest.fixture
def circle(make, admin):
    """A circle of five seats whose admin holds the Organisationsberatung seat."""
    return make.circle(admin=admin, name="Kreis Köln-Süd", seat_limit=5)


# --- roster --------------------------------------------------------------------------


def test_members_are_listed_with_profession_role_and_status(app, api, make, admin, circle):
    photographer = make.member(circle, make.user(name="Max Muster"), profession="Fotograf")
    make.member(circle, make.user(name="Weg"), profession="Apotheker", status="removed")
    make.member(circle, make.user(name="Wartend"), profession="Apotheker", status="waitlisted")
    organiser = make.member(circle, make.user(name="Olga"), role="admin", profession=None)
    own = make.admin_seat(circle)

    response = api.as_user(admin).get(members_path(circle))
    assert response.status_code == 200
    assert response.get_json() == {
        "items": [
            {
                "id": photographer.id,
                "user_id": photographer.user_id,
                "name": "Max Muster",
                "profession": {"id": photographer.profession_id, "name": "Fotograf"},
                "role": "member",
                "status": "active",
            },
            {
                "id": own.id,
                "user_id": admin.id,
                "name": "Anna Admin",
                "profession": {"id": own.profession_id, "name": "Organisationsberatung"},
                "role": "admin",
                "status": "active",
            },
            {
                "id": organiser.id,
                "user_id": organiser.user_id,
                "name": "Olga",
                "profession": None,
                "role": "admin",
                "status": "active",
            },
        ]
    }


def test_plain_members_see_the_roster_too(api, make, circle):
    user = make.user()
    make.member(circle, user, profession="Fotograf")
    response = api.as_user(user).get(members_path(circle))
    assert response.status_code == 200
    assert len(response.get_json()["items"]) == 2


# --- adding members ------------------------------------------------------------------


def test_admin_adds_a_new_person_whose_seat_is_reserved_and_who_gets_an_invitation(
    app, api, outbox, admin, circle
):
    response = api.as_user(admin).post(
        members_path(circle),
        json={"email": "Neu@Example.org", "name": "Nina Neu", "profession": "  Fotograf "},
    )
    assert response.status_code == 201
    body = response.get_json()
    with app.app_context():
        profession = db.session.execute(
            select(Profession).where(Profession.key == "fotograf")
        ).scalar_one()
    assert body == {
        "invitation_id": body["invitation_id"],
        "email": "neu@example.org",
        "name": "Nina Neu",
        "profession": {"id": profession.id, "name": "Fotograf"},
        "status": "invited",
        "expires_at": body["expires_at"],
    }
    (mail,) = outbox()
    assert (
        mail["To"] == "neu@example.org"
        and "/invitations/" in mail.get_body(("plain",)).get_content()
    )
    circle_now = api.get(f"/api/v1/circles/{circle.id}").get_json()
    assert circle_now["seats_taken"] == 2


def test_admin_adding_an_existing_account_sees_only_what_was_sent(api, make, admin, circle):
    make.user(name="Erika Muster", email="erika@example.org")
    response = api.as_user(admin).post(
        members_path(circle),
        json={"email": "ERIKA@example.org", "name": "Other Name", "profession": "Apotheker"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["email"], body["name"], body["status"]) == (
        "erika@example.org",
        "Other Name",
        "invited",
    )
    assert "Erika Muster" not in str(body)


def test_a_taken_profession_is_refused_naming_the_holder(app, api, make, admin, circle):
    make.member(circle, make.user(name="Max Muster"), profession="Fotograf")
    before = count_memberships(app, circle)
    response = api.as_user(admin).post(
        members_path(circle),
        json={"email": "neu@example.org", "name": "Neu", "profession": " FOTOGRAF "},
    )
    body = assert_problem(response, 409, "profession_taken")
    assert body["detail"] == (
        "The profession Fotograf is already taken in this circle (Max Muster)."
    )
    assert body["errors"] == {"profession": [body["detail"]]}
    assert count_memberships(app, circle) == before
    with app.app_context():
        assert (
            db.session.execute(
                select(User).where(User.email == "neu@example.org")
            ).scalar_one_or_none()
            is None
        )


def test_a_full_circle_is_refused_with_the_count(app, api, make, admin):
    circle = make.circle(admin=admin, seat_limit=2)
    make.member(circle, profession="Apotheker")
    before = count_memberships(app, circle)
    response = api.as_user(admin).post(
        members_path(circle),
        json={"email": "neu@example.org", "name": "Neu", "profession": "Fotograf"},
    )
    body = assert_problem(response, 409, "circle_full")
    assert body["detail"] == "The circle is full: 2 of 2 seats taken."
    assert count_memberships(app, circle) == before


def test_a_person_already_in_the_circle_is_refused(app, api, make, admin, circle):
    member = make.user(name="Max Muster", email="max@example.org")
    make.member(circle, member, profession="Fotograf")
    applicant = make.user(name="Eva Apply", email="eva@example.org")
    make.member(circle, applicant, profession="Apotheker", status="applicant")
    before = count_memberships(app, circle)
    api.as_user(admin)
    for email, detail in [
        ("MAX@example.org", "Max Muster is already a member of this circle."),
        ("eva@example.org", "Eva Apply has already applied to this circle or is on its waitlist."),
    ]:
        response = api.post(
            members_path(circle), json={"email": email, "name": "X", "profession": "Steuerberater"}
        )
        body = assert_problem(response, 409, "already_member")
        assert body["detail"] == detail
    assert count_memberships(app, circle) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Neu", "profession": "Fotograf"}, "email"),
        ({"email": "neu@example.org", "name": "Neu"}, "profession"),
        ({"email": "no-at-sign", "name": "Neu", "profession": "Fotograf"}, "email"),
        ({"email": "a@" + "b" * 250 + ".de", "name": "Neu", "profession": "Fotograf"}, "email"),
        ({"email": "neu@example.org", "name": "N" * 121, "profession": "Fotograf"}, "name"),
        ({"email": "neu@example.org", "name": "Neu", "profession": "F" * 121}, "profession"),
        ({"email": "neu@example.org", "name": "Neu", "profession": "   "}, "profession"),
        ({"email": "neu@example.org", "profession": "Fotograf"}, "name"),  # new account
        ({"email": "neu@example.org", "name": "Neu", "profession": "Foto", "role": "x"}, "role"),
    ],
)
def test_invalid_new_members_are_refused_per_field(app, api, admin, circle, payload, field):
    before = count_memberships(app, circle)
    response = api.as_user(admin).post(members_path(circle), json=payload)
    body = assert_problem(response, 422, "validation_error")
    assert list(body["errors"]) == [field]
    assert count_memberships(app, circle) == before


def test_a_profession_name_of_120_characters_is_fine(api, admin, circle):
    name = "Fachanwalt für " + "Verwaltungsrecht " * 10
    name = name[:120].strip()
    response = api.as_user(admin).post(
        members_path(circle), json={"email": "neu@example.org", "name": "Neu", "profession": name}
    )
    assert response.status_code == 201
    assert response.get_json()["profession"]["name"] == name


# --- changing members ----------------------------------------------------------------


def test_admin_moves_a_member_to_a_free_profession(app, api, make, admin, circle):
    member = make.member(circle, profession="Fotograf")
    response = api.as_user(admin).patch(
        f"{members_path(circle)}/{member.id}", json={"profession": "Videograf"}
    )
    assert response.status_code == 200
    assert response.get_json()["profession"]["name"] == "Videograf"
    assert stored(app, member.id).profession_id != member.profession_id


def test_moving_to_a_taken_profession_is_refused(app, api, make, admin, circle):
    make.member(circle, make.user(name="Max Muster"), profession="Fotograf")
    member = make.member(circle, profession="Apotheker")
    response = api.as_user(admin).patch(
        f"{members_path(circle)}/{member.id}", json={"profession": "fotograf"}
    )
    body = assert_problem(response, 409, "profession_taken")
    assert "Max Muster" in body["detail"]
    assert stored(app, member.id).profession_id == member.profession_id


def test_admin_appoints_and_dismisses_admins_but_keeps_one(app, api, make, admin, circle):
    member = make.member(circle, profession="Fotograf")
    api.as_user(admin)
    url = f"{members_path(circle)}/{member.id}"
    assert api.patch(url, json={"role": "admin"}).get_json()["role"] == "admin"
    assert api.patch(url, json={"role": "member"}).get_json()["role"] == "member"

    own = make.admin_seat(circle)
    body = assert_problem(
        api.patch(f"{members_path(circle)}/{own.id}", json={"role": "member"}), 409, "conflict"
    )
    assert "at least one admin" in body["detail"]
    assert stored(app, own.id).role == "admin"


def test_an_empty_change_is_refused(api, make, admin, circle):
    member = make.member(circle, profession="Fotograf")
    response = api.as_user(admin).patch(f"{members_path(circle)}/{member.id}", json={})
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == {"body": ["Give a profession or a role to change."]}


# --- removing members ----------------------------------------------------------------


def test_admin_removes_a_member_the_seat_is_freed_and_the_history_kept(
    app, api, make, admin, circle
):
    member = make.member(circle, profession="Fotograf")
    response = api.as_user(admin).delete(f"{members_path(circle)}/{member.id}")
    assert response.status_code == 204
    assert response.get_data() == b""
    row = stored(app, member.id)
    assert row.status == "removed"
    assert row.ended_at is not None
    ids = [m["id"] for m in api.get(members_path(circle)).get_json()["items"]]
    assert member.id not in ids
    # The seat is free again.
    again = api.post(
        members_path(circle), json={"email": "n@example.org", "name": "N", "profession": "Fotograf"}
    )
    assert again.status_code == 201
    # A removed member is not found a second time.
    assert_problem(api.delete(f"{members_path(circle)}/{member.id}"), 404, "not_found")


def test_the_last_admin_cannot_be_removed(app, api, admin, circle, make):
    own = make.admin_seat(circle)
    body = assert_problem(
        api.as_user(admin).delete(f"{members_path(circle)}/{own.id}"), 409, "conflict"
    )
    assert "at least one admin" in body["detail"]
    assert stored(app, own.id).status == "active"


# --- plain members and other circles -------------------------------------------------


def test_plain_members_get_403_on_every_admin_route(app, api, make, circle):
    user = make.user()
    mine = make.member(circle, user, profession="Fotograf")
    other = make.member(circle, profession="Apotheker")
    before = count_memberships(app, circle)
    api.as_user(user)
    refusals = [
        api.post(
            members_path(circle), json={"email": "a@example.org", "name": "A", "profession": "B"}
        ),
        api.patch(f"{members_path(circle)}/{other.id}", json={"role": "admin"}),
        api.patch(f"{members_path(circle)}/{mine.id}", json={"profession": "Videograf"}),
        api.delete(f"{members_path(circle)}/{other.id}"),
        api.patch(f"/api/v1/circles/{circle.id}", json={"name": "Gekapert"}),
    ]
    for response in refusals:
        assert_problem(response, 403, "forbidden")
    assert count_memberships(app, circle) == before
    assert stored(app, other.id).role == "member"
    assert stored(app, other.id).status == "active"
    assert stored(app, mine.id).profession_id == mine.profession_id


ID_OPERATIONS = [op for op in OPERATIONS if "<" in op.rule]


def test_every_route_with_an_id_answers_404_for_objects_of_other_circles(app, api, make):
    """An admin of one circle probes another circle, its members and another user's token."""
    me = make.user()
    mine = make.circle(admin=me)
    my_member = make.member(mine, profession="Fotograf")
    theirs = make.circle(name="Fremder Kreis")
    their_member = make.member(theirs, profession="Fotograf")
    api.as_user(make.user())  # a token of another user
    with app.app_context():
        foreign_token = db.session.execute(select(ApiToken.id)).scalars().first()
    api.as_user(me)
    before = (count_memberships(app, mine), count_memberships(app, theirs))

    combinations = {
        "circle_id": [theirs.id, 424242],
        "token_id": [foreign_token, 424242],
    }
    tried = 0
    for op in ID_OPERATIONS:
        urls = []
        if "member_id" in op.rule:
            # My circle with a member of theirs; their circle with my member; their both.
            urls += [(mine.id, their_member.id), (theirs.id, my_member.id)]
            urls += [(theirs.id, their_member.id), (mine.id, 424242)]
            urls = [openapi_path(op.rule).format(circle_id=c, member_id=m) for c, m in urls]
        else:
            name = "circle_id" if "circle_id" in op.rule else "token_id"
            urls = [
                openapi_path(op.rule).format(**{name: v}, **OTHER_IDS) for v in combinations[name]
            ]
        body = VALID_BODIES.get((op.method, op.rule))
        for url in urls:
            response = api.client.open(
                url, method=op.method.upper(), json=body, headers=api._headers()
            )
            assert_problem(response, 404, "not_found")
            tried += 1
    assert len(ID_OPERATIONS) >= 7
    assert tried >= 2 * len(ID_OPERATIONS)
    assert (count_memberships(app, mine), count_memberships(app, theirs)) == before
    assert stored(app, their_member.id).status == "active"
    assert stored(app, their_member.id).role == "member"
