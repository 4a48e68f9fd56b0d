"""The member score's point table: areas, their tiers, the default, and its validation.

The default follows BNI's published "Power of One" (five areas of 20 points: no absences,
one referral a week, one visitor a month, one one-to-one a week, one education credit a
week) and shows closed business thanked (TYFCB credited to the member) as a sixth area
worth a bonus of up to 10 points. The total is capped at 100.

Every area has tiers ``[threshold, points]``. For attendance the measure is the number
of absences in the window and a tier is reached with *at most* that many; for every
other area the measure is a rate and a tier is reached with *at least* that rate. The
best tier reached gives the points; below every tier the area gives 0.

Default tiers (documented here, used when ``circle.score_table`` is None):

============  =====================================  ==================================
area          measure                                tiers (threshold → points)
============  =====================================  ==================================
attendance    absences (A; L as ½ if the circle      0 → 20, 1 → 15, 2 → 10, 3 → 5
              says so; M and S are no absences)
referrals     referrals given per week               1 → 20, 0.75 → 15, 0.5 → 10, 0.25 → 5
visitors      visitors invited per month             1 → 20, 0.75 → 15, 0.5 → 10, 0.25 → 5
one_to_ones   one-to-ones per week                   1 → 20, 0.75 → 15, 0.5 → 10, 0.25 → 5
education     education credits per week             1 → 20, 0.75 → 15, 0.5 → 10, 0.25 → 5
              (one credit = 60 minutes)
tyfcb         closed business thanked, in the        10000 → 10, 2500 → 5
              circle's currency, in the window
============  =====================================  ==================================
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from circle.core.errors import ValidationFailed

#: The areas in the order they are shown.
AREAS = ("attendance", "referrals", "visitors", "one_to_ones", "education", "tyfcb")
#: The area whose tiers count *at most* (absences); every other area counts *at least*.
AT_MOST = frozenset({"attendance"})
#: Tiers an area may have.
MAX_TIERS = 6
#: The total score never exceeds this.
MAX_TOTAL = 100
#: No threshold above this (a sanity bound against typos).
MAX_THRESHOLD = Decimal(1_000_000)

DEFAULT_TABLE: dict[str, list[list[float]]] = {
    "attendance": [[0, 20], [1, 15], [2, 10], [3, 5]],
    "referrals": [[1, 20], [0.75, 15], [0.5, 10], [0.25, 5]],
    "visitors": [[1, 20], [0.75, 15], [0.5, 10], [0.25, 5]],
    "one_to_ones": [[1, 20], [0.75, 15], [0.5, 10], [0.25, 5]],
    "education": [[1, 20], [0.75, 15], [0.5, 10], [0.25, 5]],
    "tyfcb": [[10000, 10], [2500, 5]],
}

AREA_LABELS = {
    "attendance": _l("Attendance"),
    "referrals": _l("Referrals given"),
    "visitors": _l("Visitors invited"),
    "one_to_ones": _l("One-to-ones"),
    "education": _l("Education (CEU)"),
    "tyfcb": _l("Closed business thanked (TYFCB)"),
}

#: What the threshold of an area's tier means, for the table editor and the explanation.
THRESHOLD_LABELS = {
    "attendance": _l("at most this many absences"),
    "referrals": _l("at least this many per week"),
    "visitors": _l("at least this many per month"),
    "one_to_ones": _l("at least this many per week"),
    "education": _l("at least this many credits per week"),
    "tyfcb": _l("at least this amount in the window"),
}

assert set(DEFAULT_TABLE) == set(AREAS) == set(AREA_LABELS) == set(THRESHOLD_LABELS)


def table_for(circle) -> dict[str, list[list[float]]]:
    """The circle's point table (the default when the circle kept none), tiers best first."""
    if not circle.score_table:
        return copy.deepcopy(DEFAULT_TABLE)
    try:
        return validate_table(circle.score_table)
    except ValidationFailed:
        # A stored table is validated when saved; should it ever be damaged, score by default.
        return copy.deepcopy(DEFAULT_TABLE)


def parse_number(value: Any, field: str) -> Decimal:
    """A non-negative number from JSON or a form (``0,75`` and ``0.75`` both read)."""
    if isinstance(value, bool):
        raise ValidationFailed(_("Please enter a number."), field=field)
    if isinstance(value, int | float):
        text = repr(value)
    else:
        text = str(value or "").strip().replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(_("Please enter a number."), field=field) from None
    if not number.is_finite() or number < 0 or number > MAX_THRESHOLD:
        raise ValidationFailed(
            _("Please enter a number from 0 to %(max)s.", max=int(MAX_THRESHOLD)), field=field
        )
    return number


def _as_json_number(number: Decimal) -> float | int:
    """An exact JSON number: an int when whole, else a float rounded to 4 places."""
    if number == number.to_integral_value():
        return int(number)
    return float(round(number, 4))


def validate_table(raw: Any) -> dict[str, list[list[float]]]:
    """Check a point table and return it normalised (every area, tiers best first).

    Each area has 1 to ``MAX_TIERS`` tiers ``[threshold, points]``; thresholds are numbers
    from 0 on and distinct within the area, points whole numbers from 0 to 100, and a
    harder tier never gives fewer points than an easier one. An area left out keeps its
    default tiers. Refusals name the area (``field``).
    """
    if not isinstance(raw, dict):
        raise ValidationFailed(_("The point table must be an object of areas."), field="table")
    unknown = sorted(set(raw) - set(AREAS))
    if unknown:
        raise ValidationFailed(
            _("Unknown area: %(area)s.", area=", ".join(map(str, unknown))), field="table"
        )
    table = {}
    for area in AREAS:
        if area not in raw:
            table[area] = copy.deepcopy(DEFAULT_TABLE[area])
            continue
        table[area] = _validate_tiers(area, raw[area])
    return table


def _validate_tiers(area: str, tiers: Any) -> list[list[float]]:
    """Check one area's tiers; return them best first."""
    label = str(AREA_LABELS[area])
    if not isinstance(tiers, list) or not 1 <= len(tiers) <= MAX_TIERS:
        raise ValidationFailed(
            _("%(area)s: give between 1 and %(max)s tiers.", area=label, max=MAX_TIERS),
            field=area,
        )
    parsed: list[tuple[Decimal, int]] = []
    for tier in tiers:
        if not isinstance(tier, list | tuple) or len(tier) != 2:
            raise ValidationFailed(
                _("%(area)s: each tier is a threshold and its points.", area=label), field=area
            )
        threshold = parse_number(tier[0], area)
        if area == "tyfcb" and threshold != threshold.to_integral_value():
            # Money is never a float: the amount thresholds are whole currency units.
            raise ValidationFailed(
                _("%(area)s: amounts are whole currency units.", area=label), field=area
            )
        points = tier[1]
        if isinstance(points, str) and points.strip().isdigit():
            points = int(points.strip())
        if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= 100:
            raise ValidationFailed(
                _("%(area)s: points are whole numbers from 0 to 100.", area=label), field=area
            )
        parsed.append((threshold, points))
    thresholds = [t for t, _p in parsed]
    if len(set(thresholds)) != len(thresholds):
        raise ValidationFailed(
            _("%(area)s: each threshold may appear only once.", area=label), field=area
        )
    at_most = area in AT_MOST
    # Best first: the fewest absences, or the highest rate.
    parsed.sort(key=lambda tier: tier[0], reverse=not at_most)
    for better, worse in pairwise(parsed):
        if better[1] < worse[1]:
            raise ValidationFailed(
                _(
                    "%(area)s: a harder tier cannot give fewer points than an easier one.",
                    area=label,
                ),
                field=area,
            )
    return [[_as_json_number(t), p] for t, p in parsed]


def tier_reached(area: str, tiers: list[list[float]], measure: Fraction | int) -> int | None:
    """The index of the best tier the exact measure reaches (tiers best first), or None.

    Compared in whole numbers (p/q >= a/b when p*b >= a*q, both denominators positive):
    the scores page compares 1,200 times a view, and ``Fraction``'s own comparison costs
    more than the rest of its scoring."""
    p, q = measure.numerator, measure.denominator
    at_most = area in AT_MOST
    for index, (threshold, _points) in enumerate(tiers):
        limit = exact(threshold)
        left, right = p * limit.denominator, limit.numerator * q
        if (left <= right) if at_most else (left >= right):
            return index
    return None


@lru_cache(maxsize=512)
def exact(threshold: float) -> Fraction:
    """A tier's threshold as the exact fraction of its decimal text (0.5 is 1/2, 0.1 is
    1/10, not the float's binary value); kept per value: the scores page asks for 1,200
    a view, and parsing the text is most of the page's scoring."""
    return Fraction(str(threshold))
