"""Forms of the activity page: a one-to-one, an education credit, and voiding either.

The forms only parse input; every rule (active members only, not yourself, no future
dates, minutes 1 to 1440) lives in ``circle.activity.services`` and comes back as a field
error. The member select accepts any posted value and leaves the refusal to the service.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from circle.activity.services import MAX_MINUTES, MAX_NOTE, MAX_TOPIC
from circle.circles.access import Listed
from circle.referrals.forms import DATE_MESSAGE, VoidForm, member_choices, optional_int
from circle.web.forms import FlaskForm

#: Prefixes of the forms on the activity page (their fields and ids never collide).
MET_PREFIX = "met"
CREDIT_PREFIX = "ceu"
VOID_PREFIX = "void"

_MINUTES_RANGE = _l("Give the minutes as a whole number from %(min)s to %(max)s.")

__all__ = ["CreditForm", "OneToOneForm", "VoidForm"]


class OneToOneForm(FlaskForm):
    """I met another member on a day (with an optional note)."""

    other_id = SelectField(
        _l("Whom you met"),
        coerce=optional_int,
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose the member you met."))],
    )
    met_on = DateField(_l("Date"), invalid_value_message=DATE_MESSAGE)
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=MAX_NOTE, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 2},
    )

    def set_choices(self, others: list[Listed], today: date) -> None:
        """Offer the other active members; today is the default date."""
        self.other_id.choices = member_choices(others, blank=_l("(choose a member)"))
        if self.met_on.data is None and not self.met_on.raw_data:
            self.met_on.data = today


class CreditForm(FlaskForm):
    """An education credit: what I learned, how many minutes, on which day."""

    topic = StringField(
        _l("What you learned"),
        validators=[
            InputRequired(message=_l("Please say what you learned.")),
            Length(max=MAX_TOPIC, message=_l("At most %(max)d characters.")),
        ],
    )
    minutes = IntegerField(
        _l("Minutes"),
        default=60,
        validators=[
            InputRequired(message=_l("Give the minutes as a whole number.")),
            NumberRange(1, MAX_MINUTES, message=_MINUTES_RANGE),
        ],
    )
    completed_on = DateField(_l("Date"), invalid_value_message=DATE_MESSAGE)

    def set_default_day(self, today: date) -> None:
        """Today is the default date."""
        if self.completed_on.data is None and not self.completed_on.raw_data:
            self.completed_on.data = today
