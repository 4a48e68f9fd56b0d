"""Erasure: a member deletes their account (DSGVO Art. 17).

Personal fields are replaced by placeholders; what the circle needs to stay correct is
kept: referrals and closed business keep pointing at the (ended) membership, which then
reads "Former member", so every total stays intact. Payment records are kept because
German commercial and tax law (HGB § 257, AO § 147) requires keeping accounting records
for ten years. The Stripe customer is deleted when online payment is configured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import stripe
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from circle.auditlog import record as audit
from circle.auth import sessions
from circle.auth.passwords import check_password
from circle.auth.services import UNUSABLE_PASSWORD, normalise_email
from circle.core.clock import utcnow
from circle.core.errors import Conflict, ValidationFailed
from circle.dues.checkout import PaymentProviderError
from circle.dues.stripe_client import get_client, stripe_configured
from circle.extensions import db
from circle.membership import services as membership
from circle.models import (
    ApiToken,
    Circle,
    DuesSubscription,
    Invitation,
    Membership,
    Payment,
    Referral,
    User,
)
from circle.models.membership import LIVE_STATUSES
from circle.privacy.prospects import erase_prospect_details, has_prospect_details
from circle.profiles.services import erase_profile

log = logging.getLogger(__name__)

#: What the stored name of an erased account becomes (the UI shows it translated).
ERASED_NAME = "Former member"
#: Years German law (HGB § 257, AO § 147) requires keeping payment records.
PAYMENT_RETENTION_YEARS = 10


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, for the confirmation message and the logs."""

    user_id: int
    memberships_ended: int
    prospects_erased: int
    payments_kept: int
    stripe_customers_deleted: int


def erased_email(user_id: int) -> str:
    """The placeholder address of an erased account (``.invalid`` never receives mail)."""
    return f"erased-{user_id}@erased.invalid"


def blocking_circles(user: User) -> list[Circle]:
    """Circles in which the user is the only active admin: they must hand over first."""
    mine = db.session.execute(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.status == "active",
            Membership.role == "admin",
        )
    ).scalars()
    blocked = []
    for seat in mine:
        others = db.session.execute(
            select(func.count(Membership.id)).where(
                Membership.circle_id == seat.circle_id,
                Membership.status == "active",
                Membership.role == "admin",
                Membership.id != seat.id,
            )
        ).scalar_one()
        if others == 0:
            blocked.append(seat.circle)
    return sorted(blocked, key=lambda c: c.id)


def payments_kept(user: User) -> int:
    """How many payment records of the user are kept (by law) after an erasure."""
    return db.session.execute(
        select(func.count(Payment.id))
        .join(
            Membership,
            (Membership.circle_id == Payment.circle_id) & (Membership.id == Payment.membership_id),
        )
        .where(Membership.user_id == user.id)
    ).scalar_one()


def check_erasure(user: User, password: str, confirmation: str) -> None:
    """Refuse a wrong password, a wrong confirmation or a circle's last admin (nothing changes).

    The password check shares the re-authentication budget (TooManyAttempts), so the
    deletion form is no way around the limit for guessing a logged-in account's password.
    """
    if user.erased_at is not None:
        raise Conflict(_("This account has already been deleted."))
    if not check_password(user, password or "", reauth=True):
        raise ValidationFailed(_("The password is wrong."), field="password")
    if normalise_email(confirmation or "") != normalise_email(user.email):
        raise ValidationFailed(
            _("Type your e-mail address exactly as shown to confirm."), field="confirmation"
        )
    blocked = blocking_circles(user)
    if blocked:
        raise Conflict(
            _(
                "You are the last admin of %(circles)s. Appoint another admin there "
                "before you delete your account.",
                circles=", ".join(c.name for c in blocked),
            )
        )


def erase_account(user: User, password: str, confirmation: str) -> Erasure:
    """Erase the account of ``user`` after checking password and confirmation.

    Ends every live membership through the membership services (a freed seat is offered
    to the waitlist as usual), erases the prospect details of the member's referrals,
    revokes API tokens, clears calendar tokens and application answers, deletes the
    member profile with its wishes and pictures, deletes the Stripe customer, replaces
    e-mail, name and password, ends every session (forgetting
    its browser and address) and records one audit entry per circle without personal
    data. Payments are kept.
    """
    check_erasure(user, password, confirmation)
    memberships = list(
        db.session.execute(
            select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)
        ).scalars()
    )
    ids = [m.id for m in memberships]
    # Stripe first: if it fails, nothing here has changed and no waitlist mail went out.
    deleted = _delete_stripe_customers(ids)
    ended = 0
    for seat in memberships:
        if seat.status == "active":
            membership.leave(seat.circle, user)
            ended += 1
        elif seat.status in LIVE_STATUSES:
            membership.withdraw(seat.circle, user)
            ended += 1
        seat.calendar_token_hash = None
        seat.application_answers = None
    prospects = _erase_own_prospects(user, ids)
    _revoke_tokens(user)
    _forget_invitations(user)
    erase_profile(user.id)
    now = utcnow()
    for circle_id in sorted({m.circle_id for m in memberships}):
        audit.record(circle_id, "user", user.id, "edit", user, after={"erased": True})
    user.email = erased_email(user.id)
    user.pending_email = None  # an address change that was never confirmed
    user.name = ERASED_NAME
    user.password_hash = UNUSABLE_PASSWORD
    sessions.end_all(user)
    sessions.forget_devices(user)
    user.erased_at = now
    db.session.flush()
    log.info("account %s erased (%s memberships ended)", user.id, ended)
    return Erasure(user.id, ended, prospects, payments_kept(user), deleted)


def _erase_own_prospects(user: User, ids: list[int]) -> int:
    """Erase the prospect details of referrals the member gave or entered."""
    condition = Referral.created_by_id == user.id
    if ids:
        condition = or_(condition, Referral.giver_id.in_(ids))
    referrals = list(
        db.session.execute(select(Referral).where(condition, has_prospect_details()))
        .unique()
        .scalars()
    )
    return erase_prospect_details(referrals)


def _revoke_tokens(user: User) -> None:
    """Revoke every API token and forget the names the member gave them."""
    now = utcnow()
    for token in db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id)).scalars():
        token.name = ""
        if token.revoked_at is None:
            token.revoked_at = now


def _forget_invitations(user: User) -> None:
    """Invitations to the member's address: revoke open ones, replace address and name."""
    now = utcnow()
    rows = db.session.execute(
        select(Invitation).where(func.lower(Invitation.email) == normalise_email(user.email))
    ).scalars()
    for invitation in rows:
        if invitation.accepted_at is None and invitation.revoked_at is None:
            invitation.revoked_at = now
        invitation.email = erased_email(user.id)
        invitation.name = ""


def _delete_stripe_customers(ids: list[int]) -> int:
    """Delete the member's Stripe customers (when Stripe is configured); count them."""
    if not ids or not stripe_configured():
        return 0
    customers = sorted(
        set(
            db.session.execute(
                select(DuesSubscription.stripe_customer_id).where(
                    DuesSubscription.membership_id.in_(ids),
                    DuesSubscription.stripe_customer_id.is_not(None),
                )
            ).scalars()
        )
    )
    if not customers:
        return 0
    client = get_client()
    for customer in customers:
        try:
            client.v1.customers.delete(customer)
        except stripe.InvalidRequestError as error:
            if error.code != "resource_missing":  # already deleted: nothing left to do
                raise _provider_error(error) from error
        except stripe.StripeError as error:
            raise _provider_error(error) from error
    return len(customers)


def _provider_error(error: stripe.StripeError) -> PaymentProviderError:
    """Log Stripe's refusal; the account stays as it was."""
    log.warning("stripe customer deletion failed: %s", error)
    return PaymentProviderError(
        _(
            "The payment provider could not delete your payment data right now, so your "
            "account was not deleted. Please try again later."
        )
    )
