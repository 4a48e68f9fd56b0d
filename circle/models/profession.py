"""The platform-wide list of professions (Berufsgruppen)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime


def profession_key(name: str) -> str:
    """Normalise a profession name: ``' FOTOGRAF '`` and ``'Fotograf'`` share one key."""
    return " ".join(name.split()).casefold()


class Profession(Base):
    """A profession; ``key`` is the normalised name and unique."""

    __tablename__ = "professions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Profession {self.id} {self.name}>"
