"""Member scores over the API: the chapter's (leadership) or one member's."""

from __future__ import annotations

from circle.api.endpoint import current_user, endpoint
from circle.api.schemas_activity import ScoreList, ScoreOut
from circle.circles.access import circle_for_user
from circle.scores import services


@endpoint(
    "/circles/<int:circle_id>/scores",
    "GET",
    summary="List member scores",
    tag="scores",
    response=ScoreList,
)
def list_scores(circle_id):
    """Scores over the last completed six calendar months, best first.

    The circle's leadership (admins and officers) gets every active member; a plain
    member gets only their own score. `distribution` counts the members listed per colour.
    Another member's closed business amount (`count` and `rate` of `tyfcb`) is null unless
    the reader may see other members' amounts (`see_amounts`).
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    if services.is_leader(actor):
        scores = services.chapter_scores(circle)
    else:
        scores = [services.member_score(circle, actor)]
    return {
        "items": [services.visible_score(actor, score) for score in scores],
        "distribution": services.distribution(scores),
    }


@endpoint(
    "/circles/<int:circle_id>/members/<int:member_id>/score",
    "GET",
    summary="Get a member's score",
    tag="scores",
    response=ScoreOut,
    problems=("forbidden",),
)
def member_score(circle_id, member_id):
    """One member's score with every area: count, rate, tier and points.

    Members see their own; another member's needs the circle's leadership (403), and its
    closed business amount (`count` and `rate` of `tyfcb`) is null without `see_amounts`.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    member = services.scored_member(circle, actor, member_id)
    return services.visible_score(actor, services.member_score(circle, member))
