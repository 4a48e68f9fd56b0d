"""API schema of the personal data export (``GET /api/v1/me/export``).

The export service already returns JSON values (dates as ISO text, amounts as decimal
strings); these schemas document them and pass them through unchanged.
"""

from __future__ import annotations

from marshmallow import Schema, fields


def _day(**kwargs) -> fields.String:
    """A date as ``YYYY-MM-DD``."""
    return fields.String(required=True, metadata={"format": "date"}, **kwargs)


def _time(**kwargs) -> fields.String:
    """A UTC timestamp in ISO 8601 (RFC 3339)."""
    return fields.String(required=True, metadata={"format": "date-time"}, **kwargs)


def _amount(**kwargs) -> fields.String:
    """An amount as a decimal string with a dot, e.g. ``"1234.50"``."""
    return fields.String(
        required=True, metadata={"description": "Decimal string, e.g. 1234.50."}, **kwargs
    )


class ProfileExport(Schema):
    """The account's own fields (never the password hash)."""

    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    locale = fields.String(required=True)
    created_at = _time()
    password_changed_at = _time(allow_none=True)
    email_confirmed_at = _time(allow_none=True)
    pending_email = fields.String(required=True, allow_none=True)


class MembershipExport(Schema):
    """A membership in any status, with its officer roles."""

    id = fields.Integer(required=True)
    circle_id = fields.Integer(required=True)
    circle = fields.String(required=True)
    profession = fields.String(required=True, allow_none=True)
    role = fields.String(required=True)
    officer_roles = fields.List(fields.String(), required=True)
    status = fields.String(required=True)
    created_at = _time()
    joined_at = _time(allow_none=True)
    ended_at = _time(allow_none=True)
    application_answers = fields.Dict(required=True, allow_none=True)


class ProspectExport(Schema):
    """The prospect details the member entered (blank once erased)."""

    name = fields.String(required=True)
    phone = fields.String(required=True)
    email = fields.String(required=True)
    erased_at = _time(allow_none=True)


class ReferralExport(Schema):
    """A referral given or received; ``other`` is the other side's name."""

    id = fields.Integer(required=True)
    circle_id = fields.Integer(required=True)
    given_on = _day()
    other = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True)
    hotness = fields.Integer(required=True, allow_none=True)
    sphere = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)
    note = fields.String(required=True)
    prospect = fields.Nested(
        ProspectExport,
        required=True,
        allow_none=True,
        metadata={"description": "Only on referrals the member gave or entered."},
    )
    created_at = _time()
    voided_at = _time(allow_none=True)
    void_reason = fields.String(required=True, allow_none=True)


class BusinessExport(Schema):
    """Closed business reported, or a thank-you received (amount hidden where the circle does)."""

    id = fields.Integer(required=True)
    circle_id = fields.Integer(required=True)
    closed_on = _day()
    other = fields.String(required=True, allow_none=True)
    amount = _amount(allow_none=True)
    currency = fields.String(required=True)
    kind = fields.String(required=True)
    note = fields.String(required=True, allow_none=True)
    created_at = _time()
    voided_at = _time(allow_none=True)
    void_reason = fields.String(required=True, allow_none=True)


class OneToOneExport(Schema):
    """A one-to-one with another member."""

    id = fields.Integer(required=True)
    circle_id = fields.Integer(required=True)
    met_on = _day()
    other = fields.String(required=True)
    note = fields.String(required=True)
    voided_at = _time(allow_none=True)
    void_reason = fields.String(required=True, allow_none=True)


class CreditExport(Schema):
    """An education credit."""

    id = fields.Integer(required=True)
    circle_id = fields.Integer(required=True)
    topic = fields.String(required=True)
    minutes = fields.Integer(required=True)
    completed_on = _day()
    voided_at = _time(allow_none=True)
    void_reason = fields.String(required=True, allow_none=True)


class AttendanceExport(Schema):
    """Attendance at one meeting."""

    circle_id = fields.Integer(required=True)
    meeting_on = _day()
    code = fields.String(required=True)
    substitute_name = fields.String(required=True)


class VisitorExport(Schema):
    """A visitor the member invited, with the days of their visits."""

    id = fields.Integer(required=True)
    circle_id = fields.Integer(required=True)
    name = fields.String(required=True)
    company = fields.String(required=True)
    profession = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(required=True)
    created_at = _time()
    visits = fields.List(fields.String(metadata={"format": "date"}), required=True)


class PaymentExport(Schema):
    """A dues payment."""

    id = fields.Integer(required=True)
    circle_id = fields.Integer(required=True)
    amount = _amount()
    currency = fields.String(required=True)
    period_start = _day()
    period_end = _day()
    paid_on = _day()
    source = fields.String(required=True)
    reference = fields.String(required=True)


class SubscriptionExport(Schema):
    """An online dues subscription as Stripe last described it."""

    circle_id = fields.Integer(required=True)
    status = fields.String(required=True)
    current_period_end = fields.String(required=True, allow_none=True, metadata={"format": "date"})


class TokenExport(Schema):
    """An API token: name, prefix and dates, never the token or its hash."""

    name = fields.String(required=True)
    prefix = fields.String(required=True)
    created_at = _time()
    last_used_at = _time(allow_none=True)
    revoked_at = _time(allow_none=True)


class AuditExport(Schema):
    """An audit entry made by the member or about their account or memberships."""

    id = fields.Integer(required=True)
    circle_id = fields.Integer(required=True)
    entity = fields.String(required=True)
    entity_id = fields.Integer(required=True)
    action = fields.String(required=True)
    by_me = fields.Boolean(required=True)
    before = fields.Dict(required=True, allow_none=True)
    after = fields.Dict(required=True, allow_none=True)
    created_at = _time()


def _items(schema: type[Schema]) -> fields.List:
    """A required list of ``schema``."""
    return fields.List(fields.Nested(schema), required=True)


class ExportOut(Schema):
    """Everything Circle holds about the caller (the same file the account page downloads)."""

    format = fields.String(required=True, metadata={"example": "circle-export/1"})
    exported_at = _time()
    profile = fields.Nested(ProfileExport, required=True)
    memberships = _items(MembershipExport)
    referrals_given = _items(ReferralExport)
    referrals_received = _items(ReferralExport)
    closed_business_reported = _items(BusinessExport)
    closed_business_thanked = _items(BusinessExport)
    one_to_ones = _items(OneToOneExport)
    education_credits = _items(CreditExport)
    attendance = _items(AttendanceExport)
    visitors_invited = _items(VisitorExport)
    payments = _items(PaymentExport)
    dues_subscriptions = _items(SubscriptionExport)
    api_tokens = _items(TokenExport)
    audit_entries = _items(AuditExport)
