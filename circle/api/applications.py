"""Applications over the API: the open requests and the committee's decision."""

from __future__ import annotations

from circle.api.endpoint import current_user, endpoint
from circle.api.schemas_people import ApplicationList, ApplicationOut, DecisionIn
from circle.circles.access import circle_for_user
from circle.membership import applications
from circle.roles.permissions import require


@endpoint(
    "/circles/<int:circle_id>/applications",
    "GET",
    summary="List open applications",
    tag="applications",
    response=ApplicationList,
    problems=("forbidden",),
)
def list_applications(circle_id):
    """Open applications and waitlist places with sponsor and answers (``approve_applications``)."""
    circle, actor = circle_for_user(current_user(), circle_id)
    require(actor, "approve_applications")
    return {"items": applications.open_requests(circle.id)}


@endpoint(
    "/circles/<int:circle_id>/applications/<int:member_id>/decision",
    "POST",
    summary="Approve or decline an application",
    tag="applications",
    body=DecisionIn,
    response=ApplicationOut,
    problems=("forbidden", "conflict", "profession_taken", "circle_full", "already_member"),
)
def decide(circle_id, member_id, data):
    """Approve (the seat rules apply; a taken seat puts an applicant on the waitlist) or
    decline with a `reason`, which the applicant receives by mail (``approve_applications``).
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    return applications.decide(circle, actor, member_id, data["decision"], data["reason"])
