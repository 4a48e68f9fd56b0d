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

from sqlalchemy import Select, cast, func, literal, null, select, union_all

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
    referral = (Referral.circle_id == circle.id, Referral.voided_at.is_(None))
    business = (
        ClosedBusiness.circle_id == circle.id,
        ClosedBusiness.voided_at.is_(None),
        ClosedBusiness.currency == circle.currency,
    )

    def total(kind: str, source: int, target: int):
        """The pair's running total of ``kind`` (``circle.balance.totals``): a referral
        count from giver to receiver, or the business sum the thanked member was credited
        by the reporter; one row, however long the history."""
        value = PairTotal.entries if kind == totals.REFERRAL else PairTotal.amount_minor
        return (
            select(func.coalesce(func.sum(value), 0))
            .where(
                PairTotal.circle_id == circle.id,
                PairTotal.kind == kind,
                PairTotal.source_key == source,
                PairTotal.target_key == target,
            )
            .scalar_subquery()
        )

    given, received, brought_them, brought_me = db.session.execute(
        select(
            total(totals.REFERRAL, me_id, other_id),
            total(totals.REFERRAL, other_id, me_id),
            total(totals.BUSINESS, me_id, other_id),
            total(totals.BUSINESS, other_id, me_id),
        )
    ).one()

    def newest(branch: Select, day, entry_id) -> Select:
        """One direction's ``LATEST`` newest slips: an index range read backwards that
        stops early, however many slips the two exchanged."""
        return select(branch.order_by(day.desc(), entry_id.desc()).limit(LATEST).subquery())

    def referrals(giver: int, receiver: int) -> Select:
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

    def business_slips(thanked: int, reporter: int) -> Select:
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

    # The latest of both kinds in one statement: the newest LATEST of each direction and
    # kind, then the newest LATEST of those (on one day, referrals before business, then
    # by id).
    slips = union_all(
        referrals(me_id, other_id),
        referrals(other_id, me_id),
        business_slips(me_id, other_id),
        business_slips(other_id, me_id),
    ).subquery()
    latest = [
        Slip(kind, i, day, mine_id == me_id, amount, currency)
        for kind, i, day, mine_id, amount, currency in db.session.execute(
            select(slips)
            .order_by(slips.c.day.desc(), slips.c.kind.desc(), slips.c.id.desc())
            .limit(LATEST)
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
