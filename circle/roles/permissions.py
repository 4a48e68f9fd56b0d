"""Who may do what in a circle: the permission table, in one place.

A circle's ``admin`` (the role column on the membership: the circle's organiser) may do
everything. Officer roles (``membership_roles``) grant the permissions listed for them;
a member may hold several roles. Plain members hold none of these permissions.

Other members' amounts (closed business, revenue) are ``see_amounts``: admins only, the
same rule as the balance; a circle may open them to every member
(``Circle.revenue_open_to_members``), see ``sees_amounts``. Everyone sees their own, and
the totals of the circle's week stay on the weekly report for those who lock it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ScalarSelect, func, select

from circle.core.errors import Forbidden
from circle.extensions import db
from circle.models import OFFICER_ROLES, Circle, Membership, MembershipRole

#: Permission → the officer roles that hold it (admins hold every permission).
PERMISSIONS: dict[str, frozenset[str]] = {
    "approve_applications": frozenset({"president", "vice_president", "membership_committee"}),
    "record_attendance": frozenset({"president", "vice_president", "secretary_treasurer"}),
    "lock_weekly_report": frozenset({"president", "vice_president"}),
    "manage_dues": frozenset({"president", "secretary_treasurer"}),
    "edit_settings": frozenset({"president", "vice_president"}),
    "manage_meetings": frozenset({"president", "vice_president", "secretary_treasurer"}),
    "manage_visitors": frozenset(
        {"president", "vice_president", "membership_committee", "visitor_host"}
    ),
    "view_absence_risk": frozenset({"president", "vice_president", "membership_committee"}),
    "manage_roles": frozenset({"president"}),
    # Other members' closed business: no officer role, only admins (see ``sees_amounts``).
    "see_amounts": frozenset(),
}

#: Labels for the UI, in the order roles are listed.
ROLE_LABELS = {
    "president": _l("President"),
    "vice_president": _l("Vice president"),
    "secretary_treasurer": _l("Secretary/treasurer"),
    "membership_committee": _l("Membership committee"),
    "visitor_host": _l("Visitor host"),
}

PERMISSION_LABELS = {
    "approve_applications": _l("Approve applications"),
    "record_attendance": _l("Record attendance"),
    "lock_weekly_report": _l("Lock the weekly report"),
    "manage_dues": _l("Manage dues"),
    "edit_settings": _l("Edit settings"),
    "manage_meetings": _l("Schedule and cancel meetings"),
    "manage_visitors": _l("Manage visitors"),
    "view_absence_risk": _l("See who is at risk"),
    "manage_roles": _l("Assign roles"),
    "see_amounts": _l("See other members' amounts"),
}

assert set(ROLE_LABELS) == set(OFFICER_ROLES)
assert set(PERMISSION_LABELS) == set(PERMISSIONS)


def roles_of(membership: Membership) -> set[str]:
    """The officer roles a membership holds (empty for plain members and ended seats)."""
    if membership.status != "active":
        return set()
    cached = getattr(membership, "_officer_roles", None)
    if cached is None:
        cached = set(
            db.session.execute(
                select(MembershipRole.role).where(
                    MembershipRole.circle_id == membership.circle_id,
                    MembershipRole.membership_id == membership.id,
                )
            ).scalars()
        )
        membership._officer_roles = cached
    return set(cached)


def roles_column() -> ScalarSelect:
    """The officer roles of each ``Membership`` row of a statement as one comma-joined
    string (NULL for none). A membership lookup that carries it hands the value to
    ``remember_roles``, and ``roles_of`` then needs no statement of its own."""
    return (
        select(func.aggregate_strings(MembershipRole.role, ","))
        .where(
            MembershipRole.circle_id == Membership.circle_id,
            MembershipRole.membership_id == Membership.id,
        )
        .scalar_subquery()
    )


def remember_roles(membership: Membership, joined: str | None) -> None:
    """Keep the roles read by ``roles_column`` on the membership for ``roles_of``."""
    membership._officer_roles = set(joined.split(",")) if joined else set()


def forget_roles(membership: Membership) -> None:
    """Drop the cached roles of a membership after they changed."""
    membership.__dict__.pop("_officer_roles", None)


def can(membership: Membership | None, permission: str) -> bool:
    """True when the membership may do ``permission`` (see ``PERMISSIONS``)."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)
    if membership is None or membership.status != "active":
        return False
    if membership.is_admin:
        return True
    return bool(roles_of(membership) & PERMISSIONS[permission])


def sees_amounts(membership: Membership | None, circle: Circle | None = None) -> bool:
    """True when the membership may see every member's amounts (closed business, revenue).

    Holders of ``see_amounts``, and every active member of a circle that opened revenue
    to its members. Pages hide other members' amounts from everyone else. ``circle`` is
    the membership's circle when the caller already holds it (else it is loaded).
    """
    if membership is None or membership.status != "active":
        return False
    circle = circle or membership.circle
    if circle.id != membership.circle_id:
        return False
    return circle.revenue_open_to_members or can(membership, "see_amounts")


def require(membership: Membership, permission: str) -> None:
    """Raise Forbidden unless the membership may do ``permission``."""
    if not can(membership, permission):
        raise Forbidden(_("Your role in this circle does not allow this."))
