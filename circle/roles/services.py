"""Granting and revoking officer roles (president, vice president, ...), audited.

A role row is configuration: revoking deletes it, and the audit trail keeps the history
(``grant`` / ``revoke`` entries on the membership). Only active members hold roles; the
permission table (``circle.roles.permissions``) ignores the roles of an ended membership.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from circle.auditlog.record import record
from circle.core.errors import Conflict, NotFound, ValidationFailed
from circle.extensions import db
from circle.membership.services import member_in_circle
from circle.models import OFFICER_ROLES, Circle, Membership, MembershipRole
from circle.roles.permissions import (
    PERMISSION_LABELS,
    PERMISSIONS,
    ROLE_LABELS,
    forget_roles,
    require,
)


def roles_by_member(circle_id: int) -> dict[int, list[str]]:
    """Officer roles per membership id of a circle, in the order of ``OFFICER_ROLES``."""
    found: dict[int, set[str]] = defaultdict(set)
    rows = db.session.execute(_roles_statement(), {"roles_circle": circle_id})
    for membership_id, role in rows:
        found[membership_id].add(role)
    return {mid: [r for r in OFFICER_ROLES if r in roles] for mid, roles in found.items()}


@cache
def _roles_statement() -> Select:
    """The statement of ``roles_by_member`` (built once per process)."""
    return select(MembershipRole.membership_id, MembershipRole.role).where(
        MembershipRole.circle_id == bindparam("roles_circle")
    )


def permission_table() -> list[dict]:
    """The permission table for display: each permission with the roles that hold it."""
    return [
        {
            "permission": permission,
            "label": PERMISSION_LABELS[permission],
            "roles": {role: role in holders for role in OFFICER_ROLES},
        }
        for permission, holders in PERMISSIONS.items()
    ]


def _check_role(role: str) -> None:
    """Refuse anything but an officer role."""
    if role not in OFFICER_ROLES:
        raise ValidationFailed(_("Unknown role."), field="role")


def _active_member(circle_id: int, membership_id: int) -> Membership:
    """An active member of this circle (others are not found)."""
    membership = member_in_circle(circle_id, membership_id)
    if membership.status != "active":
        raise NotFound(_("Member not found."))
    return membership


def grant(circle: Circle, actor: Membership, membership_id: int, role: str) -> Membership:
    """Give an active member an officer role (``manage_roles``); audited as ``grant``."""
    require(actor, "manage_roles")
    _check_role(role)
    membership = _active_member(circle.id, membership_id)
    label = ROLE_LABELS[role]
    exists = db.session.execute(
        select(MembershipRole.id).where(
            MembershipRole.membership_id == membership.id, MembershipRole.role == role
        )
    ).first()
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    MembershipRole(
                        circle_id=circle.id,
                        membership_id=membership.id,
                        role=role,
                        granted_by_id=actor.user_id,
                    )
                )
        except IntegrityError:
            exists = True
    if exists is not None:
        raise Conflict(
            _("%(name)s already is %(role)s.", name=membership.user.name, role=label),
            field="role",
        )
    record(circle.id, "membership", membership.id, "grant", actor.user, after={"role": role})
    forget_roles(membership)
    return membership


def revoke(circle: Circle, actor: Membership, membership_id: int, role: str) -> Membership:
    """Take an officer role away (``manage_roles``): the row goes, the audit keeps it."""
    require(actor, "manage_roles")
    _check_role(role)
    membership = member_in_circle(circle.id, membership_id)
    deleted = db.session.execute(
        delete(MembershipRole).where(
            MembershipRole.circle_id == circle.id,
            MembershipRole.membership_id == membership.id,
            MembershipRole.role == role,
        )
    ).rowcount
    if not deleted:
        raise NotFound(
            _(
                "%(name)s does not hold the role %(role)s.",
                name=membership.user.name,
                role=ROLE_LABELS[role],
            )
        )
    record(circle.id, "membership", membership.id, "revoke", actor.user, before={"role": role})
    forget_roles(membership)
    db.session.flush()
    return membership


def set_roles(circle: Circle, actor: Membership, membership_id: int, roles: list[str]) -> list[str]:
    """Make a member hold exactly ``roles`` (grants and revokes the difference); returns them."""
    require(actor, "manage_roles")
    for role in roles:
        _check_role(role)
    membership = _active_member(circle.id, membership_id)
    held = set(roles_by_member(circle.id).get(membership.id, []))
    wanted = set(roles)
    for role in OFFICER_ROLES:
        if role in wanted - held:
            grant(circle, actor, membership.id, role)
        elif role in held - wanted:
            revoke(circle, actor, membership.id, role)
    return [r for r in OFFICER_ROLES if r in wanted]


def roles_of_member(circle: Circle, membership_id: int) -> list[str]:
    """The officer roles of one member of this circle (404 for other circles' ids)."""
    membership = member_in_circle(circle.id, membership_id)
    return roles_by_member(circle.id).get(membership.id, [])
