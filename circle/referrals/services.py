"""Referral slips and closed business: the rules.

- A referral goes from an active member (the giver; an admin may give in another
  member's name) to another active member of the same circle, dated today or earlier
  in the circle's time zone. Only the receiver moves it through its status.
- Closed business is reported by the receiver and credited to the giver ("thank you
  for closed business"). Amounts are integer minor units of the circle's currency.
- Nothing is deleted: entries are voided with a reason; every change is audited.
- Once a week's report is locked (``circle.meetings.locks``), only admins change its
  entries and each change is audited as a ``correct``ion; a new slip dated inside a
  locked week is moved to the first day of the next open week.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from circle.auditlog import record as audit
from circle.circles.access import owned
from circle.core.checks import check_date, check_reason, check_text
from circle.core.clock import utcnow
from circle.core.errors import (
    Conflict,
    Forbidden,
    NotAMember,
    NotFound,
    SelfReferral,
    ValidationFailed,
)
from circle.core.ids import is_id
from circle.core.money import format_money
from circle.extensions import db
from circle.mail.send import external_url, send_mail
from circle.meetings.locks import change_action, first_open_day, is_locked
from circle.membership.services import member_in_circle
from circle.models import (
    BUSINESS_KINDS,
    REFERRAL_KINDS,
    SPHERES,
    Circle,
    ClosedBusiness,
    Membership,
    Referral,
)

#: No slip is dated before this day (also guards against typos such as year 0202).
MAX_NOTE = 2000
REFERRAL_FIELDS = (
    "giver_id",
    "receiver_id",
    "given_on",
    "kind",
    "hotness",
    "sphere",
    "prospect_name",
    "prospect_phone",
    "prospect_email",
    "note",
    "status",
)
BUSINESS_FIELDS = (
    "thanked_id",
    "reporter_id",
    "referral_id",
    "amount_minor",
    "currency",
    "closed_on",
    "kind",
    "note",
)
#: The receiver's status moves: forward only; admins may correct anything.
STATUS_MOVES = {
    "new": {"contacted", "won", "lost"},
    "contacted": {"won", "lost"},
    "won": set(),
    "lost": set(),
}


@dataclass(frozen=True)
class ReferralInput:
    """One referral as entered in a form or sent to the API, already type-checked."""

    receiver_id: int
    given_on: date
    kind: str = "inside"
    hotness: int = 3
    sphere: str | None = None
    prospect_name: str = ""
    prospect_phone: str = ""
    prospect_email: str = ""
    note: str = ""
    giver_id: int | None = None


@dataclass(frozen=True)
class BusinessInput:
    """One closed business as entered, already type-checked; amount in minor units."""

    thanked_id: int
    amount_minor: int
    closed_on: date
    kind: str = "new"
    referral_id: int | None = None
    note: str = ""
    reporter_id: int | None = None


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


# --- checks ------------------------------------------------------------------------


def _check_referral(circle: Circle, actor: Membership, data: ReferralInput) -> Membership:
    """Check one referral; return the giver's membership."""
    giver_id = data.giver_id if data.giver_id is not None else actor.id
    if giver_id != actor.id and not actor.is_admin:
        raise Forbidden(_("Only admins may enter a referral in another member's name."))
    giver = active_member(circle, giver_id, "giver_id")
    receiver = active_member(circle, data.receiver_id, "receiver_id")
    if giver.id == receiver.id:
        raise SelfReferral(_("A member cannot refer business to themselves."), field="receiver_id")
    if data.kind not in REFERRAL_KINDS:
        raise ValidationFailed(_("Choose inside or outside."), field="kind")
    if not isinstance(data.hotness, int) or not 1 <= data.hotness <= 5:
        raise ValidationFailed(_("Hotness is a number from 1 to 5."), field="hotness")
    if data.sphere is not None and data.sphere not in SPHERES:
        raise ValidationFailed(_("Unknown referral sphere."), field="sphere")
    check_date(circle, data.given_on, "given_on")
    return giver


# --- referrals ---------------------------------------------------------------------


def give_referral(circle: Circle, actor: Membership, data: ReferralInput) -> Referral:
    """Record one referral and tell the receiver by mail."""
    return give_referrals(circle, actor, [data])[0]


def give_referrals(
    circle: Circle, actor: Membership, items: list[ReferralInput], *, notify: bool = True
) -> list[Referral]:
    """Record several referrals at once: all of them, or (on any refusal) none.

    A refusal names the line: its ``field`` is ``"<index>.<field>"`` when there are several.
    ``notify=False`` sends no mails (bulk loads such as the demo year).
    """
    referrals = []
    for index, data in enumerate(items):
        try:
            giver = _check_referral(circle, actor, data)
            referral = Referral(
                circle_id=circle.id,
                giver_id=giver.id,
                receiver_id=data.receiver_id,
                given_on=first_open_day(circle, data.given_on),
                kind=data.kind,
                hotness=data.hotness,
                sphere=data.sphere,
                prospect_name=check_text(data.prospect_name, 200, "prospect_name"),
                prospect_phone=check_text(data.prospect_phone, 50, "prospect_phone"),
                prospect_email=check_text(data.prospect_email, 254, "prospect_email"),
                note=check_text(data.note, MAX_NOTE, "note"),
                status="new",
                created_by_id=actor.user_id,
            )
        except (ValidationFailed, NotAMember, SelfReferral) as error:
            if len(items) > 1 and error.field:
                error.field = f"{index}.{error.field}"
            raise
        referrals.append(referral)
    db.session.add_all(referrals)
    db.session.flush()
    for referral in referrals:
        audit.record(
            circle.id,
            "referral",
            referral.id,
            "create",
            actor.user,
            after=audit.snapshot(referral, REFERRAL_FIELDS),
        )
        if notify:
            _mail_new_referral(circle, referral)
    db.session.flush()
    return referrals


def set_status(circle: Circle, actor: Membership, referral_id: int, status: str) -> Referral:
    """Move a received referral on (new → contacted → won | lost); the receiver does this.

    Inside a locked week the move is audited as a correction, like attendance changed
    after the lock; the receiver keeps the right to make it (the status is no total).
    """
    referral = visible_referral(circle, actor, referral_id)
    if referral.is_void:
        raise Conflict(_("This referral was voided."))
    if not may_set_status(actor, referral):
        raise Forbidden(_("Only the receiver sets the status of a referral."))
    if status not in STATUS_MOVES:
        raise ValidationFailed(_("Unknown status."), field="status")
    if status == referral.status:
        return referral
    if status not in STATUS_MOVES[referral.status] and not actor.is_admin:
        raise Conflict(
            _(
                "A referral cannot go back from %(old)s to %(new)s.",
                old=status_label(referral.status),
                new=status_label(status),
            ),
        )
    before = audit.snapshot(referral, REFERRAL_FIELDS)
    referral.status = status
    audit.record(
        circle.id,
        "referral",
        referral.id,
        change_action(circle, referral.given_on, "status"),
        actor.user,
        before,
        audit.snapshot(referral, REFERRAL_FIELDS),
    )
    db.session.flush()
    return referral


def correct_referral(
    circle: Circle, actor: Membership, referral_id: int, data: ReferralInput
) -> Referral:
    """Change a referral (admins, or the giver for their own slip); the change is audited."""
    referral = visible_referral(circle, actor, referral_id)
    if referral.is_void:
        raise Conflict(_("This referral was voided."))
    if referral.giver_id is None or referral.receiver_id is None:
        raise Conflict(_("Imported slips with a party outside the circle cannot be edited."))
    if not may_correct_referral(actor, referral):
        raise Forbidden(_("Only the giver or an admin may change this referral."))
    giver_id = data.giver_id if data.giver_id is not None else referral.giver_id
    giver = _check_referral(circle, actor, replace(data, giver_id=giver_id))
    locked = _locked_change(circle, actor, referral.given_on, data.given_on)
    before = audit.snapshot(referral, REFERRAL_FIELDS)
    referral.giver_id = giver.id
    referral.receiver_id = data.receiver_id
    referral.given_on = data.given_on
    referral.kind = data.kind
    referral.hotness = data.hotness
    referral.sphere = data.sphere
    referral.prospect_name = check_text(data.prospect_name, 200, "prospect_name")
    referral.prospect_phone = check_text(data.prospect_phone, 50, "prospect_phone")
    referral.prospect_email = check_text(data.prospect_email, 254, "prospect_email")
    referral.note = check_text(data.note, MAX_NOTE, "note")
    after = audit.snapshot(referral, REFERRAL_FIELDS)
    if after != before:
        action = "correct" if locked else "edit"
        audit.record(circle.id, "referral", referral.id, action, actor.user, before, after)
    db.session.flush()
    return referral


def _locked_change(circle: Circle, actor: Membership, *days: date) -> bool:
    """True when a change touches a locked week; only admins may make it (as a correction)."""
    if not any(is_locked(circle, day) for day in days):
        return False
    if not actor.is_admin:
        raise Conflict(
            _("The report of this week is locked. Ask your circle's admins for a correction.")
        )
    return True


def _void(
    circle: Circle,
    actor: Membership,
    entity: str,
    entry: Referral | ClosedBusiness,
    reason: str,
    *,
    day: date,
    allowed: bool,
    already: str,
    forbidden: str,
):
    """Void an entry with a reason and audit it; it stays, and counts nowhere from now on."""
    if entry.is_void:
        raise Conflict(already)
    if not allowed:
        raise Forbidden(forbidden)
    reason = check_reason(reason)
    action = "correct" if _locked_change(circle, actor, day) else "void"
    entry.voided_at = utcnow()
    entry.void_reason = reason
    audit.record(circle.id, entity, entry.id, action, actor.user, after={"void_reason": reason})
    db.session.flush()
    return entry


def void_referral(circle: Circle, actor: Membership, referral_id: int, reason: str) -> Referral:
    """Void a referral with a reason: the giver (or whoever entered it) or an admin."""
    referral = visible_referral(circle, actor, referral_id)
    return _void(
        circle,
        actor,
        "referral",
        referral,
        reason,
        day=referral.given_on,
        allowed=may_void_referral(actor, referral),
        already=_("This referral was already voided."),
        forbidden=_("Only the giver or an admin may void this referral."),
    )


# --- closed business ---------------------------------------------------------------


def _check_business(circle: Circle, actor: Membership, data: BusinessInput) -> Membership:
    """Check one closed business; return the reporter's membership."""
    reporter_id = data.reporter_id if data.reporter_id is not None else actor.id
    if reporter_id != actor.id and not actor.is_admin:
        raise Forbidden(_("Only admins may report closed business in another member's name."))
    reporter = active_member(circle, reporter_id, "reporter_id")
    thanked = active_member(circle, data.thanked_id, "giver_id")
    if thanked.id == reporter.id:
        raise SelfReferral(_("A member cannot thank themselves."), field="giver_id")
    if not isinstance(data.amount_minor, int) or data.amount_minor <= 0:
        raise ValidationFailed(_("The amount must be greater than zero."), field="amount")
    if data.kind not in BUSINESS_KINDS:
        raise ValidationFailed(_("Choose new or repeat business."), field="kind")
    check_date(circle, data.closed_on, "closed_on")
    if data.referral_id is not None:
        referral = referral_in(circle, data.referral_id)
        if referral.receiver_id != reporter.id or referral.giver_id != thanked.id:
            raise ValidationFailed(
                _(
                    "That referral was not given by %(giver)s to %(receiver)s.",
                    giver=thanked.user.name,
                    receiver=reporter.user.name,
                ),
                field="referral_id",
            )
        if referral.is_void:
            raise ValidationFailed(_("That referral was voided."), field="referral_id")
    return reporter


def report_closed_business(
    circle: Circle, actor: Membership, data: BusinessInput, *, notify: bool = True
) -> ClosedBusiness:
    """Record revenue the reporter earned, credited to the giver; thank the giver by mail.

    A linked referral that is still open is marked won. ``notify=False`` sends no mail.
    """
    reporter = _check_business(circle, actor, data)
    business = ClosedBusiness(
        circle_id=circle.id,
        thanked_id=data.thanked_id,
        reporter_id=reporter.id,
        referral_id=data.referral_id,
        amount_minor=data.amount_minor,
        currency=circle.currency,
        closed_on=first_open_day(circle, data.closed_on),
        kind=data.kind,
        note=check_text(data.note, MAX_NOTE, "note"),
        created_by_id=actor.user_id,
    )
    db.session.add(business)
    db.session.flush()
    audit.record(
        circle.id,
        "closed_business",
        business.id,
        "create",
        actor.user,
        after=audit.snapshot(business, BUSINESS_FIELDS),
    )
    if data.referral_id is not None:
        referral = referral_in(circle, data.referral_id)
        if referral.status in ("new", "contacted"):
            before = audit.snapshot(referral, REFERRAL_FIELDS)
            referral.status = "won"
            audit.record(
                circle.id,
                "referral",
                referral.id,
                change_action(circle, referral.given_on, "status"),
                actor.user,
                before,
                audit.snapshot(referral, REFERRAL_FIELDS),
            )
    db.session.flush()
    if notify:
        _mail_thanks(circle, business)
    return business


def correct_business(
    circle: Circle, actor: Membership, business_id: int, data: BusinessInput
) -> ClosedBusiness:
    """Change a closed business (admins, or its reporter); audited."""
    business = visible_business(circle, actor, business_id)
    if business.is_void:
        raise Conflict(_("This closed business was voided."))
    if business.thanked_id is None or business.reporter_id is None:
        raise Conflict(_("Imported entries with a party outside the circle cannot be edited."))
    if not may_correct_business(actor, business):
        raise Forbidden(_("Only the reporter or an admin may change this entry."))
    reporter_id = data.reporter_id if data.reporter_id is not None else business.reporter_id
    reporter = _check_business(circle, actor, replace(data, reporter_id=reporter_id))
    locked = _locked_change(circle, actor, business.closed_on, data.closed_on)
    before = audit.snapshot(business, BUSINESS_FIELDS)
    business.thanked_id = data.thanked_id
    business.reporter_id = reporter.id
    business.referral_id = data.referral_id
    business.amount_minor = data.amount_minor
    business.closed_on = data.closed_on
    business.kind = data.kind
    business.note = check_text(data.note, MAX_NOTE, "note")
    after = audit.snapshot(business, BUSINESS_FIELDS)
    if after != before:
        action = "correct" if locked else "edit"
        audit.record(circle.id, "closed_business", business.id, action, actor.user, before, after)
    db.session.flush()
    return business


def void_business(
    circle: Circle, actor: Membership, business_id: int, reason: str
) -> ClosedBusiness:
    """Void a closed business with a reason: its reporter (or whoever entered it) or an admin."""
    business = visible_business(circle, actor, business_id)
    return _void(
        circle,
        actor,
        "closed_business",
        business,
        reason,
        day=business.closed_on,
        allowed=may_void_business(actor, business),
        already=_("This closed business was already voided."),
        forbidden=_("Only the reporter or an admin may void this entry."),
    )


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
    return list(
        db.session.execute(query.order_by(ClosedBusiness.closed_on, ClosedBusiness.id))
        .unique()
        .scalars()
    )


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


def open_received(circle: Circle, member_id: int) -> list[Referral]:
    """Referrals the member received that are still new or contacted, oldest first."""
    return list(
        db.session.execute(
            select(Referral)
            .where(
                Referral.circle_id == circle.id,
                Referral.receiver_id == member_id,
                Referral.voided_at.is_(None),
                Referral.status.in_(("new", "contacted")),
            )
            .order_by(Referral.given_on, Referral.id)
        )
        .unique()
        .scalars()
    )


def status_label(status: str) -> str:
    """The translated name of a referral status."""
    return {
        "new": _("new"),
        "contacted": _("contacted"),
        "won": _("won"),
        "lost": _("lost"),
    }.get(status, status)


# --- mail --------------------------------------------------------------------------


def _mail_new_referral(circle: Circle, referral: Referral) -> None:
    """Tell the receiver about a new referral (in the receiver's language)."""
    receiver = referral.receiver or member_in_circle(circle.id, referral.receiver_id)
    giver = referral.giver or member_in_circle(circle.id, referral.giver_id)
    with force_locale(receiver.user.locale):
        lines = [
            _(
                "%(giver)s gave you a referral in %(circle)s.",
                giver=giver.user.name,
                circle=circle.name,
            )
        ]
        if referral.prospect_name:
            lines.append(_("Contact: %(name)s", name=referral.prospect_name))
        if referral.prospect_phone:
            lines.append(_("Phone: %(phone)s", phone=referral.prospect_phone))
        if referral.prospect_email:
            lines.append(_("E-mail: %(email)s", email=referral.prospect_email))
        if referral.note:
            lines.append(_("Note: %(note)s", note=referral.note))
        lines.append("")
        lines.append(external_url("referrals.week", circle_id=circle.id))
        send_mail(
            receiver.user.email,
            _("New referral from %(giver)s", giver=giver.user.name),
            "\n".join(lines),
        )


def _mail_thanks(circle: Circle, business: ClosedBusiness) -> None:
    """Tell the giver they were thanked; the amount only where the circle shows it."""
    thanked = business.thanked or member_in_circle(circle.id, business.thanked_id)
    reporter = business.reporter or member_in_circle(circle.id, business.reporter_id)
    with force_locale(thanked.user.locale):
        if circle.show_thank_amount:
            body = _(
                "%(reporter)s thanks you for closed business worth %(amount)s.",
                reporter=reporter.user.name,
                amount=format_money(business.amount_minor, business.currency, thanked.user.locale),
            )
        else:
            body = _("%(reporter)s thanks you for closed business.", reporter=reporter.user.name)
        send_mail(
            thanked.user.email,
            _("You were thanked for closed business"),
            body + "\n\n" + external_url("referrals.ledger", circle_id=circle.id),
        )


# --- for the HTML pages ------------------------------------------------------------


def members_by_id(circle: Circle, member_ids: set[int]) -> dict[int, Membership]:
    """Memberships of this circle by id (any status), e.g. to name people in a slip's history."""
    ids = {i for i in member_ids if isinstance(i, int)}
    if not ids:
        return {}
    rows = db.session.execute(
        select(Membership).where(Membership.circle_id == circle.id, Membership.id.in_(ids))
    ).scalars()
    return {m.id: m for m in rows}


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


def received_for_linking(circle: Circle, actor: Membership, since: date) -> list[Referral]:
    """Referrals the actor received since ``since`` and not voided, newest first (to link
    closed business to one of them)."""
    return list(
        db.session.execute(
            select(Referral)
            .where(
                Referral.circle_id == circle.id,
                Referral.receiver_id == actor.id,
                Referral.giver_id.is_not(None),
                Referral.voided_at.is_(None),
                Referral.given_on >= since,
            )
            .order_by(Referral.given_on.desc(), Referral.id.desc())
            .limit(200)
        )
        .unique()
        .scalars()
    )
