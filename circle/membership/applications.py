"""Applications: sponsor and short answers, and the decision of the membership committee.

Who decides is the permission ``approve_applications`` (``circle.roles.permissions``): admins,
the president, the vice president and the membership committee. An approval takes the
seat through the same race-safe path as every other seat (lock the circle, check, flush in
a savepoint); when the profession's seat is taken, an applicant moves to its waitlist. A
decline needs a reason, which the applicant receives by mail. Every decision is audited.
"""

from __future__ import annotations

from functools import cache

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, select

from circle.auditlog.record import record
from circle.auth.services import normalise_email
from circle.auth.verification import require_confirmed
from circle.circles.access import lock_circle, members_by_id
from circle.core.checks import MAX_REASON
from circle.core.clock import utcnow
from circle.core.errors import (
    CircleFull,
    Conflict,
    EmailNotConfirmed,
    ProfessionTaken,
    ValidationFailed,
)
from circle.extensions import db
from circle.mail.send import external_url, send_mail
from circle.membership import services
from circle.models import Circle, Membership, User
from circle.roles.permissions import require

#: The short questions of the application form, in the order they are asked.
QUESTIONS = {
    "why": _l("Why do you want to join?"),
    "business_years": _l("How long have you been in business?"),
    "ideal_customers": _l("Who are your ideal customers?"),
}
#: Longest answer to one question (characters).
MAX_ANSWER = 500
#: Longest reason of a decision (the column's size).

#: Statuses of a request that is still open.
OPEN_STATUSES = ("applicant", "waitlisted")


def clean_answers(answers: dict[str, str] | None) -> dict[str, str]:
    """Trim the answers, drop empty ones and refuse unknown questions or overlong answers."""
    cleaned: dict[str, str] = {}
    for key, value in (answers or {}).items():
        if key not in QUESTIONS:
            raise ValidationFailed(_("Unknown question."), field=key)
        text = (value or "").strip()
        if len(text) > MAX_ANSWER:
            raise ValidationFailed(
                _("An answer has at most %(n)s characters.", n=MAX_ANSWER), field=key
            )
        if text:
            cleaned[key] = text
    return cleaned


def sponsor_by_email(circle_id: int, email: str) -> Membership | None:
    """The active member with this e-mail who sponsors an application, else None.

    An address that is not an active member's is not refused: the application goes on
    without a sponsor and answers exactly the same, so the form never tells whether
    someone is a member. One query either way.
    """
    address = normalise_email(email or "")
    if not address:
        return None
    return db.session.execute(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.circle_id == circle_id,
            Membership.status == "active",
            func.lower(User.email) == address,
        )
    ).scalar_one_or_none()


def submit_application(
    circle: Circle,
    user: User,
    profession_name: str,
    *,
    waitlist: bool = False,
    sponsor_email: str = "",
    answers: dict[str, str] | None = None,
) -> Membership:
    """Apply for a seat with an optional sponsor (by e-mail) and the short answers.

    Only an account with a confirmed address may apply.
    """
    require_confirmed(user)
    cleaned = clean_answers(answers)
    sponsor = sponsor_by_email(circle.id, sponsor_email)
    if sponsor is not None and sponsor.user_id == user.id:
        raise ValidationFailed(_("You cannot sponsor yourself."), field="sponsor_email")
    return services.apply(
        circle, user, profession_name, waitlist=waitlist, sponsor=sponsor, answers=cleaned
    )


def open_requests(circle_id: int) -> list[Membership]:
    """Open applications and waitlist places of a circle, oldest first."""
    statement = _requests_statement()
    return list(db.session.execute(statement, {"requests_circle": circle_id}).scalars())


@cache
def _requests_statement() -> Select:
    """The statement of ``open_requests`` (built once per process)."""
    return (
        select(Membership)
        .where(
            Membership.circle_id == bindparam("requests_circle"),
            Membership.status.in_(OPEN_STATUSES),
        )
        .order_by(Membership.created_at, Membership.id)
    )


def sponsors_of(requests: list[Membership]) -> dict[int, Membership]:
    """The sponsors of one circle's requests by membership id: those the request already
    read (the roster's members) cost nothing, the others one query."""
    ids = {m.sponsor_id for m in requests if m.sponsor_id is not None}
    if not ids:
        return {}
    return members_by_id(requests[0].circle_id, ids)


def _open_request(circle_id: int, membership_id: int, refusal: str) -> Membership:
    """A request of this circle that is still open; Conflict for a decided one."""
    membership = services.member_in_circle(circle_id, membership_id)
    if membership.status not in OPEN_STATUSES:
        raise Conflict(refusal)
    return membership


def _decided(membership: Membership, actor: Membership, reason: str) -> None:
    """Note who decided, when and why."""
    membership.decided_by_id = actor.id
    membership.decided_at = utcnow()
    membership.decision_reason = reason


def approve(circle: Circle, actor: Membership, membership_id: int) -> Membership:
    """Admit an applicant or waitlisted person; the seat rules apply.

    When the profession's seat is taken (or the circle is full), an applicant is put on
    the waitlist instead and told so; someone already waiting gets the refusal.
    """
    require(actor, "approve_applications")
    locked = lock_circle(circle.id)
    membership = _open_request(
        locked.id, membership_id, _("Only open applications can be approved.")
    )
    if not membership.user.email_verified:
        raise EmailNotConfirmed(
            _(
                "%(name)s has not confirmed their e-mail address yet; approve the "
                "application once they have.",
                name=membership.user.name,
            )
        )
    before = {"status": membership.status}
    try:
        services.check_seat_free(locked, membership.profession)
    except (ProfessionTaken, CircleFull):
        if membership.status != "applicant":
            raise
        membership.status = "waitlisted"
        _decided(membership, actor, "")
        db.session.flush()
        _audit_decision(membership, actor, "approve", before)
        _mail_waitlisted(locked, membership)
        return membership
    membership.status = "active"
    membership.joined_at = utcnow()
    membership.offered_at = None
    _decided(membership, actor, "")
    services.take_seat(membership)
    _audit_decision(membership, actor, "approve", before)
    with force_locale(membership.user.locale):
        send_mail(
            membership.user.email,
            _("Welcome to %(circle)s", circle=locked.name),
            _(
                "Your application for the seat %(profession)s in %(circle)s was accepted.",
                profession=membership.profession.name,
                circle=locked.name,
            ),
            circle_id=locked.id,
        )
    return membership


def decline(circle: Circle, actor: Membership, membership_id: int, reason: str) -> Membership:
    """Decline an application or take someone off the waitlist, with a reason they receive."""
    require(actor, "approve_applications")
    text = " ".join((reason or "").split())
    if not text:
        raise ValidationFailed(_("Please give a reason for the decline."), field="reason")
    if len(text) > MAX_REASON:
        raise ValidationFailed(
            _("The reason has at most %(n)s characters.", n=MAX_REASON), field="reason"
        )
    membership = _open_request(
        circle.id, membership_id, _("Only open applications can be declined.")
    )
    before = {"status": membership.status}
    _decided(membership, actor, text)
    membership.status = "declined"
    membership.ended_at = utcnow()
    membership.offered_at = None
    db.session.flush()
    _audit_decision(membership, actor, "decline", before)
    with force_locale(membership.user.locale):
        send_mail(
            membership.user.email,
            _("Your application to %(circle)s", circle=circle.name),
            _(
                "Your application for the seat %(profession)s in %(circle)s was declined.\n\n"
                "Reason: %(reason)s",
                profession=membership.profession.name,
                circle=circle.name,
                reason=text,
            ),
            circle_id=circle.id,
        )
    return membership


def decide(
    circle: Circle, actor: Membership, membership_id: int, decision: str, reason: str = ""
) -> Membership:
    """Approve or decline (``decision``); a decline needs ``reason``."""
    if decision == "approve":
        return approve(circle, actor, membership_id)
    if decision == "decline":
        return decline(circle, actor, membership_id, reason)
    raise ValidationFailed(_("Choose approve or decline."), field="decision")


def _audit_decision(membership: Membership, actor: Membership, decision: str, before: dict) -> None:
    """Record a decision in the audit trail of the membership."""
    record(
        membership.circle_id,
        "membership",
        membership.id,
        "decide",
        actor.user,
        before=before,
        after={
            "decision": decision,
            "status": membership.status,
            "reason": membership.decision_reason,
        },
    )


def _mail_waitlisted(circle: Circle, membership: Membership) -> None:
    """Tell an approved applicant whose profession is taken that they are on the waitlist."""
    link = external_url("circles.show_public", circle_id=circle.id)
    with force_locale(membership.user.locale):
        send_mail(
            membership.user.email,
            _("Your application to %(circle)s", circle=circle.name),
            _(
                "Your application for %(profession)s in %(circle)s was accepted, but the seat "
                "is taken: you are on its waitlist and get an e-mail when it is offered to "
                "you.\n%(link)s",
                profession=membership.profession.name,
                circle=circle.name,
                link=link,
            ),
            circle_id=circle.id,
        )
