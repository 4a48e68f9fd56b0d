"""Forms of the dues pages: the plan (admins) and a manual payment (admins).

Amounts are text typed in the user's locale; the views parse them with
``circle.core.money.parse_amount`` and the rules live in ``circle.dues.services``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from circle.web.forms import FlaskForm

DATE_MESSAGE = _l("Please enter a date like 2025-03-26.")


class PlanForm(FlaskForm):
    """The dues plan: amount, interval, joining fee, grace days, optional Stripe Price."""

    # Its own id: the payment form on the same page has an ``amount`` too.
    amount = StringField(
        _l("Amount per period"),
        id="plan_amount",
        validators=[DataRequired(_l("Please enter an amount."))],
    )
    interval = SelectField(
        _l("Interval"),
        choices=[SelectChoice("month", _l("Monthly")), SelectChoice("year", _l("Yearly"))],
        default="year",
    )
    joining_fee = StringField(_l("One-time joining fee (optional)"), validators=[Optional()])
    grace_days = IntegerField(
        _l("Grace period in days"),
        default=14,
        validators=[InputRequired(_l("Please enter a number of days."))],
    )
    stripe_price_id = StringField(
        _l("Existing Stripe Price id (optional)"),
        validators=[
            Optional(),
            Length(max=64),
            Regexp(r"^price_[A-Za-z0-9]+$", message=_l("A Stripe Price id looks like price_1AbC…")),
        ],
    )


class ManualPaymentForm(FlaskForm):
    """A bank transfer or cash payment recorded by an admin."""

    member = SelectField(_l("Member"), coerce=int, validate_choice=True)
    amount = StringField(_l("Amount"), validators=[DataRequired(_l("Please enter an amount."))])
    period_start = DateField(
        _l("Period from"),
        validators=[InputRequired(DATE_MESSAGE)],
        invalid_value_message=DATE_MESSAGE,
    )
    period_end = DateField(
        _l("Period to"),
        validators=[InputRequired(DATE_MESSAGE)],
        invalid_value_message=DATE_MESSAGE,
    )
    paid_on = DateField(
        _l("Paid on"), validators=[InputRequired(DATE_MESSAGE)], invalid_value_message=DATE_MESSAGE
    )
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=200)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
