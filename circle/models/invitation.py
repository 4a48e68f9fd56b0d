"""An e-mailed invitation to a profession's seat; the link token is stored hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    false,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime
from circle.models.profession import Profession


class Invitation(Base):
    """An invitation by e-mail; the invitee may not have an account yet.

    To a seat (``visitor_id`` NULL, made by admins) or to apply (``visitor_id`` set, made by
    visitor hosts for a visitor).
    """

    __tablename__ = "invitations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["circle_id", "invited_by_id"],
            ["memberships.circle_id", "memberships.id"],
            name="fk_invitations_circle_id_invited_by_id_memberships",
        ),
        ForeignKeyConstraint(
            ["circle_id", "visitor_id"],
            ["visitors.circle_id", "visitors.id"],
            name="fk_invitations_circle_id_visitor_id_visitors",
        ),
        # The token is random; its hash is unique together with the circle, the hash first
        # so that following a link (which carries only the token) reads this index.
        UniqueConstraint("token_hash", "circle_id", name="uq_invitations_token_hash_circle_id"),
        Index("ix_invitations_circle_id", "circle_id"),
        Index("ix_invitations_circle_id_visitor_id", "circle_id", "visitor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    profession_id: Mapped[int] = mapped_column(ForeignKey("professions.id"))
    invited_by_id: Mapped[int] = mapped_column()
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The invitee said no (the reserved seat is free again).
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Made by "add a member": holds the seat and the profession until it is closed or expires.
    reserves_seat: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: An invitation to apply, mailed to this visitor: accepting makes an application
    #: (sponsored by the visitor's inviter), never a seat.
    visitor_id: Mapped[int | None] = mapped_column()

    profession: Mapped[Profession] = relationship(lazy="joined", innerjoin=True)

    def is_open(self, now: datetime) -> bool:
        """True while the invitation can still be accepted."""
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.declined_at is None
            and now < self.expires_at
        )


def still_open(now=None) -> tuple:
    """SQL conditions of an invitation that can still be accepted (``Invitation.is_open``):
    neither accepted, declined nor revoked, and not expired (expiry is read, not stored).
    ``now`` is a time, a bound parameter of a statement built once, or None (this moment).
    """
    return (
        Invitation.accepted_at.is_(None),
        Invitation.declined_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > (utcnow() if now is None else now),
    )


def reserving(now=None) -> tuple:
    """SQL conditions of an invitation that holds a seat now: made by "add a member" and
    ``still_open``."""
    return (Invitation.reserves_seat.is_(True), *still_open(now))


def first_seat_freed(circle_id, now=None):
    """As a column of a larger statement: when the first seat of the circle reserved for an
    invitee is freed (its invitation expires), NULL without any; the seats taken hold until
    then. ``circle_id`` and ``now`` as ``still_open`` takes them."""
    return (
        select(func.min(Invitation.expires_at))
        .where(Invitation.circle_id == circle_id, *reserving(now))
        .scalar_subquery()
    )
