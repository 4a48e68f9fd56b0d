"""Parties outside the circle: another chapter's member, a former member, an unknown name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime


def party_key(name: str) -> str:
    """Normalise a person's name: ``'Max  Muster'`` and ``' max muster'`` are one party."""
    return " ".join(name.split()).casefold()


class ExternalParty(Base):
    """A named party outside the circle; counts in totals, never in pair analysis."""

    __tablename__ = "external_parties"
    __table_args__ = (
        UniqueConstraint("circle_id", "key", name="uq_external_parties_circle_id_key"),
        UniqueConstraint("circle_id", "id", name="uq_external_parties_circle_id_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id"))
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
