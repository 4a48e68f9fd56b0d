"""API schemas for officer roles, applications and visitors (issue 6)."""

from __future__ import annotations

from marshmallow import Schema, fields

from circle.api.fields import Id, Length, OneOf, OptionalEmail, Text
from circle.api.schemas import In, ProfessionOut
from circle.core.checks import MAX_REASON
from circle.models import OFFICER_ROLES
from circle.visitors.services import LIMITS

# --- roles -------------------------------------------------------------------------


class RolesIn(In):
    """The officer roles a member should hold from now on (others are revoked)."""

    roles = fields.List(
        Text(validate=OneOf(list(OFFICER_ROLES))),
        required=True,
        metadata={"description": "Officer roles: " + ", ".join(OFFICER_ROLES)},
    )


class RolesOut(Schema):
    """The officer roles a member holds."""

    member_id = fields.Integer(required=True)
    roles = fields.List(fields.String(), required=True)


# --- applications ------------------------------------------------------------------


class AnswersOut(Schema):
    """The applicant's short answers (left-out questions were not answered)."""

    why = fields.String(metadata={"description": "Why do you want to join?"})
    business_years = fields.String(metadata={"description": "How long in business?"})
    ideal_customers = fields.String(metadata={"description": "Ideal customers."})


class ApplicationOut(Schema):
    """An application or waitlist place, and its decision once made."""

    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    name = fields.String(required=True, attribute="user.name")
    email = fields.String(required=True, attribute="user.email")
    profession = fields.Nested(ProfessionOut, required=True, allow_none=True)
    status = fields.String(required=True)
    sponsor_id = fields.Integer(required=True, allow_none=True)
    answers = fields.Nested(
        AnswersOut, required=True, attribute="application_answers", allow_none=True
    )
    created_at = fields.DateTime(required=True)
    decided_by_id = fields.Integer(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    decision_reason = fields.String(required=True)


class ApplicationList(Schema):
    """Open applications and waitlist places, oldest first."""

    items = fields.List(fields.Nested(ApplicationOut), required=True)


class DecisionIn(In):
    """Approve or decline; a decline needs a reason (mailed to the applicant)."""

    decision = Text(required=True, validate=OneOf(["approve", "decline"]))
    reason = Text(load_default="", validate=Length(max=MAX_REASON))


# --- visitors ----------------------------------------------------------------------


class VisitOut(Schema):
    """One visit at a meeting."""

    meeting_id = fields.Integer(required=True)
    held_on = fields.Date(required=True)


class VisitorOut(Schema):
    """A visitor with their visits and the member credited with the invitation."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    company = fields.String(required=True)
    profession = fields.String(required=True, attribute="profession_name")
    email = fields.String(required=True)
    phone = fields.String(required=True)
    invited_by_id = fields.Integer(required=True, allow_none=True)
    applicant_id = fields.Integer(required=True, allow_none=True)
    visits = fields.List(fields.Nested(VisitOut), required=True)


class InvitationToApplyOut(Schema):
    """An invitation to apply mailed to a visitor: only what was recorded about them.

    The visitor becomes an applicant (``applicant_id`` on the visitor) once they accept it.
    """

    id = fields.Integer(required=True)
    visitor_id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    profession = fields.Nested(ProfessionOut, required=True)
    expires_at = fields.DateTime(required=True)


class VisitorList(Schema):
    """The visitors of a circle, newest first."""

    items = fields.List(fields.Nested(VisitorOut), required=True)


class VisitorIn(In):
    """A new visitor and the meeting of their first visit."""

    name = Text(required=True, validate=Length(1, LIMITS["name"]))
    company = Text(load_default="", validate=Length(max=LIMITS["company"]))
    profession = Text(required=True, validate=Length(1, LIMITS["profession"]))
    email = OptionalEmail(load_default="")
    phone = Text(load_default="", validate=Length(max=LIMITS["phone"]))
    invited_by_id = Id(required=True, metadata={"description": "The inviting member's id."})
    meeting_id = Id(required=True)


class VisitIn(In):
    """Another visit of a returning visitor."""

    meeting_id = Id(required=True)


# --- seats reserved for invitees and registration ----------------------------------


class ReservationOut(Schema):
    """A seat reserved for an invitee: only what the admin typed, never the account."""

    invitation_id = fields.Integer(required=True, attribute="id")
    email = fields.String(required=True)
    name = fields.String(required=True)
    profession = fields.Nested(ProfessionOut, required=True)
    status = fields.Constant("invited", required=True)
    expires_at = fields.AwareDateTime(required=True)


class RegisteredOut(Schema):
    """The answer to a registration: the same whether or not the address had an account."""

    email = fields.String(required=True)
    detail = fields.String(required=True)
