"""Request and response schemas of the API; the OpenAPI document is generated from them.

Input schemas refuse unknown fields (marshmallow's default ``RAISE``); string limits
match the database columns.
"""

from __future__ import annotations

from datetime import time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validates_schema

from circle.api.fields import (
    Day,
    DecimalString,
    Email,
    HourMinute,
    Id,
    Int,
    Length,
    OneOf,
    OptionalEmail,
    Password,
    Range,
    StrictBool,
    Text,
)
from circle.core.money import plain_amount
from circle.models.circle import MAX_SEATS
from circle.models.referral import BUSINESS_KINDS, REFERRAL_KINDS, REFERRAL_STATUSES, SPHERES


class In(Schema):
    """Base of input schemas: translated messages for unknown fields and wrong types."""

    error_messages = {
        "unknown": _l("Unknown field."),
        "type": _l("Expected a JSON object."),
    }


def _seat_limit_message() -> str:
    """The refusal for a seat limit outside 1..40 (same text as the HTML form)."""
    return _("A circle has between 1 and %(max)s seats.", max=MAX_SEATS)


def seat_limit(**kwargs) -> Int:
    """The seat limit field: an integer 1..40."""
    return Int(validate=Range(1, MAX_SEATS, message=_seat_limit_message), **kwargs)


# --- problems ----------------------------------------------------------------------


class ProblemSchema(Schema):
    """An RFC 9457 problem; ``code`` is stable, ``detail`` is for people."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "Stable machine code."})
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        # A nested object (``prospect``) or list reports its own fields' messages inside.
        values=fields.Raw(
            metadata={"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]}
        ),
        metadata={
            "description": "Messages per input field (validation problems); a nested object "
            "or list holds the messages of its own fields or items."
        },
    )


# --- accounts and tokens -----------------------------------------------------------


class TokenIn(In):
    """Credentials for a new token."""

    email = Email(required=True)
    password = Password(required=True, validate=Length(max=128))
    name = Text(load_default="", validate=Length(max=80), metadata={"description": "A label."})
    code = Text(
        load_default="",
        validate=Length(max=32),
        metadata={"description": "With two-factor login: a code from the app or a recovery code."},
    )


class TokenCreated(Schema):
    """The new token, shown this one time only."""

    token = fields.String(required=True)


class TokenOut(Schema):
    """A token as listed: never the token itself."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(required=True, allow_none=True)


class TokenList(Schema):
    """The caller's tokens that are not revoked."""

    items = fields.List(fields.Nested(TokenOut), required=True)


class UserIn(In):
    """A new account."""

    email = Email(required=True)
    password = Password(required=True, metadata={"minLength": 8, "maxLength": 128})
    name = Text(required=True, validate=Length(1, 120))
    locale = Text(load_default="de", validate=OneOf(["de", "en"]))


class UserOut(Schema):
    """An account."""

    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    locale = fields.String(required=True)


class ProfessionOut(Schema):
    """A profession of the platform-wide list."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)


class ProfessionList(Schema):
    """All professions, by name."""

    items = fields.List(fields.Nested(ProfessionOut), required=True)


class MyMembership(Schema):
    """One of the caller's memberships (active, applied, waitlisted or invited)."""

    circle_id = fields.Integer(required=True)
    circle_name = fields.String(required=True, attribute="circle.name")
    role = fields.String(required=True)
    status = fields.String(required=True)
    profession = fields.Nested(ProfessionOut, required=True, allow_none=True)


class MeOut(UserOut):
    """The caller's account and memberships."""

    memberships = fields.List(fields.Nested(MyMembership), required=True)


# --- circles -----------------------------------------------------------------------


class CirclePatch(In):
    """Settings to change; fields left out keep their value."""

    name = Text(validate=Length(1, 120))
    city = Text(validate=Length(max=120))
    currency = Text(validate=Length(max=3), metadata={"description": "ISO 4217 code"})
    timezone = Text(validate=Length(max=64), metadata={"description": "IANA time zone"})
    seat_limit = seat_limit()
    meeting_weekday = Int(validate=Range(0, 6), metadata={"description": "0 = Monday"})
    meeting_time = HourMinute()


class CircleIn(In):
    """A new circle; the caller becomes its admin."""

    name = Text(required=True, validate=Length(1, 120))
    city = Text(load_default="", validate=Length(max=120))
    currency = Text(load_default="EUR", validate=Length(max=3))
    timezone = Text(load_default="Europe/Berlin", validate=Length(max=64))
    seat_limit = seat_limit(load_default=MAX_SEATS)
    meeting_weekday = Int(
        load_default=2, validate=Range(0, 6), metadata={"description": "0 = Monday"}
    )
    meeting_time = HourMinute(load_default=time(7, 0))
    profession = Text(
        load_default="",
        validate=Length(max=120),
        metadata={"description": "The creator's own seat; left out: an organiser without one."},
    )


class CircleOut(Schema):
    """A circle with its count of taken seats."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    city = fields.String(required=True)
    currency = fields.String(required=True)
    timezone = fields.String(required=True)
    seat_limit = fields.Integer(required=True)
    seats_taken = fields.Integer(required=True)
    meeting_weekday = fields.Integer(required=True)
    meeting_time = HourMinute(required=True)


class CircleList(Schema):
    """The caller's circles (active memberships)."""

    items = fields.List(fields.Nested(CircleOut), required=True)


# --- members -----------------------------------------------------------------------


class MemberIn(In):
    """Reserve a seat for a person and invite them by e-mail."""

    email = Email(required=True)
    name = Text(
        load_default="",
        validate=Length(max=120),
        metadata={"description": "The name the circle sees until the person accepts."},
    )
    profession = Text(
        required=True,
        validate=Length(1, 120),
        metadata={"description": "By name; added to the list when new."},
    )


class MemberPatch(In):
    """Move a member to another profession and/or change the role."""

    profession = Text(validate=Length(1, 120))
    role = Text(validate=OneOf(["member", "admin"]))

    @validates_schema
    def _something_to_change(self, data, **kwargs):
        """Refuse an empty change."""
        if not data:
            raise ValidationError(_("Give a profession or a role to change."))


class MemberOut(Schema):
    """A member of a circle."""

    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    name = fields.String(required=True, attribute="user.name")
    profession = fields.Nested(ProfessionOut, required=True, allow_none=True)
    role = fields.String(required=True)
    status = fields.String(required=True)


class MemberList(Schema):
    """The active members of a circle."""

    items = fields.List(fields.Nested(MemberOut), required=True)


# --- referrals and closed business -------------------------------------------------


def _hotness_message() -> str:
    """The refusal for a hotness outside 1..5 (same text as the services)."""
    return _("Hotness is a number from 1 to 5.")


class ProspectIn(In):
    """Who the referral is about (all optional)."""

    name = Text(load_default="", validate=Length(max=200))
    phone = Text(load_default="", validate=Length(max=50))
    email = OptionalEmail(load_default="")


class ReferralIn(In):
    """A referral slip: from the giver (default: the caller) to another member."""

    giver_id = Id(
        metadata={
            "description": "Membership id of the giver; left out: the caller. "
            "Only admins give in another member's name (403 `forbidden`)."
        }
    )
    receiver_id = Id(required=True, metadata={"description": "Membership id of the receiver."})
    given_on = Day(
        required=True,
        metadata={
            "format": "date",
            "description": "Not in the future (the circle's time zone).",
        },
    )
    kind = Text(required=True, validate=OneOf(list(REFERRAL_KINDS)))
    hotness = Int(required=True, validate=Range(1, 5, message=_hotness_message))
    sphere = Text(load_default=None, allow_none=True, validate=OneOf(list(SPHERES)))
    prospect = fields.Nested(
        ProspectIn, load_default=dict, error_messages={"null": _l("This field may not be null.")}
    )
    note = Text(load_default="", single_line=False, validate=Length(max=2000))


class ReferralOut(Schema):
    """A referral slip. Giver or receiver are ``null`` for an imported party outside the circle."""

    id = fields.Integer(required=True)
    giver_id = fields.Integer(required=True, allow_none=True)
    receiver_id = fields.Integer(required=True, allow_none=True)
    given_on = Day(required=True)
    kind = fields.String(required=True)
    hotness = fields.Integer(required=True, allow_none=True)
    sphere = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"enum": list(REFERRAL_STATUSES)})
    voided = fields.Boolean(required=True, attribute="is_void")
    void_reason = fields.String(required=True, allow_none=True)


class ReferralList(Schema):
    """Referral slips by date, voided ones included (``voided: true``)."""

    items = fields.List(fields.Nested(ReferralOut), required=True)


class ReferralPatch(In):
    """Either ``status`` (the receiver moves it on) or ``void: true`` with a ``reason``."""

    status = Text(validate=OneOf(list(REFERRAL_STATUSES)))
    void = StrictBool(metadata={"description": "`true` voids the slip; give a `reason`."})
    reason = Text(validate=Length(max=500))

    @validates_schema
    def _one_change(self, data, **kwargs):
        """Exactly one of a status change and a void."""
        _check_void(data, "status")


def _check_void(data: dict, other: str | None) -> None:
    """Refuse a patch that asks for nothing, for two things, or voids without ``true``.

    ``other`` names the alternative change (``status``); ``None`` where void is required.
    """
    if other is not None:
        wants_void = "void" in data or "reason" in data
        if other in data and wants_void:
            raise ValidationError(_("Give either a status or void, not both."))
        if other in data:
            return
        if "void" not in data:
            raise ValidationError(_("Give a status or void: true with a reason."))
    if data.get("void") is not True:
        raise ValidationError(_("Only true voids an entry."), field_name="void")


class PeriodQuery(In):
    """A period of days, both ends included; left out: the 30 days ending today."""

    start = Day(
        data_key="from",
        metadata={
            "format": "date",
            "description": "First day (YYYY-MM-DD); default: 29 days before `to`.",
        },
    )
    end = Day(
        data_key="to",
        metadata={
            "format": "date",
            "description": "Last day (YYYY-MM-DD); default: today in the circle's time zone.",
        },
    )


class BusinessIn(In):
    """Closed business the caller (the receiver) earned, credited to the giver."""

    giver_id = Id(
        required=True, metadata={"description": "Membership id of the member thanked (credited)."}
    )
    amount = DecimalString(
        required=True,
        metadata={
            "pattern": r"^\d{1,12}(\.\d{1,12})?$",
            "example": "1200.00",
            "description": "A decimal string with a dot, at most the currency's decimals; "
            "greater than zero. JSON numbers are refused.",
        },
    )
    closed_on = Day(
        required=True,
        metadata={"format": "date", "description": "Not in the future (the circle's time zone)."},
    )
    kind = Text(required=True, validate=OneOf(list(BUSINESS_KINDS)))
    referral_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "The slip this business came from (given by giver to caller)."},
    )
    note = Text(load_default="", single_line=False, validate=Length(max=2000))


class BusinessOut(Schema):
    """Closed business; ``amount`` is a decimal string in the circle's currency."""

    id = fields.Integer(required=True)
    giver_id = fields.Integer(required=True, allow_none=True, attribute="thanked_id")
    receiver_id = fields.Integer(required=True, allow_none=True, attribute="reporter_id")
    amount = fields.Function(
        lambda business: plain_amount(business.amount_minor, business.currency),
        required=True,
        metadata={"type": "string", "example": "1200.00"},
    )
    currency = fields.String(required=True)
    closed_on = Day(required=True)
    kind = fields.String(required=True)
    referral_id = fields.Integer(required=True, allow_none=True)
    voided = fields.Boolean(required=True, attribute="is_void")
    void_reason = fields.String(required=True, allow_none=True)


class BusinessList(Schema):
    """Closed business by date, voided entries included (``voided: true``)."""

    items = fields.List(fields.Nested(BusinessOut), required=True)


class VoidPatch(In):
    """``void: true`` with a ``reason``: the entry stays, but counts nowhere."""

    void = StrictBool(required=True, metadata={"description": "Must be `true`."})
    reason = Text(required=True, validate=Length(max=500))

    @validates_schema
    def _only_true(self, data, **kwargs):
        """``void: false`` changes nothing and is refused."""
        _check_void(data, None)


# --- the balance of give and take --------------------------------------------------

BALANCE_PERIODS = ("six_months", "twelve_months", "all", "custom")


class BalanceQuery(In):
    """The period of the balance: a named ``period`` or ``from`` and ``to`` (both included)."""

    period = Text(
        validate=OneOf(list(BALANCE_PERIODS)),
        metadata={
            "description": "`six_months` (default) and `twelve_months`: the last completed "
            "calendar months in the circle's time zone; `all`: everything up to today; "
            "`custom`: `from` to `to`. Giving `from` and `to` alone means `custom`."
        },
    )
    start = Day(
        data_key="from",
        metadata={"format": "date", "description": "First day (YYYY-MM-DD), with `to`."},
    )
    end = Day(
        data_key="to",
        metadata={"format": "date", "description": "Last day (YYYY-MM-DD), with `from`."},
    )

    @validates_schema
    def _one_way_to_say_it(self, data, **kwargs):
        """``from`` and ``to`` come together, and only with ``period`` left out or ``custom``."""
        dates = [key for key in ("start", "end") if key in data]
        if dates and data.get("period", "custom") != "custom":
            raise ValidationError(
                _("Give either a period or from and to, not both."), field_name="period"
            )
        if len(dates) == 1:
            missing = "to" if dates == ["start"] else "from"
            raise ValidationError(_("Give both from and to."), field_name=missing)


class BalancePeriodOut(Schema):
    """The days the balance covers, both included."""

    start = Day(required=True, data_key="from")
    end = Day(required=True, data_key="to")


def _revenue(description: str) -> fields.String:
    """A revenue field: a decimal string in the circle's currency, or null when hidden."""
    return fields.String(
        required=True,
        allow_none=True,
        metadata={
            "example": "1200.00",
            "description": description + " A decimal string; null when hidden from the caller.",
        },
    )


class MemberBalanceOut(Schema):
    """One member's scale: referrals and revenue both ways."""

    member_id = fields.Integer(required=True)
    given_count = fields.Integer(required=True)
    received_count = fields.Integer(required=True)
    revenue_generated = _revenue("What others earned thanks to this member.")
    revenue_received = _revenue("What this member earned thanks to others.")


class PairBalanceOut(Schema):
    """Two members (``a < b`` by membership id) and what flowed between them."""

    a = fields.Integer(required=True)
    b = fields.Integer(required=True)
    count_a_to_b = fields.Integer(required=True)
    count_b_to_a = fields.Integer(required=True)
    revenue_a_to_b = _revenue("What b earned thanks to a.")
    revenue_b_to_a = _revenue("What a earned thanks to b.")
    lopsidedness = fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "minimum": 0,
            "maximum": 1,
            "example": 0.9802,
            "description": "|r_ab - r_ba| / (r_ab + r_ba), rounded to 4 decimals: 0 balanced, "
            "1 one-sided; null without revenue either way or when hidden.",
        },
    )
    lopsided = fields.Boolean(
        required=True,
        allow_none=True,
        metadata={
            "description": "Both gave at least one referral and the lopsidedness reaches the "
            "circle's threshold; null when the revenue is hidden."
        },
    )


class BalanceOut(Schema):
    """The balance of give and take of a circle for a period."""

    period = fields.Nested(BalancePeriodOut, required=True)
    members = fields.List(fields.Nested(MemberBalanceOut), required=True)
    pairs = fields.List(fields.Nested(PairBalanceOut), required=True)
