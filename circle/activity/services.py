"""One-to-ones and education credits (CEU): the rules.

- A one-to-one is recorded by either of the two members who met, once per pair and day:
  it is stored with the lower membership id as ``member_a`` (a CHECK backs this), and a
  unique constraint on ``(circle, a, b, day)`` refuses a second record even when both
  members save at the same moment (the IntegrityError is caught in a savepoint and
  becomes ``AlreadyRecorded``, naming who recorded it).
- An education credit belongs to one member: what they learned, how many minutes
  (1 to 1440), on which day.
- Dates lie between 2000-01-01 and today in the circle's time zone.
- Nothing is deleted: entries are voided with a reason, and every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, lazyload

from circle.auditlog import record as audit
from circle.circles.access import owned
from circle.core.checks import check_date, check_reason, check_text
from circle.core.clock import utcnow
from circle.core.errors import Conflict, NotFound, SelfReferral, ValidationFailed
from circle.core.ids import MAX_ID, NO_ID
from circle.core.paging import (
    Keyset,
    KeysetPage,
    Position,
    keyset_bound,
    keyset_page,
)
from circle.extensions import db
from circle.models import (
    Circle,
    ClosedBusiness,
    EducationCredit,
    Membership,
    OneToOne,
    Referral,
    User,
)
from circle.models.user import shown_name
from circle.referrals.reading import active_member

MAX_NOTE = 2000
MAX_TOPIC = 200
MAX_MINUTES = 1440
ONE_TO_ONE_FIELDS = ("member_a_id", "member_b_id", "met_on", "note")
CREDIT_FIELDS = ("membership_id", "topic", "minutes", "completed_on")
#: Entries per page of each list on the activity page (one-to-ones, education credits).
PER_PAGE = 15


class AlreadyRecorded(Conflict):
    """This pair's one-to-one on this day is already recorded (by one of the two)."""


@dataclass(frozen=True)
class OneToOneInput:
    """A one-to-one as entered: whom the member met, when, and a note."""

    other_id: int
    met_on: date
    note: str = ""


@dataclass(frozen=True)
class CreditInput:
    """An education credit as entered: what, how many minutes, when."""

    topic: str
    minutes: int
    completed_on: date


@dataclass
class WeekCounts:
    """What a member logged in a period (void entries never count)."""

    referrals_given: int = 0
    business_reported: int = 0
    one_to_ones: int = 0
    education_credits: int = 0


# --- checks ------------------------------------------------------------------------


# --- one-to-ones -------------------------------------------------------------------


def ordered_pair(first_id: int, second_id: int) -> tuple[int, int]:
    """The pair as stored: the lower membership id first."""
    return (first_id, second_id) if first_id < second_id else (second_id, first_id)


def _existing_one_to_one(circle: Circle, a_id: int, b_id: int, day: date) -> OneToOne | None:
    """The pair's one-to-one on ``day`` (voided ones too: the constraint covers them)."""
    return (
        db.session.execute(
            select(OneToOne).where(
                OneToOne.circle_id == circle.id,
                OneToOne.member_a_id == a_id,
                OneToOne.member_b_id == b_id,
                OneToOne.met_on == day,
            )
        )
        .unique()
        .scalar_one_or_none()
    )


def _already_recorded(existing: OneToOne | None) -> AlreadyRecorded:
    """The refusal for a one-to-one that exists, naming who recorded it."""
    recorder = None
    if existing is not None and existing.created_by_id is not None:
        for member in (existing.member_a, existing.member_b):
            if member is not None and member.user_id == existing.created_by_id:
                recorder = member.user.name
    if existing is not None and existing.voided_at is not None:
        return AlreadyRecorded(
            _("This one-to-one was recorded and voided; it cannot be recorded again."),
            field="other_id",
        )
    if recorder:
        return AlreadyRecorded(
            _("This one-to-one was already recorded by %(name)s.", name=recorder),
            field="other_id",
        )
    return AlreadyRecorded(_("This one-to-one was already recorded."), field="other_id")


def record_one_to_one(circle: Circle, actor: Membership, data: OneToOneInput) -> OneToOne:
    """Record that the actor met another active member on a day (once per pair and day)."""
    other_id = data.other_id if isinstance(data.other_id, int) else None
    if other_id is not None and not 0 < other_id <= MAX_ID:
        other_id = NO_ID  # beyond the ids a database holds: no member, not a driver error
    other = active_member(circle, other_id, "other_id")
    if other.id == actor.id:
        raise SelfReferral(_("Choose the member you met, not yourself."), field="other_id")
    check_date(circle, data.met_on, "met_on")
    note = check_text(data.note, MAX_NOTE, "note")
    a_id, b_id = ordered_pair(actor.id, other.id)
    existing = _existing_one_to_one(circle, a_id, b_id, data.met_on)
    if existing is not None:
        raise _already_recorded(existing)
    entry = OneToOne(
        circle_id=circle.id,
        member_a_id=a_id,
        member_b_id=b_id,
        met_on=data.met_on,
        note=note,
        created_by_id=actor.user_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError as error:
        # The other member saved the same meeting a moment earlier.
        raise _already_recorded(_existing_one_to_one(circle, a_id, b_id, data.met_on)) from error
    audit.record(
        circle.id,
        "one_to_one",
        entry.id,
        "create",
        actor.user,
        after=audit.snapshot(entry, ONE_TO_ONE_FIELDS),
    )
    db.session.flush()
    return entry


def one_to_one_in(circle: Circle, actor: Membership, entry_id: int) -> OneToOne:
    """A one-to-one the actor may see (one of the two, or an admin); others are NotFound."""
    entry = owned(OneToOne, circle.id, entry_id)
    if entry is None or not (actor.is_admin or actor.id in (entry.member_a_id, entry.member_b_id)):
        raise NotFound(_("One-to-one not found."))
    return entry


def void_one_to_one(circle: Circle, actor: Membership, entry_id: int, reason: str) -> OneToOne:
    """Void a one-to-one with a reason (either member or an admin); it then counts nowhere."""
    entry = one_to_one_in(circle, actor, entry_id)
    if entry.voided_at is not None:
        raise Conflict(_("This one-to-one was already voided."))
    entry.void_reason = check_reason(reason)
    entry.voided_at = utcnow()
    after = {"void_reason": entry.void_reason}
    audit.record(circle.id, "one_to_one", entry.id, "void", actor.user, after=after)
    db.session.flush()
    return entry


def one_to_ones_of(
    circle: Circle, member_id: int, start: date | None = None, end: date | None = None
) -> list[OneToOne]:
    """A member's one-to-ones (voided ones too), newest first, optionally within start..end."""
    query = select(OneToOne).where(
        OneToOne.circle_id == circle.id,
        or_(OneToOne.member_a_id == member_id, OneToOne.member_b_id == member_id),
    )
    if start is not None:
        query = query.where(OneToOne.met_on >= start)
    if end is not None:
        query = query.where(OneToOne.met_on <= end)
    return list(
        db.session.execute(query.order_by(OneToOne.met_on.desc(), OneToOne.id.desc()).limit(500))
        .unique()
        .scalars()
    )


@dataclass(frozen=True)
class MetEntry:
    """A one-to-one in a member's list, with the other member's name as shown."""

    entry: OneToOne
    partner: str


def one_to_one_page(circle: Circle, member_id: int, asked: Keyset) -> KeysetPage[MetEntry]:
    """One page (``PER_PAGE``) of a member's one-to-ones (voided ones too), newest first by
    day, at the place ``asked``, each with the other member's name: one statement,
    whatever the length of the history."""
    values = {"page_circle": circle.id, "page_member": member_id, **asked.bound()}
    statement = _one_to_one_page_statement(asked.way)
    rows = [
        MetEntry(entry, shown_name(stored_name, erased_at))
        for entry, stored_name, erased_at in db.session.execute(statement, values)
    ]
    return keyset_page(rows, lambda met: Position(met.entry.met_on, met.entry.id), asked, PER_PAGE)


@cache
def _one_to_one_page_statement(way: str) -> Select:
    """The statement of ``one_to_one_page`` for the pages read ``way`` (built once): the
    entries with the other member's user's name (two columns, not the two members with
    their users and professions on every row)."""
    member = bindparam("page_member")
    other = aliased(Membership)
    other_user = aliased(User)
    other_id = case(
        (OneToOne.member_a_id == member, OneToOne.member_b_id), else_=OneToOne.member_a_id
    )
    query = (
        select(OneToOne, other_user.stored_name, other_user.erased_at)
        .join(other, and_(other.circle_id == OneToOne.circle_id, other.id == other_id))
        .join(other_user, other_user.id == other.user_id)
        .where(
            OneToOne.circle_id == bindparam("page_circle"),
            or_(OneToOne.member_a_id == member, OneToOne.member_b_id == member),
        )
        .options(lazyload(OneToOne.member_a), lazyload(OneToOne.member_b))
    )
    return keyset_bound(query, OneToOne.met_on, OneToOne.id, way, PER_PAGE)


def partner(entry: OneToOne, member_id: int) -> Membership:
    """The other member of a one-to-one, seen from ``member_id``."""
    return entry.member_b if entry.member_a_id == member_id else entry.member_a


# --- education credits ---------------------------------------------------------------


def add_education_credit(circle: Circle, actor: Membership, data: CreditInput) -> EducationCredit:
    """Record an education credit of the actor: what, how many minutes (1..1440), when."""
    topic = check_text(data.topic, MAX_TOPIC, "topic")
    if not topic:
        raise ValidationFailed(_("Please say what you learned."), field="topic")
    if not isinstance(data.minutes, int) or not 1 <= data.minutes <= MAX_MINUTES:
        raise ValidationFailed(
            _(
                "Give the minutes as a whole number from %(min)s to %(max)s.",
                min=1,
                max=MAX_MINUTES,
            ),
            field="minutes",
        )
    check_date(circle, data.completed_on, "completed_on")
    entry = EducationCredit(
        circle_id=circle.id,
        membership_id=actor.id,
        topic=topic,
        minutes=data.minutes,
        completed_on=data.completed_on,
        created_by_id=actor.user_id,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        circle.id,
        "education_credit",
        entry.id,
        "create",
        actor.user,
        after=audit.snapshot(entry, CREDIT_FIELDS),
    )
    db.session.flush()
    return entry


def credit_in(circle: Circle, actor: Membership, entry_id: int) -> EducationCredit:
    """An education credit the actor may see (its member or an admin); others are NotFound."""
    entry = owned(EducationCredit, circle.id, entry_id)
    if entry is None or not (actor.is_admin or actor.id == entry.membership_id):
        raise NotFound(_("Education credit not found."))
    return entry


def void_education_credit(
    circle: Circle, actor: Membership, entry_id: int, reason: str
) -> EducationCredit:
    """Void an education credit with a reason (its member or an admin)."""
    entry = credit_in(circle, actor, entry_id)
    if entry.voided_at is not None:
        raise Conflict(_("This education credit was already voided."))
    entry.void_reason = check_reason(reason)
    entry.voided_at = utcnow()
    audit.record(
        circle.id,
        "education_credit",
        entry.id,
        "void",
        actor.user,
        after={"void_reason": entry.void_reason},
    )
    db.session.flush()
    return entry


def credits_of(
    circle: Circle, member_id: int, start: date | None = None, end: date | None = None
) -> list[EducationCredit]:
    """A member's education credits (voided ones too), newest first."""
    query = select(EducationCredit).where(
        EducationCredit.circle_id == circle.id, EducationCredit.membership_id == member_id
    )
    if start is not None:
        query = query.where(EducationCredit.completed_on >= start)
    if end is not None:
        query = query.where(EducationCredit.completed_on <= end)
    return list(
        db.session.execute(
            query.order_by(EducationCredit.completed_on.desc(), EducationCredit.id.desc()).limit(
                500
            )
        )
        .unique()
        .scalars()
    )


def credit_page(circle: Circle, member_id: int, asked: Keyset) -> KeysetPage[EducationCredit]:
    """One page (``PER_PAGE``) of a member's education credits (voided ones too), newest
    first by day, at the place ``asked``: one statement."""
    values = {"page_circle": circle.id, "page_member": member_id, **asked.bound()}
    statement = _credit_page_statement(asked.way)
    rows = db.session.execute(statement, values).unique().scalars().all()
    return keyset_page(rows, lambda entry: Position(entry.completed_on, entry.id), asked, PER_PAGE)


@cache
def _credit_page_statement(way: str) -> Select:
    """The statement of ``credit_page`` for the pages read ``way`` (built once)."""
    query = (
        select(EducationCredit)
        .where(
            EducationCredit.circle_id == bindparam("page_circle"),
            EducationCredit.membership_id == bindparam("page_member"),
        )
        # Every row's member is the one asked for, in the session (the page's own seat).
        .options(lazyload(EducationCredit.member))
    )
    return keyset_bound(query, EducationCredit.completed_on, EducationCredit.id, way, PER_PAGE)


def may_void(actor: Membership, entry: OneToOne | EducationCredit) -> bool:
    """Whether the actor may void a live entry: a member it belongs to, or an admin."""
    if entry.voided_at is not None:
        return False
    if actor.is_admin:
        return True
    if isinstance(entry, OneToOne):
        return actor.id in (entry.member_a_id, entry.member_b_id)
    return actor.id == entry.membership_id


# --- counts --------------------------------------------------------------------------


def logged_between(circle: Circle, member_ids: list[int], start: date, end: date) -> dict:
    """What each member logged in start..end: ``{member id: WeekCounts}`` (void excluded)."""
    counts = {member_id: WeekCounts() for member_id in member_ids}
    if not member_ids:
        return counts

    def tally(column, date_column, model, attribute):
        """Add one table's counts per member into ``attribute``."""
        rows = db.session.execute(
            select(column, func.count())
            .select_from(model)
            .where(
                model.circle_id == circle.id,
                column.in_(member_ids),
                model.voided_at.is_(None),
                date_column >= start,
                date_column <= end,
            )
            .group_by(column)
        ).all()
        for member_id, number in rows:
            setattr(counts[member_id], attribute, getattr(counts[member_id], attribute) + number)

    tally(Referral.giver_id, Referral.given_on, Referral, "referrals_given")
    tally(ClosedBusiness.reporter_id, ClosedBusiness.closed_on, ClosedBusiness, "business_reported")
    tally(OneToOne.member_a_id, OneToOne.met_on, OneToOne, "one_to_ones")
    tally(OneToOne.member_b_id, OneToOne.met_on, OneToOne, "one_to_ones")
    tally(
        EducationCredit.membership_id,
        EducationCredit.completed_on,
        EducationCredit,
        "education_credits",
    )
    return counts
