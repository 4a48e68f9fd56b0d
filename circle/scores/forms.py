"""The point table editor: up to ``FORM_TIERS`` tiers per area, and the colour thresholds.

The form only collects text; ``circle.scores.table.validate_table`` decides (numbers
with a comma or a dot, distinct thresholds, points 0..100, harder tiers worth more).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange

from circle.scores.explain import number
from circle.scores.table import AREAS, MAX_TIERS
from circle.web.forms import FlaskForm

#: Tier rows the editor offers per area (blank rows are ignored).
FORM_TIERS = MAX_TIERS  # every tier a stored table may hold, so saving keeps them all
_WHOLE = _l("A whole number from 0 to 100, please.")


def _threshold(label) -> IntegerField:
    """A colour threshold field: 0..100 points."""
    return IntegerField(
        label,
        validators=[InputRequired(message=_WHOLE), NumberRange(0, 100, message=_WHOLE)],
    )


class PointTableForm(FlaskForm):
    """Tiers per area (threshold and points) and the traffic-light thresholds."""

    green_min = _threshold(_l("Green from (points)"))
    yellow_min = _threshold(_l("Yellow from (points)"))
    red_min = _threshold(_l("Red from (points)"))

    def tier_fields(self, area: str) -> list[tuple]:
        """The (threshold, points) field pairs of one area."""
        return [(self[f"{area}_{i}_at"], self[f"{area}_{i}_points"]) for i in range(FORM_TIERS)]

    def fill(self, table: dict) -> None:
        """Show a table's tiers in the fields (numbers as typed in the user's locale)."""
        for area in AREAS:
            for index, (at, points) in enumerate(self.tier_fields(area)):
                tiers = table[area]
                if index < len(tiers):
                    at.data = number(tiers[index][0], 4, grouping=False)
                    points.data = str(tiers[index][1])
                else:
                    at.data = points.data = ""

    def table(self) -> dict:
        """The posted tiers per area as raw text pairs (blank rows left out)."""
        out = {}
        for area in AREAS:
            rows = []
            for at, points in self.tier_fields(area):
                at_text, points_text = (at.data or "").strip(), (points.data or "").strip()
                if at_text or points_text:
                    rows.append([at_text, points_text])
            out[area] = rows
        return out


for _area in AREAS:
    for _index in range(FORM_TIERS):
        setattr(PointTableForm, f"{_area}_{_index}_at", StringField(_l("Threshold")))
        setattr(PointTableForm, f"{_area}_{_index}_points", StringField(_l("Points")))
