"""API schemas of the balance: the query and the per-member and per-pair answers."""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validates_schema

from circle.api.fields import (
    Day,
    OneOf,
    Text,
)
from circle.api.schemas import In

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
