"""All models, imported here so that metadata and Alembic see every table."""

from circle.models.circle import Circle
from circle.models.invitation import Invitation
from circle.models.membership import (
    LIVE_STATUSES,
    MEMBERSHIP_STATUSES,
    ROLES,
    Membership,
)
from circle.models.profession import Profession, profession_key
from circle.models.token import ApiToken
from circle.models.user import User

__all__ = [
    "LIVE_STATUSES",
    "MEMBERSHIP_STATUSES",
    "ROLES",
    "ApiToken",
    "Circle",
    "Invitation",
    "Membership",
    "Profession",
    "User",
    "profession_key",
]
