"""Export: everything Circle holds about one member, as JSON-ready data (DSGVO Art. 15/20).

What is in it and what is not:

- the account (never the password hash), the member profile with its referral wishes
  and pictures, every membership in any status, its officer roles;
- referrals given (with the prospect details: the member entered them) and received
  (without the prospect details, which another member entered — unless the member
  entered that slip themselves);
- closed business reported, and thanks received (the amount only where the circle tells
  thanked givers the amount, as its pages do);
- one-to-ones, education credits, attendance, the visitors they invited (names and contact
  details they entered), payments, the API tokens (names and dates, never a hash), and the
  audit entries made by them or about their account and memberships.

Other members appear only by name, never with their e-mail address.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select

from circle.core.clock import utcnow
from circle.core.money import to_decimal
from circle.extensions import db
from circle.models import (
    PROFILE_LIMITS,
    ApiToken,
    Attendance,
    AuditEntry,
    ClosedBusiness,
    DuesSubscription,
    EducationCredit,
    ExternalParty,
    Membership,
    MembershipRole,
    OneToOne,
    Payment,
    Referral,
    User,
    UserSession,
    Visitor,
    VisitorVisit,
)
from circle.profiles.services import picture, profile_view

#: Version of the export's layout, for programs reading it.
FORMAT = "circle-export/1"


def _iso(value: date | datetime | None) -> str | None:
    """A date or time as ISO 8601 text (None stays None)."""
    return value.isoformat() if value is not None else None


def _amount(amount_minor: int, currency: str) -> str:
    """An amount as a decimal string with a dot, e.g. ``"1234.50"``."""
    return str(to_decimal(amount_minor, currency))


def _name(member: Membership | None, external: ExternalParty | None) -> str | None:
    """The name of the other side of an entry: a member, an outside party, or unknown."""
    if member is not None:
        return member.user.name
    if external is not None:
        return external.name
    return None


def _rows(statement) -> list[Any]:
    """The ORM rows of a select (joined relationships made unique)."""
    return list(db.session.execute(statement).unique().scalars())


def export_data(user: User) -> dict[str, Any]:
    """Everything about ``user`` as a dict of JSON values (see the module docstring)."""
    memberships = _rows(
        select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)
    )
    ids = [m.id for m in memberships]
    return {
        "format": FORMAT,
        "exported_at": _iso(utcnow()),
        "profile": _profile(user),
        "member_profile": _member_profile(user),
        "memberships": _memberships(memberships),
        "referrals_given": [_referral(r, given=True, user=user) for r in _referrals(ids, "giver")],
        "referrals_received": [
            _referral(r, given=False, user=user) for r in _referrals(ids, "receiver")
        ],
        "closed_business_reported": [
            _business(b, reported=True) for b in _business_rows(ids, "reporter")
        ],
        "closed_business_thanked": [
            _business(b, reported=False) for b in _business_rows(ids, "thanked")
        ],
        "one_to_ones": _one_to_ones(ids),
        "education_credits": _credits(ids),
        "attendance": _attendance(ids),
        "visitors_invited": _visitors(ids),
        "payments": _payments(ids),
        "dues_subscriptions": _subscriptions(ids),
        "api_tokens": _tokens(user),
        "sessions": _sessions(user),
        "audit_entries": _audit(user, ids),
    }


def _profile(user: User) -> dict[str, Any]:
    """The account's own fields (no password hash, no session data)."""
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "locale": user.locale,
        "created_at": _iso(user.created_at),
        "password_changed_at": _iso(user.password_changed_at),
        "email_confirmed_at": _iso(user.email_verified_at),
        "pending_email": user.pending_email,
    }


def _member_profile(user: User) -> dict[str, Any]:
    """The member profile: its texts, the referral wishes and the pictures (large size,
    base64) as stored."""
    view = profile_view(user.id)
    pictures = [
        {
            "kind": image.kind,
            "content_type": image.content_type,
            "width": image.width,
            "height": image.height,
            "sha256": image.digest,
            "data_base64": base64.b64encode(image.data).decode("ascii"),
        }
        for image in (picture(user.id, kind, "large") for kind in view.pictures)
        if image is not None
    ]
    return {
        **{name: view.text(name) for name in PROFILE_LIMITS},
        "updated_at": _iso(view.profile.updated_at) if view.profile else None,
        "referral_wishes": view.wishes,
        "pictures": pictures,
    }


def _memberships(memberships: Iterable[Membership]) -> list[dict[str, Any]]:
    """Every membership with its circle, profession, role, officer roles, status and dates."""
    memberships = list(memberships)
    roles: dict[int, list[str]] = {}
    if memberships:
        rows = db.session.execute(
            select(MembershipRole.membership_id, MembershipRole.role)
            .where(MembershipRole.membership_id.in_([m.id for m in memberships]))
            .order_by(MembershipRole.role)
        ).all()
        for membership_id, role in rows:
            roles.setdefault(membership_id, []).append(role)
    return [
        {
            "id": m.id,
            "circle_id": m.circle_id,
            "circle": m.circle.name,
            "profession": m.profession.name if m.profession else None,
            "role": m.role,
            "officer_roles": roles.get(m.id, []),
            "status": m.status,
            "created_at": _iso(m.created_at),
            "joined_at": _iso(m.joined_at),
            "ended_at": _iso(m.ended_at),
            "application_answers": m.application_answers,
        }
        for m in memberships
    ]


def _referrals(ids: list[int], side: str) -> list[Referral]:
    """Referrals given (``side="giver"``) or received by these memberships, oldest first."""
    if not ids:
        return []
    column = Referral.giver_id if side == "giver" else Referral.receiver_id
    return _rows(select(Referral).where(column.in_(ids)).order_by(Referral.given_on, Referral.id))


def _referral(referral: Referral, given: bool, user: User) -> dict[str, Any]:
    """One referral; prospect details only when the member gave or entered it."""
    if given:
        other = _name(referral.receiver, referral.receiver_external)
    else:
        other = _name(referral.giver, referral.giver_external)
    own = given or referral.created_by_id == user.id
    return {
        "id": referral.id,
        "circle_id": referral.circle_id,
        "given_on": _iso(referral.given_on),
        "other": other,
        "kind": referral.kind,
        "hotness": referral.hotness,
        "sphere": referral.sphere,
        "status": referral.status,
        "note": referral.note,
        "prospect": {
            "name": referral.prospect_name,
            "phone": referral.prospect_phone,
            "email": referral.prospect_email,
            "erased_at": _iso(referral.prospect_erased_at),
        }
        if own
        else None,
        "created_at": _iso(referral.created_at),
        "voided_at": _iso(referral.voided_at),
        "void_reason": referral.void_reason,
    }


def _business_rows(ids: list[int], side: str) -> list[ClosedBusiness]:
    """Closed business reported by (``side="reporter"``) or thanking these memberships."""
    if not ids:
        return []
    column = ClosedBusiness.reporter_id if side == "reporter" else ClosedBusiness.thanked_id
    return _rows(
        select(ClosedBusiness)
        .where(column.in_(ids))
        .order_by(ClosedBusiness.closed_on, ClosedBusiness.id)
    )


def _business(business: ClosedBusiness, reported: bool) -> dict[str, Any]:
    """One closed business; a thanked giver sees the amount only where the circle shows it."""
    if reported:
        other = _name(business.thanked, business.thanked_external)
        visible = True
    else:
        other = _name(business.reporter, business.reporter_external)
        visible = business.thanked is None or business.thanked.circle.show_thank_amount
    return {
        "id": business.id,
        "circle_id": business.circle_id,
        "closed_on": _iso(business.closed_on),
        "other": other,
        "amount": _amount(business.amount_minor, business.currency) if visible else None,
        "currency": business.currency,
        "kind": business.kind,
        "note": business.note if reported else None,
        "created_at": _iso(business.created_at),
        "voided_at": _iso(business.voided_at),
        "void_reason": business.void_reason,
    }


def _one_to_ones(ids: list[int]) -> list[dict[str, Any]]:
    """One-to-ones the member took part in, with the other member's name."""
    if not ids:
        return []
    rows = _rows(
        select(OneToOne)
        .where(or_(OneToOne.member_a_id.in_(ids), OneToOne.member_b_id.in_(ids)))
        .order_by(OneToOne.met_on, OneToOne.id)
    )
    return [
        {
            "id": row.id,
            "circle_id": row.circle_id,
            "met_on": _iso(row.met_on),
            "other": (row.member_b if row.member_a_id in ids else row.member_a).user.name,
            "note": row.note,
            "voided_at": _iso(row.voided_at),
            "void_reason": row.void_reason,
        }
        for row in rows
    ]


def _credits(ids: list[int]) -> list[dict[str, Any]]:
    """The member's education credits."""
    if not ids:
        return []
    rows = _rows(
        select(EducationCredit)
        .where(EducationCredit.membership_id.in_(ids))
        .order_by(EducationCredit.completed_on, EducationCredit.id)
    )
    return [
        {
            "id": row.id,
            "circle_id": row.circle_id,
            "topic": row.topic,
            "minutes": row.minutes,
            "completed_on": _iso(row.completed_on),
            "voided_at": _iso(row.voided_at),
            "void_reason": row.void_reason,
        }
        for row in rows
    ]


def _attendance(ids: list[int]) -> list[dict[str, Any]]:
    """The member's attendance per meeting (P, A, L, M, S and a substitute's name)."""
    if not ids:
        return []
    rows = _rows(
        select(Attendance).where(Attendance.membership_id.in_(ids)).order_by(Attendance.id)
    )
    rows.sort(key=lambda row: (row.meeting.held_on, row.id))
    return [
        {
            "circle_id": row.circle_id,
            "meeting_on": _iso(row.meeting.held_on),
            "code": row.code,
            "substitute_name": row.substitute_name,
        }
        for row in rows
    ]


def _visitors(ids: list[int]) -> list[dict[str, Any]]:
    """Visitors the member invited (details they entered) with the days they visited."""
    if not ids:
        return []
    visitors = _rows(select(Visitor).where(Visitor.invited_by_id.in_(ids)).order_by(Visitor.id))
    visits: dict[int, list[str]] = {}
    if visitors:
        for visit in _rows(
            select(VisitorVisit).where(VisitorVisit.visitor_id.in_([v.id for v in visitors]))
        ):
            visits.setdefault(visit.visitor_id, []).append(_iso(visit.meeting.held_on))
    return [
        {
            "id": v.id,
            "circle_id": v.circle_id,
            "name": v.name,
            "company": v.company,
            "profession": v.profession_name,
            "email": v.email,
            "phone": v.phone,
            "created_at": _iso(v.created_at),
            "visits": sorted(visits.get(v.id, [])),
        }
        for v in visitors
    ]


def _payments(ids: list[int]) -> list[dict[str, Any]]:
    """The member's dues payments (Stripe or recorded by hand)."""
    if not ids:
        return []
    rows = _rows(
        select(Payment).where(Payment.membership_id.in_(ids)).order_by(Payment.paid_on, Payment.id)
    )
    return [
        {
            "id": p.id,
            "circle_id": p.circle_id,
            "amount": _amount(p.amount_minor, p.currency),
            "currency": p.currency,
            "period_start": _iso(p.period_start),
            "period_end": _iso(p.period_end),
            "paid_on": _iso(p.paid_on),
            "source": p.source,
            "reference": p.reference,
        }
        for p in rows
    ]


def _subscriptions(ids: list[int]) -> list[dict[str, Any]]:
    """The member's online dues subscriptions as Stripe last described them."""
    if not ids:
        return []
    rows = _rows(
        select(DuesSubscription)
        .where(DuesSubscription.membership_id.in_(ids))
        .order_by(DuesSubscription.id)
    )
    return [
        {
            "circle_id": s.circle_id,
            "status": s.status,
            "current_period_end": _iso(s.current_period_end),
        }
        for s in rows
    ]


def _tokens(user: User) -> list[dict[str, Any]]:
    """The member's API tokens, revoked ones included: names, prefixes and dates only."""
    rows = _rows(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    return [
        {
            "name": t.name,
            "prefix": t.prefix,
            "created_at": _iso(t.created_at),
            "last_used_at": _iso(t.last_used_at),
            "revoked_at": _iso(t.revoked_at),
        }
        for t in rows
    ]


def _sessions(user: User) -> list[dict[str, Any]]:
    """The member's login sessions: browser, client address and times (never the id)."""
    rows = _rows(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id))
    return [
        {
            "user_agent": s.user_agent,
            "client_address": s.client_address,
            "created_at": _iso(s.created_at),
            "last_seen_at": _iso(s.last_seen_at),
            "ended_at": _iso(s.ended_at),
        }
        for s in rows
    ]


def _audit(user: User, ids: list[int]) -> list[dict[str, Any]]:
    """Audit entries made by the member, or about their account or memberships."""
    about = [and_(AuditEntry.entity == "user", AuditEntry.entity_id == user.id)]
    if ids:
        about.append(and_(AuditEntry.entity == "membership", AuditEntry.entity_id.in_(ids)))
    rows = _rows(
        select(AuditEntry)
        .where(or_(AuditEntry.actor_id == user.id, *about))
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    return [
        {
            "id": e.id,
            "circle_id": e.circle_id,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "action": e.action,
            "by_me": e.actor_id == user.id,
            "before": e.before,
            "after": e.after,
            "created_at": _iso(e.created_at),
        }
        for e in rows
    ]
