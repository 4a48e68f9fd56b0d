"""One-to-ones and education credits over the API: record and list.

The rules live in ``circle.activity.services``; these endpoints only translate JSON.
"""

from __future__ import annotations

from circle.activity import services
from circle.api.endpoint import current_user, endpoint
from circle.api.referrals import period
from circle.api.schemas_activity import (
    CreditIn,
    CreditList,
    CreditOut,
    OneToOneIn,
    OneToOneList,
    OneToOneOut,
)
from circle.api.schemas_referrals import PeriodQuery
from circle.circles.access import circle_for_user

ONE_TO_ONES = "/circles/<int:circle_id>/one-to-ones"
CREDITS = "/circles/<int:circle_id>/education-credits"


@endpoint(
    ONE_TO_ONES,
    "POST",
    summary="Record a one-to-one",
    tag="one-to-ones",
    body=OneToOneIn,
    response=OneToOneOut,
    status=201,
    problems=("conflict", "self_referral", "not_a_member"),
)
def record_one_to_one(circle_id, data):
    """The caller met `other_id` (an active member) on `met_on`.

    Stored once per pair and day: when either of the two recorded it already, 409
    `conflict` names who did. Not with oneself (422 `self_referral`); not in the future.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    return services.record_one_to_one(
        circle,
        actor,
        services.OneToOneInput(other_id=data["other_id"], met_on=data["met_on"], note=data["note"]),
    )


@endpoint(
    ONE_TO_ONES,
    "GET",
    summary="List one-to-ones",
    tag="one-to-ones",
    query=PeriodQuery,
    response=OneToOneList,
)
def list_one_to_ones(circle_id, query):
    """The caller's one-to-ones dated `from`..`to` (default: the 30 days ending today)."""
    circle, actor = circle_for_user(current_user(), circle_id)
    start, end = period(circle, query)
    return {"items": services.one_to_ones_of(circle, actor.id, start, end)}


@endpoint(
    CREDITS,
    "POST",
    summary="Record an education credit",
    tag="education credits",
    body=CreditIn,
    response=CreditOut,
    status=201,
)
def add_credit(circle_id, data):
    """An education credit (CEU) of the caller: `topic`, `minutes` (1..1440), `completed_on`."""
    circle, actor = circle_for_user(current_user(), circle_id)
    return services.add_education_credit(
        circle,
        actor,
        services.CreditInput(
            topic=data["topic"], minutes=data["minutes"], completed_on=data["completed_on"]
        ),
    )


@endpoint(
    CREDITS,
    "GET",
    summary="List education credits",
    tag="education credits",
    query=PeriodQuery,
    response=CreditList,
)
def list_credits(circle_id, query):
    """The caller's education credits dated `from`..`to` (default: the 30 days ending today)."""
    circle, actor = circle_for_user(current_user(), circle_id)
    start, end = period(circle, query)
    return {"items": services.credits_of(circle, actor.id, start, end)}
