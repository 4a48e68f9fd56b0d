"""API schemas of referrals and closed business: slips, prospects, voids, periods."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validates_schema

from circle.api.fields import (
    Day,
    DecimalString,
    Id,
    Int,
    Length,
    OneOf,
    OptionalEmail,
    Range,
    StrictBool,
    Text,
)
from circle.api.schemas import In
from circle.core.money import plain_amount
from circle.models.referral import BUSINESS_KINDS, REFERRAL_KINDS, REFERRAL_STATUSES, SPHERES


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
