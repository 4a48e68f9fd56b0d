"""Officer roles a member holds in a circle (president, vice president, ...); several per member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime

#: Officer roles; every active member is also a plain "member" without a row here.
OFFICER_ROLES = (
    "president",
    "vice_president",
    "secretary_treasurer",
    "membership_committee",
    "visitor_host",
)


class MembershipRole(Base):
    """One officer role held by one membership of the same circle."""

    __tablename__ = "membership_roles"
    __table_args__ = (
        UniqueConstraint(
            "membership_id",
            "role",
            "circle_id",
            name="uq_membership_roles_membership_id_role_circle_id",
        ),
        ForeignKeyConstraint(
            ["circle_id", "membership_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_membership_roles_membership_id_memberships",
        ),
        CheckConstraint(
            "role IN ('president', 'vice_president', 'secretary_treasurer', "
            "'membership_committee', 'visitor_host')",
            name="role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    membership_id: Mapped[int] = mapped_column()
    role: Mapped[str] = mapped_column(String(24))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
