"""The trends page's choice of period (a GET form, no CSRF needed)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField

from circle.trends.services import DEFAULT_PERIOD, PERIODS
from circle.web.forms import Form


class PeriodForm(Form):
    """How many weeks the pictures cover: 13, 26 or 52; anything else falls back to 26."""

    weeks = SelectField(
        _l("Period"),
        choices=[
            SelectChoice("13", _l("13 weeks (a quarter)")),
            SelectChoice("26", _l("26 weeks (half a year)")),
            SelectChoice("52", _l("52 weeks (a year)")),
        ],
        default=str(DEFAULT_PERIOD),
        validate_choice=False,
    )

    def chosen_weeks(self) -> int:
        """The chosen number of weeks; a value not offered gives the default (and the form
        then shows the default as chosen)."""
        chosen = self.weeks.data if self.weeks.data in {str(p) for p in PERIODS} else None
        self.weeks.data = chosen or str(DEFAULT_PERIOD)
        return int(self.weeks.data)
