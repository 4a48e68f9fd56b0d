"""Visitors over the API: list, record, another visit, turn into an applicant."""

from __future__ import annotations

from circle.api.endpoint import current_user, endpoint
from circle.api.schemas_people import (
    InvitationToApplyOut,
    VisitIn,
    VisitorIn,
    VisitorList,
    VisitorOut,
)
from circle.circles.access import circle_for_user
from circle.models import Visitor
from circle.roles.permissions import require
from circle.visitors import services as visitors

VISITORS = "/circles/<int:circle_id>/visitors"
VISITOR = VISITORS + "/<int:visitor_id>"


def _out(visitor: Visitor) -> dict:
    """A visitor with its visits, as ``VisitorOut`` dumps it."""
    visits = visitors.visits_by_visitor(visitor.circle_id).get(visitor.id, [])
    return _shape(visitor, visits)


def _shape(visitor: Visitor, visits) -> dict:
    """The fields of a visitor and its visits (meeting id and day)."""
    return {
        **{
            k: getattr(visitor, k)
            for k in (
                "id",
                "name",
                "company",
                "profession_name",
                "email",
                "phone",
                "invited_by_id",
                "applicant_id",
            )
        },
        "visits": [{"meeting_id": v.meeting_id, "held_on": v.meeting.held_on} for v in visits],
    }


@endpoint(
    VISITORS,
    "GET",
    summary="List visitors",
    tag="visitors",
    response=VisitorList,
    problems=("forbidden",),
)
def list_visitors(circle_id):
    """The circle's visitors with their visits and inviters (``manage_visitors``)."""
    circle, actor = circle_for_user(current_user(), circle_id)
    require(actor, "manage_visitors")
    visits = visitors.visits_by_visitor(circle.id)
    return {"items": [_shape(v, visits.get(v.id, [])) for v in visitors.visitors(circle.id)]}


@endpoint(
    VISITORS,
    "POST",
    summary="Record a visitor",
    tag="visitors",
    body=VisitorIn,
    response=VisitorOut,
    status=201,
    problems=("forbidden", "conflict", "not_a_member"),
)
def create_visitor(circle_id, data):
    """Record a new visitor at a meeting, credited to the inviting member (``manage_visitors``)."""
    circle, actor = circle_for_user(current_user(), circle_id)
    return _out(visitors.record_visitor(circle, actor, **data))


@endpoint(
    VISITOR + "/visits",
    "POST",
    summary="Record another visit",
    tag="visitors",
    body=VisitIn,
    response=VisitorOut,
    status=201,
    problems=("forbidden", "conflict"),
)
def add_visit(circle_id, visitor_id, data):
    """Record a returning visitor at another meeting; beyond the circle's limit 409 `conflict`."""
    circle, actor = circle_for_user(current_user(), circle_id)
    return _out(visitors.add_visit(circle, actor, visitor_id, data["meeting_id"]))


@endpoint(
    VISITOR + "/applicant",
    "POST",
    summary="Invite a visitor to apply",
    tag="visitors",
    response=InvitationToApplyOut,
    status=201,
    problems=("forbidden", "conflict", "validation_error"),
)
def make_applicant(circle_id, visitor_id):
    """Mail the visitor a link to apply, sponsored by the inviter (needs e-mail and profession).

    The visitor becomes an applicant (or joins the waitlist when the seat is taken) only
    when they accept, logged in with that address; the answer is the same whether or not
    the address has an account. Asking again mails a new link and voids the earlier one.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    return visitors.turn_into_applicant(circle, actor, visitor_id)
