"""Periods of the analyses, in the circle's calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from circle.core.errors import ValidationFailed
from circle.core.weeks import shift, today_for
from circle.models import Circle

#: The analyses never look before this day (no slip can be older).
EARLIEST = date(2000, 1, 1)
PERIOD_KINDS = ("six_months", "twelve_months", "all", "custom")


@dataclass(frozen=True)
class Period:
    """An inclusive range of days, and the kind it was chosen as."""

    start: date
    end: date
    kind: str = "custom"

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        end = shift(self.start, -1)
        if self.kind in ("six_months", "twelve_months"):
            months = 6 if self.kind == "six_months" else 12
            return Period(_add_months(self.start, -months), end, self.kind)
        return Period(max(EARLIEST, shift(end, -(self.days - 1))), end, self.kind)


def _add_months(day: date, months: int) -> date:
    """The first of the month ``months`` away from ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


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
        return Period(
            _add_months(first_of_month, -months), first_of_month - timedelta(days=1), kind
        )
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
