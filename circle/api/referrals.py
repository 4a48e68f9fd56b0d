"""Referral slips and closed business over the API: give, list, move on, void.

The rules live in ``circle.referrals.services``; these endpoints only translate JSON
into its inputs. Money travels as a decimal string (``"1200.00"``), never as a float.
"""

from __future__ import annotations

from datetime import date

from circle.api.endpoint import current_user, endpoint
from circle.api.schemas_referrals import (
    BusinessIn,
    BusinessList,
    BusinessOut,
    PeriodQuery,
    ReferralIn,
    ReferralList,
    ReferralOut,
    ReferralPatch,
    VoidPatch,
)
from circle.circles.access import circle_for_user
from circle.core.checks import check_range
from circle.core.money import parse_plain_amount
from circle.core.weeks import shift, today_for
from circle.models import Circle
from circle.referrals import reading, services

REFERRALS = "/circles/<int:circle_id>/referrals"
REFERRAL = REFERRALS + "/<int:referral_id>"
BUSINESSES = "/circles/<int:circle_id>/closed-business"
BUSINESS = BUSINESSES + "/<int:business_id>"

#: Days in the default period of the lists (the last 30 days, today included).
DEFAULT_DAYS = 30


def period(circle: Circle, query: dict) -> tuple[date, date]:
    """The period ``from``..``to`` of a list; defaults: the 30 days ending today."""
    end = query.get("end") or today_for(circle)
    start = query.get("start") or shift(end, -(DEFAULT_DAYS - 1))
    check_range(start, end)
    return start, end


# --- referrals ---------------------------------------------------------------------


@endpoint(
    REFERRALS,
    "POST",
    summary="Give a referral",
    tag="referrals",
    body=ReferralIn,
    response=ReferralOut,
    status=201,
    problems=("forbidden", "self_referral", "not_a_member"),
)
def give_referral(circle_id, data):
    """Record a referral slip from the giver (default: the caller) to another active member.

    Only admins give in another member's name (403 `forbidden`). The receiver must be an
    active member of this circle other than the giver (422 `not_a_member`, `self_referral`);
    `given_on` may not lie in the future (422 `validation_error`). The receiver gets a mail.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    prospect = data["prospect"]
    referral = services.give_referral(
        circle,
        actor,
        services.ReferralInput(
            giver_id=data.get("giver_id"),
            receiver_id=data["receiver_id"],
            given_on=data["given_on"],
            kind=data["kind"],
            hotness=data["hotness"],
            sphere=data["sphere"],
            prospect_name=prospect.get("name", ""),
            prospect_phone=prospect.get("phone", ""),
            prospect_email=prospect.get("email", ""),
            note=data["note"],
        ),
    )
    return referral


@endpoint(
    REFERRALS,
    "GET",
    summary="List referrals",
    tag="referrals",
    query=PeriodQuery,
    response=ReferralList,
)
def list_referrals(circle_id, query):
    """Referral slips dated `from`..`to` (both included; default: the 30 days ending today).

    Members see the slips they gave or received, admins every slip of the circle. Voided
    slips are listed too, with `voided: true` and their `void_reason`.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    start, end = period(circle, query)
    return {"items": reading.referrals_between(circle, actor, start, end)}


@endpoint(
    REFERRAL,
    "PATCH",
    summary="Move a referral on or void it",
    tag="referrals",
    body=ReferralPatch,
    response=ReferralOut,
    problems=("forbidden", "conflict"),
)
def update_referral(circle_id, referral_id, data):
    """Either `{status}` or `{void: true, reason}`, not both.

    The receiver moves the status forward only: new → contacted → won | lost (403
    `forbidden` for anyone else, 409 `conflict` for a step back or a voided slip). The giver
    (or an admin) voids a slip with a reason; it then counts nowhere. Slips the caller may
    not see answer 404.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    if "status" in data:
        return services.set_status(circle, actor, referral_id, data["status"])
    return services.void_referral(circle, actor, referral_id, data.get("reason", ""))


# --- closed business ---------------------------------------------------------------


@endpoint(
    BUSINESSES,
    "POST",
    summary="Report closed business",
    tag="closed business",
    body=BusinessIn,
    response=BusinessOut,
    status=201,
    problems=("self_referral", "not_a_member"),
)
def report_business(circle_id, data):
    """Report revenue the caller (the receiver) earned, credited to `giver_id`.

    `amount` is a decimal string such as `"1200.00"` in the circle's currency: JSON numbers,
    zero, negative amounts and more decimals than the currency has are refused (422
    `validation_error`). A linked `referral_id` must have been given by the giver to the
    caller; an open one is marked won. The giver gets a thank-you mail.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    return services.report_closed_business(
        circle,
        actor,
        services.BusinessInput(
            thanked_id=data["giver_id"],
            amount_minor=parse_plain_amount(data["amount"], circle.currency),
            closed_on=data["closed_on"],
            kind=data["kind"],
            referral_id=data["referral_id"],
            note=data["note"],
        ),
    )


@endpoint(
    BUSINESSES,
    "GET",
    summary="List closed business",
    tag="closed business",
    query=PeriodQuery,
    response=BusinessList,
)
def list_business(circle_id, query):
    """Closed business dated `from`..`to` (both included; default: the 30 days ending today).

    Members see what they reported or were thanked for, admins everything. Voided entries
    are listed too, with `voided: true` and their `void_reason`.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    start, end = period(circle, query)
    return {"items": reading.business_between(circle, actor, start, end)}


@endpoint(
    BUSINESS,
    "PATCH",
    summary="Void closed business",
    tag="closed business",
    body=VoidPatch,
    response=BusinessOut,
    problems=("forbidden", "conflict"),
)
def void_business(circle_id, business_id, data):
    """`{void: true, reason}`: the reporter (or an admin) voids the entry; it counts nowhere.

    A second void answers 409 `conflict`; entries the caller may not see answer 404.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    return services.void_business(circle, actor, business_id, data["reason"])
