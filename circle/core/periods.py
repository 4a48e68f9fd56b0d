"""Ranges of days: the one ``Period`` of the app, and month arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from circle.core.checks import EARLIEST
from circle.core.weeks import shift


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` away from ``day``'s month (negative: back)."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """An inclusive range of days, and the kind it was chosen as (``six_months``,
    ``twelve_months``, ``all``, ``custom``; a week or month of a ledger is ``custom``)."""

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
            return Period(add_months(self.start, -months), end, self.kind)
        return Period(max(EARLIEST, shift(end, -(self.days - 1))), end, self.kind)
