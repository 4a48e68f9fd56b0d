"""All models, imported here so that metadata and Alembic see every table."""

from circle.models.audit import AuditEntry
from circle.models.circle import Circle
from circle.models.dues import DuesPlan, DuesReminderSent, DuesSubscription, Payment, StripeEvent
from circle.models.external import ExternalParty, party_key
from circle.models.imports import Import, ImportJob, OtherSlip
from circle.models.invitation import Invitation
from circle.models.meeting import (
    ATTENDANCE_CODES,
    MEETING_STATUSES,
    REPLY_ANSWERS,
    AbsenceWarningSent,
    Attendance,
    Meeting,
    MeetingReply,
    ReminderSent,
    WeeklyReport,
)
from circle.models.membership import (
    LIVE_STATUSES,
    MEMBERSHIP_STATUSES,
    ROLES,
    Membership,
)
from circle.models.one_to_one import EducationCredit, OneToOne
from circle.models.outbox import OUTBOX_STATUSES, OutboxMail
from circle.models.pair_total import PAIR_TOTAL_KINDS, MemberMonth, PairTotal
from circle.models.profession import Profession, profession_key
from circle.models.profile import (
    IMAGE_KINDS,
    IMAGE_SIZES,
    MAX_WISHES,
    PROFILE_LIMITS,
    WISH_KINDS,
    WISH_LIMIT,
    Profile,
    ProfileImage,
    ReferralWish,
)
from circle.models.referral import (
    BUSINESS_KINDS,
    REFERRAL_KINDS,
    REFERRAL_STATUSES,
    SPHERES,
    ClosedBusiness,
    Referral,
)
from circle.models.roles import OFFICER_ROLES, MembershipRole
from circle.models.session import RememberToken, UserSession
from circle.models.token import ApiToken
from circle.models.two_factor import RecoveryCode
from circle.models.user import User
from circle.models.visitor import Visitor, VisitorVisit

__all__ = [
    "ATTENDANCE_CODES",
    "BUSINESS_KINDS",
    "IMAGE_KINDS",
    "IMAGE_SIZES",
    "LIVE_STATUSES",
    "MAX_WISHES",
    "MEETING_STATUSES",
    "MEMBERSHIP_STATUSES",
    "OFFICER_ROLES",
    "OUTBOX_STATUSES",
    "PAIR_TOTAL_KINDS",
    "PROFILE_LIMITS",
    "REFERRAL_KINDS",
    "REFERRAL_STATUSES",
    "REPLY_ANSWERS",
    "ROLES",
    "SPHERES",
    "WISH_KINDS",
    "WISH_LIMIT",
    "AbsenceWarningSent",
    "ApiToken",
    "Attendance",
    "AuditEntry",
    "Circle",
    "ClosedBusiness",
    "DuesPlan",
    "DuesReminderSent",
    "DuesSubscription",
    "EducationCredit",
    "ExternalParty",
    "Import",
    "ImportJob",
    "Invitation",
    "Meeting",
    "MeetingReply",
    "MemberMonth",
    "Membership",
    "MembershipRole",
    "OneToOne",
    "OtherSlip",
    "OutboxMail",
    "PairTotal",
    "Payment",
    "Profession",
    "Profile",
    "ProfileImage",
    "RecoveryCode",
    "Referral",
    "ReferralWish",
    "RememberToken",
    "ReminderSent",
    "StripeEvent",
    "User",
    "UserSession",
    "Visitor",
    "VisitorVisit",
    "WeeklyReport",
    "party_key",
    "profession_key",
]
