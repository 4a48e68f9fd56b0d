"""Prospect retention: a circle's referrals lose their prospect details after N months.

Run daily by ``flask circle purge-prospects``. A referral given more than
``circles.prospect_retention_months`` months before today (in the circle's time zone)
keeps everything but the prospect's name, phone and e-mail. Running twice erases nothing
more: rows already erased hold no details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from circle.core.weeks import today_for
from circle.extensions import db
from circle.meetings.absence import window_start
from circle.models import Circle, Referral
from circle.privacy.prospects import erase_prospect_details, has_prospect_details


@dataclass(frozen=True)
class CirclePurge:
    """What one circle's purge did: the cut-off day and how many referrals were erased."""

    circle_id: int
    circle: str
    months: int
    cutoff: date
    erased: int


@dataclass
class PurgeSummary:
    """The purge of every circle."""

    circles: list[CirclePurge] = field(default_factory=list)

    @property
    def erased(self) -> int:
        """Referrals whose prospect details were erased in this run."""
        return sum(run.erased for run in self.circles)


def cutoff_for(circle: Circle, today: date) -> date:
    """The first day whose referrals keep their details: ``today`` minus the retention months.

    A referral given on this day is exactly N months old and keeps its details; one given
    the day before is older than N months and loses them.
    """
    return window_start(today, circle.prospect_retention_months)


def purge_circle(circle: Circle, today: date) -> CirclePurge:
    """Erase the prospect details of the circle's referrals given before the cut-off day."""
    cutoff = cutoff_for(circle, today)
    referrals = list(
        db.session.execute(
            select(Referral).where(
                Referral.circle_id == circle.id,
                Referral.given_on < cutoff,
                has_prospect_details(),
            )
        )
        .unique()
        .scalars()
    )
    erased = erase_prospect_details(referrals)
    return CirclePurge(circle.id, circle.name, circle.prospect_retention_months, cutoff, erased)


def purge_prospects(today: date | None = None) -> PurgeSummary:
    """Purge every circle (``today``: for tests and cron; default today in each circle's zone)."""
    summary = PurgeSummary()
    circles = db.session.execute(select(Circle).order_by(Circle.id)).scalars().all()
    for circle in circles:
        summary.circles.append(purge_circle(circle, today or today_for(circle)))
    return summary
