"""Words for a score: what was counted, the rate, the tier reached and why, per area."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import ngettext

from circle.core.formats import decimal_text
from circle.core.money import format_money, minor_units
from circle.scores.services import AreaScore, MemberScore
from circle.web.boundary import ui_locale


@dataclass
class Explained:
    """One area in words: the count, the rate, the tier reached, what the next tier needs."""

    area: str
    label: str
    count: str
    rate: str
    tier: str
    next: str
    points: int
    max_points: int


def number(value: Fraction | float | int, places: int = 2, grouping: bool = True) -> str:
    """A number in the user's locale with at most ``places`` decimals (``0,75``)."""
    pattern = ("#,##0" if grouping else "0") + ("." + "#" * places if places else "")
    return decimal_text(float(value), pattern, ui_locale())


def threshold_text(area: str, threshold, currency: str) -> str:
    """A tier's threshold in words."""
    if area == "attendance":
        return ngettext(
            "at most %(limit)s absence",
            "at most %(limit)s absences",
            1 if threshold == 1 else 2,
            limit=number(threshold),
        )
    if area == "tyfcb":
        minor = int(Fraction(str(threshold)) * 10 ** minor_units(currency))
        return _("at least %(amount)s", amount=format_money(minor, currency, ui_locale()))
    if area == "visitors":
        return _("at least %(num)s per month", num=number(threshold))
    return _("at least %(num)s per week", num=number(threshold))


def _count(area: AreaScore, currency: str) -> str:
    """The raw count of an area in words ("hidden" for an amount the reader may not see)."""
    n = area.count
    if n is None:
        return _("hidden")
    if area.area == "attendance":
        codes = area.detail.get("codes", {})
        return _(
            "%(absences)s absences (absent %(a)s, late %(l)s, medical %(m)s, substitute %(s)s, "
            "present %(p)s)",
            absences=number(n),
            a=codes.get("A", 0),
            l=codes.get("L", 0),
            m=codes.get("M", 0),
            s=codes.get("S", 0),
            p=codes.get("P", 0),
        )
    if area.area == "referrals":
        return ngettext("%(num)s referral given", "%(num)s referrals given", int(n))
    if area.area == "visitors":
        return ngettext("%(num)s visitor invited", "%(num)s visitors invited", int(n))
    if area.area == "one_to_ones":
        return ngettext("%(num)s one-to-one", "%(num)s one-to-ones", int(n))
    if area.area == "education":
        return _(
            "%(credits)s credits (%(minutes)s minutes)",
            credits=number(n),
            minutes=area.detail.get("minutes", 0),
        )
    return format_money(area.detail.get("amount_minor", 0), currency, ui_locale())


def _rate(area: AreaScore, score: MemberScore, currency: str) -> str:
    """The rate an area is scored on, in words."""
    if area.area == "attendance":
        meetings = area.detail.get("meetings", 0)
        return ngettext(
            "%(num)s meeting held in the window", "%(num)s meetings held in the window", meetings
        )
    if area.area == "tyfcb":
        return _("in the window")
    if area.area == "visitors":
        return _(
            "%(rate)s per month over %(months)s months",
            rate=number(area.rate),
            months=score.months,
        )
    return _(
        "%(rate)s per week over %(weeks)s weeks",
        rate=number(area.rate),
        weeks=number(score.weeks, 1),
    )


def explain(score: MemberScore, currency: str) -> list[Explained]:
    """Every area of a score in words, in the table's order."""
    rows = []
    for area in score.areas:
        if area.tier is None:
            tier = _("below every tier")
        else:
            tier = _(
                "tier %(n)s reached: %(rule)s",
                n=area.tier + 1,
                rule=threshold_text(area.area, area.threshold, currency),
            )
        upcoming = area.next_tier
        if upcoming is None:
            hint = _("the best tier")
        else:
            hint = _(
                "next: %(rule)s for %(points)s points",
                rule=threshold_text(area.area, upcoming[0], currency),
                points=upcoming[1],
            )
        rows.append(
            Explained(
                area=area.area,
                label=area.label,
                count=_count(area, currency),
                rate=_rate(area, score, currency),
                tier=tier,
                next=hint,
                points=area.points,
                max_points=area.max_points,
            )
        )
    return rows
