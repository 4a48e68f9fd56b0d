"""API schemas of one-to-ones, education credits and member scores."""

from __future__ import annotations

from marshmallow import Schema, fields

from circle.activity.services import MAX_MINUTES, MAX_NOTE, MAX_TOPIC
from circle.api.fields import Day, Id, Int, Length, Range, Text
from circle.api.schemas import In
from circle.scores.services import COLOURS
from circle.scores.table import AREAS


class OneToOneIn(In):
    """The caller met another active member on a day."""

    other_id = Id(required=True, metadata={"description": "Membership id of the member met."})
    met_on = Day(
        required=True,
        metadata={"format": "date", "description": "Not in the future (the circle's time zone)."},
    )
    note = Text(load_default="", single_line=False, validate=Length(max=MAX_NOTE))


class OneToOneOut(Schema):
    """A one-to-one of two members (``member_a_id`` is the lower id)."""

    id = fields.Integer(required=True)
    member_a_id = fields.Integer(required=True)
    member_b_id = fields.Integer(required=True)
    met_on = Day(required=True)
    note = fields.String(required=True)
    imported = fields.Function(lambda o: o.import_id is not None, required=True)
    voided = fields.Function(lambda o: o.voided_at is not None, required=True)
    void_reason = fields.String(required=True, allow_none=True)


class OneToOneList(Schema):
    """One-to-ones, newest first, voided ones included."""

    items = fields.List(fields.Nested(OneToOneOut), required=True)


class CreditIn(In):
    """An education credit of the caller."""

    topic = Text(required=True, validate=Length(1, MAX_TOPIC))
    minutes = Int(required=True, validate=Range(1, MAX_MINUTES))
    completed_on = Day(
        required=True,
        metadata={"format": "date", "description": "Not in the future (the circle's time zone)."},
    )


class CreditOut(Schema):
    """An education credit (CEU); 60 minutes make one credit in the score."""

    id = fields.Integer(required=True)
    membership_id = fields.Integer(required=True)
    topic = fields.String(required=True)
    minutes = fields.Integer(required=True)
    completed_on = Day(required=True)
    imported = fields.Function(lambda o: o.import_id is not None, required=True)
    voided = fields.Function(lambda o: o.voided_at is not None, required=True)
    void_reason = fields.String(required=True, allow_none=True)


class CreditList(Schema):
    """Education credits, newest first, voided ones included."""

    items = fields.List(fields.Nested(CreditOut), required=True)


def _number(value) -> float | None:
    """An exact fraction as a JSON number, rounded to 4 places (None stays None: hidden)."""
    return None if value is None else round(float(value), 4)


class AreaOut(Schema):
    """One area of a score: the raw count, the rate, the tier reached and the points."""

    area = fields.String(required=True, metadata={"enum": list(AREAS)})
    count = fields.Function(
        lambda a: _number(a.count),
        required=True,
        allow_none=True,
        metadata={"description": "null: another member's amount the reader may not see."},
    )
    rate = fields.Function(
        lambda a: _number(a.rate),
        required=True,
        allow_none=True,
        metadata={
            "description": "What the tiers compare: absences (attendance), per week "
            "(referrals, one-to-ones, education credits), per month (visitors), or the "
            "amount in the circle's currency (tyfcb); null when hidden like `count`."
        },
    )
    tier = fields.Function(
        lambda a: None if a.tier is None else a.tier + 1,
        required=True,
        allow_none=True,
        metadata={"description": "1 = the best tier; null below every tier."},
    )
    threshold = fields.Float(required=True, allow_none=True)
    points = fields.Integer(required=True)
    max_points = fields.Integer(required=True)
    tiers = fields.List(
        fields.List(fields.Float()),
        required=True,
        metadata={"description": "[threshold, points], best first."},
    )


class ScoreOut(Schema):
    """A member's score over the last completed six-month window."""

    member_id = fields.Integer(required=True, attribute="member.id")
    name = fields.String(required=True, attribute="member.user.name")
    start = Day(required=True, attribute="period.start")
    end = Day(required=True, attribute="period.end")
    total = fields.Integer(required=True, metadata={"description": "At most 100."})
    colour = fields.String(required=True, metadata={"enum": list(COLOURS)})
    areas = fields.List(fields.Nested(AreaOut), required=True)


class ScoreList(Schema):
    """Scores of the chapter (leadership: everyone; a member: only themselves)."""

    items = fields.List(fields.Nested(ScoreOut), required=True)
    distribution = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Members per colour (of the items listed)."},
    )
