"""Who sees what of the balance.

- Admins see everything.
- A member sees every count in the circle, their own revenue, and the revenue of the
  pairs they are part of; all revenue only with ``circle.roles.permissions.sees_amounts``
  (``see_amounts``, or a circle that opened revenue to its members).
- Flags for scales that tipped in two consecutive periods are for admins only.

``visible_balance`` returns a copy with everything hidden set to None, so the pages,
the CSV and the API show exactly the same subset.
"""

from __future__ import annotations

from dataclasses import replace

from circle.balance.services import Balance, MemberBalance, PairBalance, Roles
from circle.models import Membership
from circle.roles.permissions import sees_amounts


def sees_all_revenue(balance: Balance, actor: Membership) -> bool:
    """True when ``actor`` sees every member's revenue of ``balance`` (``sees_amounts``)."""
    return sees_amounts(actor, balance.circle)


def viewer_key(balance: Balance, actor: Membership) -> int | None:
    """What ``actor`` may see of the numbers of ``balance``, as a key for what is kept per
    viewer (``Balance.key`` with it names one view): None for everyone who sees all
    revenue (admins, ``sees_all_revenue``), else the member's own id (their own revenue and
    their pairs'). The flags and roles only admins see are made per request, not kept."""
    if actor.is_admin or sees_all_revenue(balance, actor):
        return None
    return actor.id


def visible_balance(balance: Balance, actor: Membership) -> Balance:
    """The part of ``balance`` that ``actor`` may see (hidden values become None)."""
    if actor.is_admin:
        return balance
    everything = sees_all_revenue(balance, actor)
    me = actor.id
    members = {
        member_id: _member_for(member, everything or member_id == me)
        for member_id, member in balance.members.items()
    }
    pairs = [_pair_for(pair, everything or pair.involves(me)) for pair in balance.pairs]
    roles = (
        balance.roles
        if everything
        else Roles(
            connectors=[members[m.member_id] for m in balance.roles.connectors],
            top_givers=[],
            top_three_share=None,
            repeat_pairs=balance.roles.repeat_pairs,
        )
    )
    return replace(
        balance,
        members=members,
        pairs=pairs,
        roles=roles,
        revenue_total=balance.revenue_total if everything else None,
        external_revenue=balance.external_revenue if everything else None,
    )


def _member_for(member: MemberBalance, revenue: bool) -> MemberBalance:
    """A member's scale with revenue hidden unless ``revenue``; the admin flag always hidden."""
    if revenue:
        return replace(member, tipped=False)
    return replace(
        member,
        revenue_generated=None,
        revenue_received=None,
        previous_generated=None,
        previous_received=None,
        tipped=False,
    )


def _pair_for(pair: PairBalance, revenue: bool) -> PairBalance:
    """A pair with its revenue (and so its lopsidedness) hidden unless ``revenue``."""
    if revenue:
        return pair
    # Built directly: dataclasses.replace costs several times as much, for each of the
    # 780 pairs of a 40-member circle.
    return PairBalance(pair.a, pair.b, pair.count_a_to_b, pair.count_b_to_a, None, None, None)
