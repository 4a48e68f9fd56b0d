"""The permission table, row by row: who may do each thing, through the real pages.

For every permission in ``circle.roles.permissions.PERMISSIONS``: each officer role that holds
it can, each that does not cannot, an admin can, a plain member cannot, and a member
whose membership ended cannot (not even with the role row still there). Where a page
guards the permission, the page is asked (200 / 403, and 404 for the ended member,
whose circle is no longer theirs); the table's ``can`` is checked for every case.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from circle.extensions import db
from circle.models import OFFICER_ROLES, Membership, MembershipRole
from circle.roles.permissions import PERMISSIONS, can
from tests.pages import any_csrf_token, submit

SUBJECTS = (*OFFICER_ROLES, "admin", "member", "ended")


def _get(path: str):
    """A probe that GETs a page of the circle."""

    def probe(client, circle, target):
        return client.get(path.format(c=circle.id)).status_code

    return probe


def _grant_probe(client, circle, target):
    """Grant a role on the roles page (the form's POST)."""
    return client.post(
        f"/circles/{circle.id}/roles",
        data={
            "csrf_token": any_csrf_token(client),
            "member_id": target.id,
            "role": "visitor_host",
        },
    ).status_code


#: The page that guards each permission, where one exists in this part of the app.
PAGES = {
    "approve_applications": _get("/circles/{c}/applications"),
    "edit_settings": _get("/circles/{c}/settings"),
    "manage_dues": _get("/circles/{c}/dues/admin"),
    "manage_visitors": _get("/circles/{c}/visitors"),
    "manage_roles": _grant_probe,
}
#: Success of each page probe (a grant redirects back to the roles page).
OK = {"manage_roles": 302}

CASES = [(permission, subject) for permission in PERMISSIONS for subject in SUBJECTS]


def _expected(permission: str, subject: str) -> bool:
    """What the table promises for ``subject``."""
    if subject == "admin":
        return True
    if subject in ("member", "ended"):
        return False
    return subject in PERMISSIONS[permission]


def _subject(make, circle, permission: str, subject: str):
    """A user and membership standing for ``subject`` in ``circle``."""
    user = make.user(name=f"Probe {subject}", locale="en")
    if subject == "admin":
        return user, make.member(circle, user, role="admin")
    if subject == "member":
        return user, make.member(circle, user)
    if subject == "ended":
        # The role row stays after leaving; only the status takes its effect away.
        holder = sorted(PERMISSIONS[permission] or OFFICER_ROLES)[0]
        seat = make.officer(make.member(circle, user), holder)
        with make.app.test_request_context():
            row = db.session.get(Membership, seat.id)
            row.status, row.ended_at = "left", row.joined_at
            db.session.commit()
            db.session.remove()
        return user, make.reload_membership(seat.id)
    return user, make.officer(make.member(circle, user), subject)


@pytest.mark.parametrize(("permission", "subject"), CASES)
def test_the_permission_table(app, client, make, auth, permission, subject):
    circle = make.circle(name="Kreis Köln-Süd")
    target = make.member(circle, make.user(name="Tina Target"))
    user, membership = _subject(make, circle, permission, subject)
    expected = _expected(permission, subject)

    with app.test_request_context():
        fresh = db.session.get(Membership, membership.id)
        assert can(fresh, permission) is expected
        db.session.remove()

    probe = PAGES.get(permission)
    if probe is None:
        return
    auth.login(user)
    status = probe(client, circle, target)
    if subject == "ended":
        assert status == 404
    else:
        assert status == (OK.get(permission, 200) if expected else 403), status


def test_every_role_is_in_the_table_and_the_table_only_names_known_roles():
    for holders in PERMISSIONS.values():
        assert holders <= set(OFFICER_ROLES)
    assert {role for holders in PERMISSIONS.values() for role in holders} == set(OFFICER_ROLES)


def test_a_removed_president_loses_the_rights_at_once(app, client, make, auth):
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin)
    user = make.user(name="Pia President", locale="en")
    seat = make.officer(make.member(circle, user), "president")
    auth.login(user)
    assert client.get(f"/circles/{circle.id}/applications").status_code == 200
    auth.logout()
    auth.login(admin)
    removed = submit(
        client,
        f"/circles/{circle.id}/members/manage",
        f"/circles/{circle.id}/members/{seat.id}/remove",
    )
    assert removed.status_code == 302
    auth.logout()
    auth.login(user)
    assert client.get(f"/circles/{circle.id}/applications").status_code == 404
    with app.app_context():
        kept = db.session.execute(
            select(MembershipRole.role).where(MembershipRole.membership_id == seat.id)
        ).scalars()
        assert list(kept) == ["president"]  # configuration stays; the status ends its effect
        db.session.remove()
