"""Who may reach which circle, and the seat counts every seat rule reads.

Every lookup of a circle-owned object goes through ``circle_for_user`` or ``owned`` (the
circle id in the ``WHERE`` clause), so an object of another circle is simply not found.
Both the circle settings (``circle.circles.services``) and the seat rules
(``circle.membership``) build on this module, which depends on neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import contains_eager, lazyload
from sqlalchemy.orm.util import identity_key

from circle.auth.twofactor import refuse_unless_enrolled
from circle.circles import known
from circle.core.clock import utcnow
from circle.core.errors import Forbidden, NotFound
from circle.core.ids import is_id
from circle.db import count_where
from circle.extensions import db
from circle.models import LIVE_STATUSES, Circle, Invitation, Membership, Profession, User
from circle.models.invitation import first_seat_freed, reserving
from circle.models.user import shown_name
from circle.roles.permissions import roles_column


def lock_circle(circle_id: int) -> Circle:
    """Load a circle under a row lock (PostgreSQL ``FOR UPDATE``) to count its seats safely."""
    circle = db.session.execute(
        select(Circle)
        .where(Circle.id == circle_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if circle is None:
        raise NotFound(_("Circle not found."))
    return circle


def seats_taken(circle_id: int) -> int:
    """Count the taken seats of a circle: active seats plus seats reserved for invitees.

    Organisers without a profession hold none; a reserving invitation ("add a member")
    counts until it is accepted, declined, revoked or expires. One statement.
    """
    return seats_taken_until(circle_id)[0]


def seats_taken_until(circle_id: int) -> tuple[int, datetime | None]:
    """``seats_taken``, and when the first seat reserved for an invitee is freed (its
    invitation expires; None without any): the count holds until then. One statement."""
    values = {"seats_circle": circle_id, "seats_now": utcnow()}
    active, reserved, first_end = db.session.execute(_seats_statement(), values).one()
    return active + reserved, first_end


@cache
def _seats_statement() -> Select:
    """The statement of ``seats_taken`` (built once per process)."""
    circle_id = bindparam("seats_circle")
    return select(
        count_where(
            Membership,
            Membership.circle_id == circle_id,
            Membership.status == "active",
            Membership.profession_id.is_not(None),
        ),
        count_where(
            Invitation, Invitation.circle_id == circle_id, *reserving(bindparam("seats_now"))
        ),
        first_seat_freed(circle_id, bindparam("seats_now")),
    )


def seats_among(members: list[Membership], open_invitations: list[Invitation]) -> int:
    """``seats_taken`` counted from rows a page has read anyway, without a statement: the
    circle's active members (``roster``) and its open invitations (neither accepted,
    declined, revoked nor expired), of which those made by "add a member" reserve a seat."""
    seated = sum(1 for m in members if m.holds_seat)
    return seated + sum(1 for invitation in open_invitations if invitation.reserves_seat)


def seats_taken_by_circle(circle_ids: list[int]) -> dict[int, int]:
    """Count taken seats (active and reserved for invitees) for several circles at once."""
    if not circle_ids:
        return {}
    active = db.session.execute(
        select(Membership.circle_id, func.count(Membership.id))
        .where(
            Membership.circle_id.in_(circle_ids),
            Membership.status == "active",
            Membership.profession_id.is_not(None),
        )
        .group_by(Membership.circle_id)
    ).all()
    reserved = db.session.execute(
        select(Invitation.circle_id, func.count(Invitation.id))
        .where(Invitation.circle_id.in_(circle_ids), *reserving())
        .group_by(Invitation.circle_id)
    ).all()
    counts = dict.fromkeys(circle_ids, 0)
    for circle_id, n in (*active, *reserved):
        counts[circle_id] += n
    return counts


def active_membership(user: User, circle_id: int) -> Membership | None:
    """Return the user's active membership in a circle, if any.

    Within one request the membership found is kept (the two-factor check before the
    view and the view's own lookup then cost one statement); it is asked again when it
    left the session or is no longer active. The same statement reads the member's
    officer roles, so permission checks (``circle.roles.permissions.can``) cost none.
    """
    found = known.recall(user.id, circle_id)
    if found is not None:
        return found
    row = db.session.execute(
        _membership_statement(), {"circle_id": circle_id, "user_id": user.id}
    ).one_or_none()
    if row is None:
        return None
    membership, roles = row
    known.remember(user.id, circle_id, membership, roles)  # roles: what ``can`` asks next
    return membership


@cache
def _membership_statement() -> Select:
    """A user's active membership with its officer roles: asked on every circle page, so
    built once per process with the circle and the user as bound parameters."""
    return select(Membership, roles_column()).where(
        Membership.circle_id == bindparam("circle_id"),
        Membership.user_id == bindparam("user_id"),
        Membership.status == "active",
    )


def members_by_id(circle_id: int, member_ids: Iterable[int]) -> dict[int, Membership]:
    """Memberships of a circle by id (any status). Those the request has already read
    (the viewer's, the roster's, a slip's people) come from the session's identity map
    without a statement; the others, if any, cost one."""
    found: dict[int, Membership] = {}
    missing = set()
    for member_id in {i for i in member_ids if is_id(i)}:
        held = db.session.identity_map.get(identity_key(Membership, member_id))
        if held is None:
            missing.add(member_id)
        elif held.circle_id == circle_id:
            found[member_id] = held
    if missing:
        rows = db.session.execute(
            select(Membership).where(Membership.circle_id == circle_id, Membership.id.in_(missing))
        ).scalars()
        found.update((m.id, m) for m in rows)
    return found


def owned(model, circle_id: int, object_id: int):
    """The row of ``model`` with ``object_id`` inside circle ``circle_id``, or None.

    Every circle-owned lookup goes through here, so another circle's id is simply
    not found and the caller answers it exactly like an unknown id; so is an id outside
    the database's range (a form field may carry any number).
    """
    if not is_id(object_id):
        return None
    values = {"owned_circle": circle_id, "owned_id": object_id}
    return db.session.execute(_owned_statement(model), values).unique().scalar_one_or_none()


@cache
def _owned_statement(model) -> Select:
    """The statement of ``owned`` for ``model`` (built once per model and process)."""
    return select(model).where(
        model.circle_id == bindparam("owned_circle"), model.id == bindparam("owned_id")
    )


def circle_for_user(user: User, circle_id: int) -> tuple[Circle, Membership]:
    """Return a circle and the user's active membership; NotFound for anyone else.

    A circle the user does not belong to answers exactly like one that does not exist; a
    seat the circle requires two-factor login of, while the user lacks it, is Forbidden
    (the HTML pages redirect to the enrolment before any view runs).
    """
    membership = active_membership(user, circle_id)
    if membership is None:
        raise NotFound(_("Circle not found."))
    refuse_unless_enrolled(membership)
    return membership.circle, membership


def require_admin(actor: Membership) -> None:
    """Raise Forbidden unless the acting membership is an active admin."""
    if not actor.is_admin:
        raise Forbidden(_("Only the circle's admins may do this."))


def circles_of(user: User) -> list[Membership]:
    """The user's live memberships (active, applied, waitlisted), newest circle last."""
    return list(
        db.session.execute(
            select(Membership)
            .where(Membership.user_id == user.id, Membership.status.in_(LIVE_STATUSES))
            .order_by(Membership.circle_id)
        ).scalars()
    )


def roster(circle_id: int) -> list[Membership]:
    """Active members of a circle, ordered by profession then name."""
    return list(db.session.execute(_roster(), {"roster_circle_id": circle_id}).scalars())


@cache
def _roster() -> Select:
    """The statement of ``roster`` (built once per process)."""
    return roster_query(bindparam("roster_circle_id"))


class Listed(NamedTuple):
    """An active member as a select lists them: the membership's id, the shown name and
    the profession's name (None for an organiser without a seat)."""

    id: int
    name: str
    profession: str | None

    @property
    def holds_seat(self) -> bool:
        """True when the member holds a seat (``Membership.holds_seat``: an active member,
        as every listed one is, with a profession)."""
        return self.profession is not None


def roster_names(circle_id: int) -> list[Listed]:
    """``roster`` as plain rows for the forms' selects, in the same order: a third of the
    cost of reading the members, their users and professions as objects."""
    return [listed for listed, *_more in listed_with(circle_id)]


def listed_with(circle_id: int, *columns: ColumnElement) -> list[tuple]:
    """``roster_names`` with more columns per member (correlated to ``Membership``): each
    row is the ``Listed`` member followed by the columns' values. Columns given make a new
    statement each call; a page's own columns are cheaper with ``listed_with_built``."""
    # Without columns, the statement built once itself (adding none would make a new one,
    # whose cache key SQLAlchemy works out again).
    statement = _roster_names().add_columns(*columns) if columns else _roster_names()
    return _listed_rows(statement, circle_id)


def listed_with_built(
    circle_id: int, columns_of: Callable[[BindParameter], tuple[ColumnElement, ...]]
) -> list[tuple]:
    """``listed_with`` with the columns ``columns_of`` makes of the circle's bound parameter
    (use it for the circle instead of its id): the statement is built once per
    ``columns_of`` and process, so pass a module-level function, not a new lambda."""
    return _listed_rows(_listed_with_statement(columns_of), circle_id)


@cache
def _listed_with_statement(columns_of: Callable[[BindParameter], tuple]) -> Select:
    """The statement of ``listed_with_built`` for ``columns_of`` (built once per process)."""
    return _roster_names().add_columns(*columns_of(bindparam("roster_circle_id")))


def _listed_rows(statement: Select, circle_id: int) -> list[tuple]:
    """The rows of a ``_roster_names`` statement (perhaps with more columns) for a circle:
    each the ``Listed`` member followed by the more columns' values."""
    rows = db.session.execute(statement, {"roster_circle_id": circle_id})
    return [
        (Listed(id_, shown_name(name, erased_at), job), *more)
        for id_, name, erased_at, job, *more in rows
    ]


@cache
def _roster_names() -> Select:
    """The statement of ``roster_names`` (built once per process)."""
    return in_roster_order(
        select(Membership.id, User.stored_name, User.erased_at, Profession.name)
    ).where(Membership.circle_id == bindparam("roster_circle_id"), Membership.status == "active")


def in_roster_order(statement: Select) -> Select:
    """``statement`` (over ``Membership``) joined to each member's user and profession, in
    the roster's order: by profession (organisers without one last), then by name."""
    return (
        statement.join(Membership.user)
        .outerjoin(Membership.profession)
        .order_by(Profession.name.nulls_last(), User.stored_name)
    )


def roster_query(circle_id: int | ColumnElement) -> Select:
    """The statement of ``roster``: add columns to it to read more per member at once.

    The user and the profession come from the joins the order needs (not from a second,
    eager join of each); the circle is the page's own, found in the session when asked
    for."""
    return (
        in_roster_order(select(Membership))
        .where(Membership.circle_id == circle_id, Membership.status == "active")
        .options(
            contains_eager(Membership.user),
            contains_eager(Membership.profession),
            lazyload(Membership.circle),
        )
    )


def directory() -> list[tuple[Circle, int]]:
    """Every circle with its count of taken seats, for users looking for one to join."""
    circles = list(db.session.execute(select(Circle).order_by(Circle.name)).scalars())
    counts = seats_taken_by_circle([c.id for c in circles])
    return [(c, counts[c.id]) for c in circles]


def find_circle(circle_id: int) -> Circle:
    """Return a circle by id for the public directory (name, city, open seats only)."""
    circle = db.session.get(Circle, circle_id)
    if circle is None:
        raise NotFound(_("Circle not found."))
    return circle


def zone(circle: Circle) -> ZoneInfo:
    """The circle's time zone."""
    return ZoneInfo(circle.timezone)


def each_circle(work: Callable[[Circle], int]) -> int:
    """``work(circle)`` for every circle, each circle in its own commit (a scheduled job
    that fails in one circle keeps what the circles before it did); the sum of what the
    calls returned."""
    done = 0
    for circle_id in list(db.session.execute(select(Circle.id).order_by(Circle.id)).scalars()):
        done += work(db.session.get(Circle, circle_id))
        db.session.commit()
    return done
