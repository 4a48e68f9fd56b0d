"""All models, imported here so that metadata and Alembic see every table."""

from circle.models.audit import AuditEntry
from circle.models.circle import Circle
from circle.models.dues import DuesPlan, DuesSubscription, Payment, StripeEvent
from circle.models.external import ExternalParty, party_key
from circle.models.imports import Import, OtherSlip
from circle.models.invitation import Invitation
from circle.models.membership import (
    LIVE_STATUSES,
    MEMBERSHIP_STATUSES,
    ROLES,
    Membership,
)
from circle.models.profession import Profession, profession_key
from circle.models.referral import (
    BUSINESS_KINDS,
    REFERRAL_KINDS,
    REFERRAL_STATUSES,
    SPHERES,
    ClosedBusiness,
    Referral,
)
from circle.models.token import ApiToken
from circle.models.user import User

__all__ = [
    "BUSINESS_KINDS",
    "LIVE_STATUSES",
    "MEMBERSHIP_STATUSES",
    "REFERRAL_KINDS",
    "REFERRAL_STATUSES",
    "ROLES",
    "SPHERES",
    "ApiToken",
    "AuditEntry",
    "Circle",
    "ClosedBusiness",
    "DuesPlan",
    "DuesSubscription",
    "ExternalParty",
    "Import",
    "Invitation",
    "Membership",
    "OtherSlip",
    "Payment",
    "Profession",
    "Referral",
    "StripeEvent",
    "User",
    "party_key",
    "profession_key",
]
