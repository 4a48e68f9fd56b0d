"""Members of a circle over the API: roster, seat reservations, changes and removal."""

from __future__ import annotations

from circle.api.endpoint import current_user, endpoint
from circle.api.schemas import MemberIn, MemberList, MemberOut, MemberPatch
from circle.api.schemas_people import ReservationOut
from circle.circles.access import circle_for_user, roster
from circle.membership import invitations
from circle.membership import services as membership

MEMBER = "/circles/<int:circle_id>/members/<int:member_id>"
SEAT_PROBLEMS = ("profession_taken", "circle_full", "already_member")


@endpoint(
    "/circles/<int:circle_id>/members",
    "GET",
    summary="List a circle's members",
    tag="members",
    response=MemberList,
)
def list_members(circle_id):
    """The active members of a circle of the caller's, by profession."""
    circle, _actor = circle_for_user(current_user(), circle_id)
    return {"items": roster(circle.id)}


@endpoint(
    "/circles/<int:circle_id>/members",
    "POST",
    summary="Add a member (reserve the seat and invite)",
    tag="members",
    body=MemberIn,
    response=ReservationOut,
    status=201,
    problems=("forbidden", "conflict", *SEAT_PROBLEMS),
)
def add_member(circle_id, data):
    """Reserve a profession's seat for a person and mail them an invitation (admins).

    The seat counts as taken at once; the person becomes a member when they accept
    (and may decline). The answer holds only what was sent, never the account behind
    the address.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    return invitations.add_member(circle, actor, data["email"], data["name"], data["profession"])


@endpoint(
    MEMBER,
    "PATCH",
    summary="Change a member's profession or role",
    tag="members",
    body=MemberPatch,
    response=MemberOut,
    problems=("forbidden", "conflict", *SEAT_PROBLEMS),
)
def update_member(circle_id, member_id, data):
    """Move a member to another profession (seat rules apply) and/or appoint or dismiss an admin.

    A circle always keeps one admin (409 ``conflict``).
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    member = None
    if "profession" in data:
        member = membership.change_profession(circle, actor, member_id, data["profession"])
    if "role" in data:
        member = membership.set_role(circle, actor, member_id, data["role"])
    return member


@endpoint(
    MEMBER,
    "DELETE",
    summary="Remove a member",
    tag="members",
    problems=("forbidden", "conflict"),
)
def remove_member(circle_id, member_id):
    """Remove a member (admins): the seat is freed, the history kept. The last admin stays (409)."""
    circle, actor = circle_for_user(current_user(), circle_id)
    membership.remove(circle, actor, member_id)
