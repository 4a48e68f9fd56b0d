"""An e-mailed invitation to a profession's seat; the link token is stored hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circle.db import Base, UTCDateTime, utcnow
from circle.models.profession import Profession


class Invitation(Base):
    """An invitation by e-mail; the invitee may not have an account yet."""

    __tablename__ = "invitations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["circle_id", "invited_by_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_invitations_circle_id_invited_by_id_memberships",
        ),
        Index("ix_invitations_circle_id", "circle_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    profession_id: Mapped[int] = mapped_column(ForeignKey("professions.id"))
    invited_by_id: Mapped[int] = mapped_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    profession: Mapped[Profession] = relationship(lazy="joined", innerjoin=True)

    def is_open(self, now: datetime) -> bool:
        """True while the invitation can still be accepted."""
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at
