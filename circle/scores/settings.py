"""Editing a circle's point table and traffic-light thresholds (permission ``edit_settings``)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from circle.auditlog import record as audit
from circle.core.errors import ValidationFailed
from circle.extensions import db
from circle.models import Circle, Membership
from circle.roles.permissions import require
from circle.scores.table import DEFAULT_TABLE, validate_table

FIELDS = ("score_table", "score_green_min", "score_yellow_min", "score_red_min")


def check_thresholds(green: Any, yellow: Any, red: Any) -> tuple[int, int, int]:
    """Whole numbers 0..100 with red ≤ yellow ≤ green, else ValidationFailed on the field."""
    values = []
    for name, value in (("green_min", green), ("yellow_min", yellow), ("red_min", red)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise ValidationFailed(_("A whole number from 0 to 100, please."), field=name)
        values.append(value)
    green, yellow, red = values
    if not red <= yellow <= green:
        raise ValidationFailed(
            _("The thresholds must rise from red to yellow to green."), field="yellow_min"
        )
    return green, yellow, red


def update_score_settings(
    circle: Circle,
    actor: Membership,
    table: Any,
    green: Any,
    yellow: Any,
    red: Any,
) -> Circle:
    """Save the point table and thresholds (validated first); the change is audited.

    A table equal to the default is stored as None, so the circle follows the default.
    """
    require(actor, "edit_settings")
    normalised = validate_table(table)
    green, yellow, red = check_thresholds(green, yellow, red)
    before = audit.snapshot(circle, FIELDS)
    circle.score_table = None if normalised == DEFAULT_TABLE else normalised
    circle.score_green_min, circle.score_yellow_min, circle.score_red_min = green, yellow, red
    after = audit.snapshot(circle, FIELDS)
    if after != before:
        audit.record(circle.id, "circle", circle.id, "edit", actor.user, before, after)
    db.session.flush()
    return circle
