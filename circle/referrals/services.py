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

from flask_babel import gettext as _

from circle.auditlog import record as audit
from circle.balance import totals as pair_totals
from circle.core.checks import check_date, check_reason, check_text
from circle.core.clock import utcnow
from circle.core.errors import (
    Conflict,
    Forbidden,
    NotAMember,
    SelfReferral,
    ValidationFailed,
)
from circle.extensions import db
from circle.meetings.locks import change_action, first_open_day, is_locked
from circle.models import (
    BUSINESS_KINDS,
    REFERRAL_KINDS,
    SPHERES,
    Circle,
    ClosedBusiness,
    Membership,
    Referral,
)
from circle.referrals.mails import mail_new_referral, mail_thanks
from circle.referrals.reading import (
    active_member,
    may_correct_business,
    may_correct_referral,
    may_set_status,
    may_void_business,
    may_void_referral,
    referral_in,
    status_label,
    visible_business,
    visible_referral,
)

#: The longest note a slip may carry (characters).
MAX_NOTE = 2000
#: The fields of a referral and of a closed business that the audit trail records.
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
    pair_totals.count(referrals, 1)
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
            mail_new_referral(circle, referral)
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
    pair_totals.count([referral], -1)
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
    pair_totals.count([referral], 1)
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
    pair_totals.count([entry], -1)
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
    pair_totals.count([business], 1)
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
        mail_thanks(circle, business)
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
    pair_totals.count([business], -1)
    business.thanked_id = data.thanked_id
    business.reporter_id = reporter.id
    business.referral_id = data.referral_id
    business.amount_minor = data.amount_minor
    business.closed_on = data.closed_on
    business.kind = data.kind
    business.note = check_text(data.note, MAX_NOTE, "note")
    pair_totals.count([business], 1)
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
