"""The roles page: officers granted and revoked through the real forms, audited, on the roster."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from circle.extensions import db
from circle.models import AuditEntry, MembershipRole
from circle.roles.permissions import PERMISSIONS
from tests.pages import any_csrf_token, submit, text


@pytest.fixture
def admin(make):
    """An English-speaking admin."""
    return make.user(name="Anna Admin", email="anna@example.org", locale="en")


@pytest.fixture
def circle(make, admin):
    """A circle run by ``admin``."""
    return make.circle(admin=admin, name="Kreis Köln-Süd")


def roles_url(circle) -> str:
    """The roles page of a circle."""
    return f"/circles/{circle.id}/roles"


def held_roles(app, membership_id: int) -> set[str]:
    """The officer roles a membership holds, fresh from the database."""
    with app.app_context():
        roles = set(
            db.session.execute(
                select(MembershipRole.role).where(MembershipRole.membership_id == membership_id)
            ).scalars()
        )
        db.session.remove()
    return roles


def audit_actions(app, circle_id: int) -> list[tuple[str, int, dict | None, dict | None]]:
    """Grant and revoke entries of a circle's audit trail, oldest first."""
    with app.app_context():
        rows = [
            (e.action, e.entity_id, e.before, e.after)
            for e in db.session.execute(
                select(AuditEntry)
                .where(
                    AuditEntry.circle_id == circle_id, AuditEntry.action.in_(("grant", "revoke"))
                )
                .order_by(AuditEntry.id)
            ).scalars()
        ]
        db.session.remove()
    return rows


def test_admin_grants_several_roles_and_the_roster_shows_them(
    app, client, make, circle, admin, auth
):
    paula = make.member(circle, make.user(name="Paula Pharma"), profession="Apotheker")
    auth.login(admin)
    for role in ("president", "visitor_host"):
        response = submit(
            client, roles_url(circle), roles_url(circle), {"member_id": paula.id, "role": role}
        )
        assert response.status_code == 302
    assert held_roles(app, paula.id) == {"president", "visitor_host"}
    page = text(client.get(roles_url(circle)))
    assert "Paula Pharma is now Visitor host." in page
    roster = text(client.get(f"/circles/{circle.id}/members")).split('id="member-cards"')[1]
    assert "President" in roster and "Visitor host" in roster
    assert [(a, e) for a, e, _b, _a in audit_actions(app, circle.id)] == [
        ("grant", paula.id),
        ("grant", paula.id),
    ]


def test_granting_a_held_role_again_is_refused_and_nothing_changes(
    app, client, make, circle, admin, auth
):
    paula = make.officer(make.member(circle, make.user(name="Paula Pharma")), "president")
    auth.login(admin)
    response = submit(
        client, roles_url(circle), roles_url(circle), {"member_id": paula.id, "role": "president"}
    )
    assert response.status_code == 409
    assert "Paula Pharma already is President." in text(response)
    assert held_roles(app, paula.id) == {"president"}
    assert audit_actions(app, circle.id) == []


def test_revoking_deletes_the_row_and_the_audit_keeps_the_history(
    app, client, make, circle, admin, auth
):
    paula = make.officer(make.member(circle, make.user(name="Paula Pharma")), "secretary_treasurer")
    auth.login(admin)
    action = f"/circles/{circle.id}/members/{paula.id}/roles/secretary_treasurer/revoke"
    response = submit(client, roles_url(circle), action)
    assert response.status_code == 302
    assert held_roles(app, paula.id) == set()
    assert "Paula Pharma is no longer Secretary/treasurer." in text(client.get(roles_url(circle)))
    assert audit_actions(app, circle.id) == [
        ("revoke", paula.id, {"role": "secretary_treasurer"}, None)
    ]
    # Revoking what is not held: 404, nothing written.
    again = client.post(action, data={"csrf_token": any_csrf_token(client)})
    assert again.status_code == 404
    assert len(audit_actions(app, circle.id)) == 1


def test_a_president_manages_roles_but_a_vice_president_may_not(app, client, make, circle, auth):
    president_user = make.user(name="Pia President", locale="en")
    make.officer(make.member(circle, president_user), "president")
    vice_user = make.user(name="Vic Vice", locale="en")
    vice = make.officer(make.member(circle, vice_user), "vice_president")
    auth.login(president_user)
    response = submit(
        client,
        roles_url(circle),
        roles_url(circle),
        {"member_id": vice.id, "role": "membership_committee"},
    )
    assert response.status_code == 302
    auth.logout()

    auth.login(vice_user)
    page = text(client.get(roles_url(circle)))
    assert 'id="grant-form"' not in page  # the page is readable, the form is not offered
    refused = client.post(
        roles_url(circle),
        data={"csrf_token": any_csrf_token(client), "member_id": vice.id, "role": "president"},
    )
    assert refused.status_code == 403
    assert held_roles(app, vice.id) == {"vice_president", "membership_committee"}


def test_roles_only_go_to_active_members_of_the_circle(app, client, make, circle, admin, auth):
    gone = make.member(circle, make.user(name="Gerd Gone"), status="left")
    other = make.circle(name="Anderer Kreis")
    stranger = make.member(other, make.user(name="Sven Stranger"))
    auth.login(admin)
    token = any_csrf_token(client, roles_url(circle))
    for member_id in (gone.id, stranger.id, 999999):
        response = client.post(
            roles_url(circle),
            data={"csrf_token": token, "member_id": member_id, "role": "president"},
        )
        assert response.status_code == 422
        assert "Not a valid choice" in text(response)
    bad_role = client.post(
        roles_url(circle),
        data={"csrf_token": token, "member_id": gone.id, "role": "emperor"},
    )
    assert bad_role.status_code == 422
    assert held_roles(app, gone.id) == set() and held_roles(app, stranger.id) == set()
    # Another circle's roles page and revoke routes are 404.
    assert client.get(roles_url(other)).status_code == 404
    revoke = f"/circles/{circle.id}/members/{stranger.id}/roles/president/revoke"
    assert client.post(revoke, data={"csrf_token": token}).status_code == 404


def test_the_page_shows_the_permission_table(client, make, circle, auth):
    user = make.user(name="Mia Member", locale="en")
    make.member(circle, user)
    auth.login(user)
    page = text(client.get(roles_url(circle)))
    table = page.split('id="permissions"')[1]
    for permission, holders in PERMISSIONS.items():
        row = table.split(f'data-permission="{permission}"')[1].split("</tr>")[0]
        for role in ("president", "vice_president", "secretary_treasurer", "visitor_host"):
            cell = row.split(f'data-role="{role}">')[1].split("</td>")[0]
            assert ("✓" in cell) == (role in holders), (permission, role)
    assert "Approve applications" in table
