"""The periods the analyses offer, in the circle's calendar (``circle.core.periods.Period``)."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _

from circle.core.checks import EARLIEST
from circle.core.errors import ValidationFailed
from circle.core.periods import Period, add_months
from circle.core.weeks import today_for
from circle.models import Circle

PERIOD_KINDS = ("six_months", "twelve_months", "all", "custom")


def period_for(
    circle: Circle,
    kind: str = "six_months",
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> Period:
    """The period to analyse.

    ``six_months`` (default) and ``twelve_months`` are the last *completed* calendar
    months before the current one, in the circle's time zone; ``all`` runs from the
    first possible day to today; ``custom`` takes ``start`` and ``end`` (inclusive).
    """
    today = today or today_for(circle)
    first_of_month = today.replace(day=1)
    if kind in ("six_months", "twelve_months"):
        months = 6 if kind == "six_months" else 12
        return Period(add_months(first_of_month, -months), first_of_month - timedelta(days=1), kind)
    if kind == "all":
        return Period(EARLIEST, today, kind)
    if kind != "custom":
        raise ValidationFailed(_("Unknown period."), field="period")
    if start is None or end is None:
        raise ValidationFailed(_("Please give a start and an end date."), field="from")
    if start > end:
        raise ValidationFailed(_("The start must not be after the end."), field="from")
    if start < EARLIEST:
        raise ValidationFailed(_("The start cannot be before 2000."), field="from")
    return Period(start, end, "custom")
