"""The balance of give and take over the API: pair balances and member scales for a period.

The numbers come from ``circle.balance.services.compute`` and are always filtered through
``visible_balance`` first, so the API shows exactly what the pages and the CSV show to the
same person. Revenue travels as a decimal string (``"1200.00"``), lopsidedness (a ratio,
not money) as a number rounded to four decimals.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from circle.api.endpoint import Dumped, current_user, endpoint
from circle.api.schemas_balance import BalanceOut, BalanceQuery
from circle.balance.periods import period_for
from circle.balance.services import Balance, compute
from circle.balance.visibility import viewer_key, visible_balance
from circle.circles.access import circle_for_user
from circle.core.memo import Memo
from circle.core.money import plain_amount
from circle.core.periods import Period
from circle.models import Circle

#: Decimals of the lopsidedness in JSON.
RATIO_DECIMALS = 4


def balance_period(circle: Circle, query: dict) -> Period:
    """The period a query asks for: ``from``/``to`` mean custom; default the last six months."""
    dates = "start" in query or "end" in query
    kind = "custom" if dates else query.get("period", "six_months")
    return period_for(circle, kind, query.get("start"), query.get("end"))


def ratio(value: Fraction | None) -> float | None:
    """A ratio rounded to four decimals (half to even) for JSON (None stays None).

    The same number as ``float(round(value, 4))``, in integers: hundreds of pairs over the
    whole history made that Fraction arithmetic a tenth of the answer's time.
    """
    if value is None:
        return None
    scale = 10**RATIO_DECIMALS
    quotient, rest = divmod(value.numerator * scale, value.denominator)
    if 2 * rest > value.denominator or (2 * rest == value.denominator and quotient % 2):
        quotient += 1
    return quotient / scale  # int / int is correctly rounded, as float(Fraction) is


#: The documents answered last, by everything they depend on: the balance's numbers
#: (``Balance.key``), the currency and what the viewer may see (``viewer_key``: everyone
#: who sees all revenue shares one document; any other member has their own).
DOCUMENTS_KEPT = 64
_documents: Memo[Dumped] = Memo(DOCUMENTS_KEPT)


@lru_cache(maxsize=4096)
def _plain(minor: int, currency: str) -> str:
    """``plain_amount``, once per amount (a pair's amounts repeat in the members' rows)."""
    return plain_amount(minor, currency)


def balance_document(balance: Balance) -> dict:
    """The API's view of an (already visibility-filtered) balance."""
    currency = balance.circle.currency

    def money(minor: int | None) -> str | None:
        return None if minor is None else _plain(minor, currency)

    return {
        "period": balance.period,
        "members": [
            {
                "member_id": m.member_id,
                "given_count": m.given_count,
                "received_count": m.received_count,
                "revenue_generated": money(m.revenue_generated),
                "revenue_received": money(m.revenue_received),
            }
            for m in sorted(balance.members.values(), key=lambda m: m.member_id)
        ],
        "pairs": [
            {
                "a": p.a,
                "b": p.b,
                "count_a_to_b": p.count_a_to_b,
                "count_b_to_a": p.count_b_to_a,
                "revenue_a_to_b": money(p.revenue_a_to_b),
                "revenue_b_to_a": money(p.revenue_b_to_a),
                "lopsidedness": ratio(p.lopsidedness),
                "lopsided": p.lopsided,
            }
            for p in sorted(balance.pairs, key=lambda p: (p.a, p.b))
        ],
    }


def as_dumped(document: dict) -> Dumped:
    """The document as ``BalanceOut`` dumps it: the period as ``from`` and ``to`` days; the
    members and pairs hold JSON values already (a test compares it with the dump)."""
    period = document["period"]
    return Dumped(
        {
            "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
            "members": document["members"],
            "pairs": document["pairs"],
        }
    )


@endpoint(
    "/circles/<int:circle_id>/balance",
    "GET",
    summary="Balance of give and take",
    tag="balance",
    query=BalanceQuery,
    response=BalanceOut,
)
def circle_balance(circle_id, query):
    """Referrals and revenue per member and per pair for a period (voided entries never count).

    Default: the last six completed calendar months in the circle's time zone; `period`
    picks `twelve_months` or `all`, `from` and `to` any range (both included; a start after
    the end is 422 `validation_error`). A pair's `a` is the lower membership id;
    `revenue_a_to_b` is what b earned thanks to a. Admins see all revenue; members see every
    count, their own revenue and that of the pairs they are in, unless the circle opened
    revenue to all members; hidden values are `null`.
    """
    circle, actor = circle_for_user(current_user(), circle_id)
    balance = compute(circle, balance_period(circle, query))
    key = (balance.key, circle.currency, viewer_key(balance, actor))
    return _documents.get(key, lambda: as_dumped(balance_document(visible_balance(balance, actor))))
