"""The period form of the balance pages (a GET form: no CSRF, nothing is changed).

The form only parses the query string; which periods exist and which dates are
allowed is decided by ``circle.balance.periods.period_for``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional

from circle.web.forms import Form

DATE_MESSAGE = _l("Please enter a date like 2025-03-26.")


def period_choices() -> list[SelectChoice]:
    """The periods offered: six or twelve completed months, all time, or from/to."""
    return [
        SelectChoice("six_months", _l("Last 6 completed months")),
        SelectChoice("twelve_months", _l("Last 12 completed months")),
        SelectChoice("all", _l("All time")),
        SelectChoice("custom", _l("From … to …")),
    ]


class PeriodForm(Form):
    """``?period=six_months|twelve_months|all|custom&from=&to=``."""

    period = SelectField(_l("Period"), validate_choice=False, default="")
    start = DateField(
        _l("From"), name="from", validators=[Optional()], invalid_value_message=DATE_MESSAGE
    )
    end = DateField(
        _l("To"), name="to", validators=[Optional()], invalid_value_message=DATE_MESSAGE
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.period.choices = period_choices()

    def kind(self) -> str:
        """The period asked for; dates without a period mean from/to, nothing the default."""
        chosen = (self.period.data or "").strip()
        if chosen:
            return chosen
        if self.start.data is not None or self.end.data is not None:
            return "custom"
        return "six_months"
