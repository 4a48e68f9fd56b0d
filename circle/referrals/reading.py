"""Reading referrals and closed business: periods, totals, open slips, and what a member
may do with a slip (the pages ask before they offer a button; the services ask again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, aliased, defaultload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from circle.circles.access import owned
from circle.core.errors import NotAMember, NotFound
from circle.core.ids import is_id
from circle.core.paging import Keyset, KeysetPage, Position, keyset_bound, keyset_page
from circle.extensions import Labels, db
from circle.models import (
    Circle,
    ClosedBusiness,
    MemberMonth,
    Membership,
    Referral,
    User,
)

#: The statuses of a received referral that still waits for the receiver's news.
OPEN_STATUSES = ("new", "contacted")
#: Open referrals shown per page ("My open referrals").
OPEN_PER_PAGE = 20

#: No slip is dated before this day (also guards against typos such as year 0202).


@dataclass
class Totals:
    """A member's numbers for a period (void entries never count)."""

    given: int = 0
    received: int = 0
    revenue_generated: int = 0  # closed business credited to the member (others earned it)
    revenue_received: int = 0  # closed business the member reported (the member earned it)


# --- lookups -----------------------------------------------------------------------


def active_member(circle: Circle, membership_id: int | None, field_name: str) -> Membership:
    """An active member of this circle, else NotAMember (the same answer for any other id)."""
    member = None
    if is_id(membership_id):
        member = db.session.execute(
            select(Membership).where(
                Membership.circle_id == circle.id,
                Membership.id == membership_id,
                Membership.status == "active",
            )
        ).scalar_one_or_none()
    if member is None:
        raise NotAMember(_("This person is not an active member of this circle."), field=field_name)
    return member


def referral_in(circle: Circle, referral_id: int) -> Referral:
    """A referral of this circle; another circle's id is NotFound."""
    referral = owned(Referral, circle.id, referral_id)
    if referral is None:
        raise NotFound(_("Referral not found."))
    return referral


def business_in(circle: Circle, business_id: int) -> ClosedBusiness:
    """A closed business of this circle; another circle's id is NotFound."""
    business = owned(ClosedBusiness, circle.id, business_id)
    if business is None:
        raise NotFound(_("Closed business not found."))
    return business


def can_see_referral(actor: Membership, referral: Referral) -> bool:
    """Admins see every slip; a member sees the slips they gave or received."""
    return actor.is_admin or actor.id in (referral.giver_id, referral.receiver_id)


def can_see_business(actor: Membership, business: ClosedBusiness) -> bool:
    """Admins see everything; a member sees what they reported or were thanked for."""
    return actor.is_admin or actor.id in (business.thanked_id, business.reporter_id)


def visible_referral(circle: Circle, actor: Membership, referral_id: int) -> Referral:
    """A referral the actor may see; others answer NotFound, as if they did not exist."""
    referral = referral_in(circle, referral_id)
    if not can_see_referral(actor, referral):
        raise NotFound(_("Referral not found."))
    return referral


def visible_business(circle: Circle, actor: Membership, business_id: int) -> ClosedBusiness:
    """A closed business the actor may see; others answer NotFound."""
    business = business_in(circle, business_id)
    if not can_see_business(actor, business):
        raise NotFound(_("Closed business not found."))
    return business


# --- reading -----------------------------------------------------------------------


def referrals_between(
    circle: Circle, actor: Membership, start: date, end: date, *, mine_only: bool = False
) -> list[Referral]:
    """Referrals dated start..end (inclusive) the actor may see, void ones included."""
    query = select(Referral).where(
        Referral.circle_id == circle.id, Referral.given_on >= start, Referral.given_on <= end
    )
    if mine_only or not actor.is_admin:
        query = query.where(or_(Referral.giver_id == actor.id, Referral.receiver_id == actor.id))
    return list(
        db.session.execute(query.order_by(Referral.given_on, Referral.id)).unique().scalars()
    )


def business_between(
    circle: Circle, actor: Membership, start: date, end: date, *, mine_only: bool = False
) -> list[ClosedBusiness]:
    """Closed business dated start..end the actor may see, void ones included."""
    query = select(ClosedBusiness).where(
        ClosedBusiness.circle_id == circle.id,
        ClosedBusiness.closed_on >= start,
        ClosedBusiness.closed_on <= end,
    )
    if mine_only or not actor.is_admin:
        query = query.where(
            or_(ClosedBusiness.thanked_id == actor.id, ClosedBusiness.reporter_id == actor.id)
        )
    ordered = query.options(*parties_only(ClosedBusiness)).order_by(
        ClosedBusiness.closed_on, ClosedBusiness.id
    )
    return list(db.session.execute(ordered).unique().scalars())


def totals(circle: Circle, member_id: int, start: date, end: date) -> Totals:
    """A member's counts and revenue for start..end; void entries never count."""
    total = Totals()
    for day in daily_totals(circle, member_id, start, end).values():
        total.given += day.given
        total.received += day.received
        total.revenue_generated += day.revenue_generated
        total.revenue_received += day.revenue_received
    return total


def _sum_where(condition) -> object:
    """``SUM(amount_minor) FILTER (WHERE condition)``, 0 when nothing matches."""
    return func.coalesce(func.sum(ClosedBusiness.amount_minor).filter(condition), 0)


def daily_totals(circle: Circle, member_id: int, start: date, end: date) -> dict[date, Totals]:
    """A member's totals per day, grouped in SQL, for the week view, weeks and months."""
    days: dict[date, Totals] = {}
    referral_rows = db.session.execute(
        select(
            Referral.given_on,
            func.count(Referral.id).filter(Referral.giver_id == member_id),
            func.count(Referral.id).filter(Referral.receiver_id == member_id),
        )
        .where(
            Referral.circle_id == circle.id,
            Referral.voided_at.is_(None),
            Referral.given_on >= start,
            Referral.given_on <= end,
            or_(Referral.giver_id == member_id, Referral.receiver_id == member_id),
        )
        .group_by(Referral.given_on)
    ).all()
    for day, given, received in referral_rows:
        entry = days.setdefault(day, Totals())
        entry.given += given
        entry.received += received
    business_rows = db.session.execute(
        select(
            ClosedBusiness.closed_on,
            _sum_where(ClosedBusiness.thanked_id == member_id),
            _sum_where(ClosedBusiness.reporter_id == member_id),
        )
        .where(
            ClosedBusiness.circle_id == circle.id,
            ClosedBusiness.voided_at.is_(None),
            ClosedBusiness.closed_on >= start,
            ClosedBusiness.closed_on <= end,
            or_(ClosedBusiness.thanked_id == member_id, ClosedBusiness.reporter_id == member_id),
        )
        .group_by(ClosedBusiness.closed_on)
    ).all()
    for day, generated, earned in business_rows:
        entry = days.setdefault(day, Totals())
        entry.revenue_generated += int(generated)
        entry.revenue_received += int(earned)
    return days


def monthly_totals(circle: Circle, member_id: int, start: date, end: date) -> dict[date, Totals]:
    """A member's totals per calendar month (keyed by its first day) for the months from
    ``start``'s to ``end``'s, read from the members' months (``member_months``: a dozen
    rows a year, kept with every slip) instead of the slips."""
    values = {
        "months_circle": circle.id,
        "months_member": member_id,
        "months_start": start.replace(day=1),
        "months_end": end,
    }
    rows = db.session.execute(_months_statement(), values).all()
    return {
        month: Totals(
            given=given,
            received=received,
            revenue_generated=int(generated),
            revenue_received=int(earned),
        )
        for month, given, received, generated, earned in rows
    }


@dataclass
class MyWeek:
    """What the week page shows of one member: the week's referrals and closed business
    the member took part in (void ones included) and their totals."""

    referrals: list[Referral]
    business: list[ClosedBusiness]
    totals: Totals


@cache
def _months_statement() -> Select:
    """The statement of ``monthly_totals`` (built once per process)."""
    return select(
        MemberMonth.month,
        MemberMonth.given,
        MemberMonth.received,
        MemberMonth.revenue_generated,
        MemberMonth.revenue_received,
    ).where(
        MemberMonth.circle_id == bindparam("months_circle"),
        MemberMonth.membership_id == bindparam("months_member"),
        MemberMonth.month >= bindparam("months_start"),
        MemberMonth.month <= bindparam("months_end"),
    )


def my_week(circle: Circle, member: Membership, start: date, end: date) -> MyWeek:
    """The member's week start..end in two statements: one for the referrals, one for the
    closed business; the totals are counted from those rows with the rules of ``totals``
    (void entries never count)."""
    params = {"week_circle": circle.id, "week_member": member.id, "start": start, "end": end}
    referrals = list(db.session.execute(_my_slips(Referral), params).unique().scalars())
    business = list(db.session.execute(_my_slips(ClosedBusiness), params).unique().scalars())
    live = [r for r in referrals if not r.is_void]
    earned = [b for b in business if not b.is_void]
    totals = Totals(
        given=sum(1 for r in live if r.giver_id == member.id),
        received=sum(1 for r in live if r.receiver_id == member.id),
        revenue_generated=sum(b.amount_minor for b in earned if b.thanked_id == member.id),
        revenue_received=sum(b.amount_minor for b in earned if b.reporter_id == member.id),
    )
    return MyWeek(referrals, business, totals)


@cache
def _my_slips(model: type[Referral] | type[ClosedBusiness]) -> Select:
    """``my_week``'s referrals or closed business (those the member took part in on either
    side): built once per model and process (building it, with its loader options, cost
    more than running it), its values bound on each call."""
    member, day = bindparam("week_member"), slip_day(model)
    return (
        select(model)
        .where(
            model.circle_id == bindparam("week_circle"),
            day >= bindparam("start"),
            day <= bindparam("end"),
            or_(*(getattr(model, column) == member for _side, column in _SIDES[model])),
        )
        .options(*parties_only(model))
        .order_by(day, model.id)
    )


def open_received(
    circle: Circle, member: Membership, asked: Keyset, per_page: int = OPEN_PER_PAGE
) -> KeysetPage[Referral]:
    """One page of the referrals the member received that wait for a status (not voided,
    new or contacted), newest first by (day given, id): one statement at any history
    length, through the index on (circle, receiver, day)."""
    values = {"open_circle": circle.id, "open_receiver": member.id, **asked.bound()}
    statement = _open_received_statement(asked.way, per_page)
    rows = db.session.execute(statement, values).unique().scalars().all()
    return keyset_page(rows, lambda r: Position(r.given_on, r.id), asked, per_page)


@cache
def _open_received_statement(way: str, per_page: int) -> Select:
    """The statement of ``open_received`` for the pages read ``way`` (built once each)."""
    query = select(Referral).where(
        Referral.circle_id == bindparam("open_circle"),
        Referral.receiver_id == bindparam("open_receiver"),
        Referral.voided_at.is_(None),
        Referral.status.in_(OPEN_STATUSES),
    )
    return keyset_bound(query, Referral.given_on, Referral.id, way, per_page)


_STATUSES = Labels(
    lambda: {"new": _("new"), "contacted": _("contacted"), "won": _("won"), "lost": _("lost")}
)


def status_label(status: str) -> str:
    """The translated name of a referral status."""
    return _STATUSES(status)


# --- for the HTML pages ------------------------------------------------------------


def may_correct_referral(actor: Membership, referral: Referral) -> bool:
    """The rule: the giver or an admin corrects a live slip between two members."""
    internal = referral.giver_id is not None and referral.receiver_id is not None
    return not referral.is_void and internal and (actor.is_admin or actor.id == referral.giver_id)


def may_void_referral(actor: Membership, referral: Referral) -> bool:
    """The rule: whoever gave or entered a live slip, or an admin, may void it."""
    own = actor.id == referral.giver_id or actor.user_id == referral.created_by_id
    return not referral.is_void and (own or actor.is_admin)


def may_set_status(actor: Membership, referral: Referral) -> bool:
    """The rule: the receiver (or an admin) moves a live referral's status."""
    return not referral.is_void and (actor.id == referral.receiver_id or actor.is_admin)


def may_correct_business(actor: Membership, business: ClosedBusiness) -> bool:
    """The rule: the reporter or an admin corrects a live entry between two members."""
    internal = business.thanked_id is not None and business.reporter_id is not None
    return (
        not business.is_void and internal and (actor.is_admin or actor.id == business.reporter_id)
    )


def may_void_business(actor: Membership, business: ClosedBusiness) -> bool:
    """The rule: whoever reported or entered a live entry, or an admin, may void it."""
    own = actor.id == business.reporter_id or actor.user_id == business.created_by_id
    return not business.is_void and (own or actor.is_admin)


@dataclass(frozen=True)
class Linkable:
    """A received referral as the closed-business forms offer it for linking: its id,
    day, giver's name and prospect."""

    id: int
    given_on: date
    giver_name: str | None
    prospect_name: str | None

    @classmethod
    def of(cls, referral: Referral) -> Linkable:
        """The linkable form of a loaded referral."""
        giver = referral.giver.user.name if referral.giver is not None else None
        return cls(referral.id, referral.given_on, giver, referral.prospect_name)


#: The giver of a referral, as a second membership in one statement. Aliases are made
#: once: making one costs about a millisecond (its mapper's columns are adapted anew).
_GIVER = aliased(Membership, name="giver")


#: The member parties of each kind of slip: the relationship and its column.
def slip_day(model: type[Referral] | type[ClosedBusiness]) -> InstrumentedAttribute:
    """The day a slip is dated by: a referral's day given, a closed business's day closed."""
    return Referral.given_on if model is Referral else ClosedBusiness.closed_on


_SIDES = {
    Referral: ((Referral.giver, "giver_id"), (Referral.receiver, "receiver_id")),
    ClosedBusiness: (
        (ClosedBusiness.thanked, "thanked_id"),
        (ClosedBusiness.reporter, "reporter_id"),
    ),
}


def parties_only(model: type[Referral] | type[ClosedBusiness]) -> tuple:
    """Loader options for slips listed on a circle's page: their member parties with user
    and profession as always, but not each party's circle (30 columns on every row, twice):
    it is the page's own circle, found in the session when asked for."""
    return tuple(defaultload(side).lazyload(Membership.circle) for side, _column in _SIDES[model])


def parties_read_before(model: type[Referral] | type[ClosedBusiness]) -> tuple:
    """Loader options for slips whose member parties the request has read already (the
    weekly report reads them with its sheet): the parties are not joined, with their
    users and professions, on every row; ``attach_parties`` hands them over."""
    return tuple(lazyload(side) for side, _column in _SIDES[model])


def attach_parties(
    slips: list, model: type[Referral] | type[ClosedBusiness], members: dict[int, Membership]
) -> None:
    """Give each slip its member parties from ``members`` (by id, read before), as if they
    had been loaded with it; a party not among them is read when asked for."""
    for slip in slips:
        for side, column in _SIDES[model]:
            member = members.get(getattr(slip, column))
            if member is not None:
                set_committed_value(slip, side.key, member)


#: How many referrals a closed-business form offers to link to: the newest (a list on a
#: phone, not the year of a member who receives ten a week).
LINKABLE = 50


def received_for_linking(circle: Circle, actor: Membership, since: date) -> list[Linkable]:
    """The ``LINKABLE`` newest referrals the actor received since ``since`` from a member
    and not voided (to link closed business to one of them): the four columns the choice
    shows, not the slips with their parties (8 joined tables each)."""
    values = {"link_circle": circle.id, "link_receiver": actor.id, "link_since": since}
    rows = db.session.execute(_linkable_statement(), values)
    return [Linkable(*row) for row in rows]


@cache
def _linkable_statement() -> Select:
    """The statement of ``received_for_linking`` (built once per process)."""
    giver = _GIVER
    return (
        select(Referral.id, Referral.given_on, User.name, Referral.prospect_name)
        .join(giver, and_(giver.circle_id == Referral.circle_id, giver.id == Referral.giver_id))
        .join(User, User.id == giver.user_id)
        .where(
            Referral.circle_id == bindparam("link_circle"),
            Referral.receiver_id == bindparam("link_receiver"),
            Referral.voided_at.is_(None),
            Referral.given_on >= bindparam("link_since"),
        )
        .order_by(Referral.given_on.desc(), Referral.id.desc())
        .limit(LINKABLE)
    )
