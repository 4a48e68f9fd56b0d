"""How the balance pages write their values: amounts (a dash where hidden), percentages
and members' names."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from markupsafe import escape

from circle.balance.services import MemberBalance
from circle.core.formats import percent_text
from circle.core.money import format_money

#: What a cell shows for a value the viewer may not see.
NO_VALUE = "\N{EM DASH}"


def money(amount: int | None, currency: str, locale: str) -> str:
    """An amount in ``locale``, or a dash when it is hidden from the viewer."""
    if amount is None:
        return NO_VALUE
    return format_money(amount, currency, locale)


def percent(value: Fraction | None, locale: str) -> str:
    """A lopsidedness as a percentage (``98 %``, ``98,5 %``); empty when undefined."""
    if value is None:
        return ""
    rounded = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_EVEN
    )
    return percent_text(rounded, locale, quantize=False)


def who(member: MemberBalance) -> str:
    """``Profession (Name)``, or just the name of an organiser without a profession."""
    if member.profession:
        return f"{member.profession} ({member.name})"
    return member.name


def name_html(member: MemberBalance) -> str:
    """A member's name and, muted, their profession, as a table's first cells show them
    (escaped)."""
    name = escape(member.name)
    if member.profession:
        return f'{name} <span class="muted">{escape(member.profession)}</span>'
    return str(name)
