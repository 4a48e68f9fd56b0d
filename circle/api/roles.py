"""Officer roles over the API: read and set the roles of one member."""

from __future__ import annotations

from circle.api.endpoint import current_user, endpoint
from circle.api.schemas_people import RolesIn, RolesOut
from circle.circles.access import circle_for_user
from circle.roles import services as roles

ROLES = "/circles/<int:circle_id>/members/<int:member_id>/roles"


@endpoint(ROLES, "GET", summary="A member's officer roles", tag="roles", response=RolesOut)
def get_roles(circle_id, member_id):
    """The officer roles (president, vice president, ...) a member of the caller's circle holds."""
    circle, _actor = circle_for_user(current_user(), circle_id)
    return {"member_id": member_id, "roles": roles.roles_of_member(circle, member_id)}


@endpoint(
    ROLES,
    "PUT",
    summary="Set a member's officer roles",
    tag="roles",
    body=RolesIn,
    response=RolesOut,
    problems=("forbidden",),
)
def put_roles(circle_id, member_id, data):
    """Make an active member hold exactly the given roles (``manage_roles``: admins, president).

    Roles granted and revoked are audited; an empty list revokes every role.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    held = roles.set_roles(circle, actor, member_id, data["roles"])
    return {"member_id": member_id, "roles": held}
