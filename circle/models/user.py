"""A person with a login; the same user may sit in several circles."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Index, String, func, text, true
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime


def shown_name(stored_name: str, erased_at: datetime | None) -> str:
    """The name shown for a user: the stored one, or "Former member" in the UI language
    once the account was erased (``User.name``, and lists read without the user object)."""
    if erased_at is not None:
        return gettext("Former member")
    return stored_name


class User(UserMixin, Base):
    """A registered person. E-mail addresses are unique regardless of case."""

    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_email_lower", func.lower("email"), unique=True),
        CheckConstraint("locale IN ('de', 'en')", name="locale"),
        CheckConstraint("length(email) >= 3", name="email_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    #: The stored name; read ``name``, which shows an erased account as "Former member".
    stored_name: Mapped[str] = mapped_column("name", String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="de")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Raised by logout-everywhere and password changes: older session cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the account was erased at the owner's request (personal fields replaced).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Two-factor login: the TOTP secret, encrypted (``circle.auth.twofactor``); set while
    #: enrolling, on from ``two_factor_enabled_at``; the last accepted 30-second time step
    #: (a code is never accepted twice).
    two_factor_secret: Mapped[str | None] = mapped_column(String(255))
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    two_factor_last_step: Mapped[int | None] = mapped_column()
    #: When the owner proved the address by a mailed link (or an invitation mailed to it).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A new address asked for; it replaces ``email`` only once its link is followed.
    pending_email: Mapped[str | None] = mapped_column(String(254))
    #: The reminders the user chose to get (``circle.reminders.choices``): the weekly one
    #: the day before a meeting, the notice after an absence, overdue dues, and (for
    #: officers who see who is at risk) the weekly warning of seats at risk.
    remind_weekly: Mapped[bool] = mapped_column(default=True, server_default=true())
    remind_absence: Mapped[bool] = mapped_column(default=True, server_default=true())
    remind_dues: Mapped[bool] = mapped_column(default=True, server_default=true())
    remind_risk: Mapped[bool] = mapped_column(default=True, server_default=true())

    @hybrid_property
    def name(self) -> str:
        """The display name; an erased account reads "Former member" in the UI language."""
        return shown_name(self.stored_name, self.erased_at)

    @name.inplace.setter
    def _name_setter(self, value: str) -> None:
        """Store a new name."""
        self.stored_name = value

    @name.inplace.expression
    @classmethod
    def _name_expression(cls):
        """In SQL, ``User.name`` is the stored column."""
        return cls.stored_name

    @property
    def email_verified(self) -> bool:
        """True once the owner confirmed the account's address."""
        return self.email_verified_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
