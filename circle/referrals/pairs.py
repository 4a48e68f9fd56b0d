"""Two members and what passed between them: the pair balance and their latest slips.

A fellow member's profile shows it to the reader ("you and Fritz"): referrals both ways,
the closed business each thanked the other for (in the circle's currency, the only one its
business is recorded in), how lopsided the value is, and the latest slips between the
two. Void slips never count and are not listed. Both members see all of it (it is their
own pair); nobody else is asked. Two statements at any length of history: the pair's
four running totals (``circle.balance.totals``), and the latest slips of both kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from functools import cache

from sqlalchemy import Select, bindparam, cast, func, literal, null, select, union_all

from circle.balance import totals
from circle.balance.services import tips
from circle.extensions import db
from circle.models import Circle, ClosedBusiness, PairTotal, Referral

#: How many of the latest slips between the two are listed.
LATEST = 8


@dataclass(frozen=True)
class Slip:
    """One slip between the two, as the pair section lists it."""

    kind: str  # "referral" or "business"
    id: int
    day: date
    mine: bool  # I gave the referral / I was thanked (credited)
    amount_minor: int | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Pair:
    """What passed between me and another member, over the whole history."""

    given: int  # my referrals to them
    received: int  # their referrals to me
    brought_them: int  # minor units they thanked me for (my referrals earned them that)
    brought_me: int  # minor units I thanked them for (their referrals earned me that)
    #: The revenue is lopsided by the circle's threshold (as the balance pages call it).
    is_lopsided: bool = False
    latest: list[Slip] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when nothing passed between the two yet."""
        return not (self.given or self.received or self.brought_them or self.brought_me)

    @property
    def larger_share(self) -> Fraction | None:
        """The larger side's share of the revenue between the two: ½ even, 1 one-sided
        (None when no revenue passed)."""
        total = self.brought_them + self.brought_me
        if total == 0:
            return None
        return Fraction(max(self.brought_them, self.brought_me), total)


def pair(circle: Circle, me_id: int, other_id: int) -> Pair:
    """The pair balance of two members of ``circle`` and their latest slips."""
    params = {
        "pair_circle": circle.id,
        "pair_currency": circle.currency,
        "pair_me": me_id,
        "pair_other": other_id,
    }
    given, received, brought_them, brought_me = db.session.execute(
        _totals_statement(), params
    ).one()
    latest = [
        Slip(kind, i, day, mine_id == me_id, amount, currency)
        for kind, i, day, mine_id, amount, currency in db.session.execute(
            _latest_statement(), params
        )
    ]
    return Pair(
        given=given,
        received=received,
        brought_them=int(brought_them),
        brought_me=int(brought_me),
        is_lopsided=tips(circle, int(brought_them), int(brought_me)),
        latest=latest,
    )


#: The statements' parameters: the circle, its currency, me and the other member.
_CIRCLE, _CURRENCY = bindparam("pair_circle"), bindparam("pair_currency")
_ME, _OTHER = bindparam("pair_me"), bindparam("pair_other")


@cache
def _totals_statement() -> Select:
    """The pair's four running totals (``circle.balance.totals``): my referrals to them,
    theirs to me, the business they thanked me for and what I thanked them for; one row,
    however long the history. Built once per process (building it cost more than running
    it)."""

    def total(kind: str, source, target):
        """A referral count from giver to receiver, or the business sum the thanked member
        was credited by the reporter."""
        value = PairTotal.entries if kind == totals.REFERRAL else PairTotal.amount_minor
        return (
            select(func.coalesce(func.sum(value), 0))
            .where(
                PairTotal.circle_id == _CIRCLE,
                PairTotal.kind == kind,
                PairTotal.source_key == source,
                PairTotal.target_key == target,
            )
            .scalar_subquery()
        )

    return select(
        total(totals.REFERRAL, _ME, _OTHER),
        total(totals.REFERRAL, _OTHER, _ME),
        total(totals.BUSINESS, _ME, _OTHER),
        total(totals.BUSINESS, _OTHER, _ME),
    )


@cache
def _latest_statement() -> Select:
    """The latest slips of both kinds between the two in one statement: the newest
    ``LATEST`` of each direction and kind (an index range read backwards that stops
    early), then the newest ``LATEST`` of those (on one day, referrals before business,
    then by id). Void slips are left out; business only in the circle's currency. Built
    once per process."""
    referral = (Referral.circle_id == _CIRCLE, Referral.voided_at.is_(None))
    business = (
        ClosedBusiness.circle_id == _CIRCLE,
        ClosedBusiness.voided_at.is_(None),
        ClosedBusiness.currency == _CURRENCY,
    )

    def newest(branch: Select, day, entry_id) -> Select:
        """One direction's ``LATEST`` newest slips."""
        return select(branch.order_by(day.desc(), entry_id.desc()).limit(LATEST).subquery())

    def referrals(giver, receiver) -> Select:
        return newest(
            select(
                literal("referral").label("kind"),
                Referral.id.label("id"),
                Referral.given_on.label("day"),
                Referral.giver_id.label("mine_id"),
                cast(null(), ClosedBusiness.amount_minor.type).label("amount_minor"),
                cast(null(), ClosedBusiness.currency.type).label("currency"),
            ).where(*referral, Referral.giver_id == giver, Referral.receiver_id == receiver),
            Referral.given_on,
            Referral.id,
        )

    def business_slips(thanked, reporter) -> Select:
        return newest(
            select(
                literal("business").label("kind"),
                ClosedBusiness.id.label("id"),
                ClosedBusiness.closed_on.label("day"),
                ClosedBusiness.thanked_id.label("mine_id"),
                ClosedBusiness.amount_minor.label("amount_minor"),
                ClosedBusiness.currency.label("currency"),
            ).where(
                *business,
                ClosedBusiness.thanked_id == thanked,
                ClosedBusiness.reporter_id == reporter,
            ),
            ClosedBusiness.closed_on,
            ClosedBusiness.id,
        )

    slips = union_all(
        referrals(_ME, _OTHER),
        referrals(_OTHER, _ME),
        business_slips(_ME, _OTHER),
        business_slips(_OTHER, _ME),
    ).subquery()
    return (
        select(slips)
        .order_by(slips.c.day.desc(), slips.c.kind.desc(), slips.c.id.desc())
        .limit(LATEST)
    )
