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
    Email,
    HourMinute,
    Int,
    Length,
    OneOf,
    Password,
    Range,
    Text,
)
from circle.models.circle import MAX_SEATS


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
