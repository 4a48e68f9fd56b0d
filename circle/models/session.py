"""Server-side login sessions and "stay logged in" tokens; only SHA-256 hashes are stored.

A browser's session cookie carries a random session id; ``user_sessions`` holds its hash
and decides on every request whether the session still counts (not ended, within the
idle and absolute timeouts). A remember-me cookie carries a random token; each use
replaces it by a new one of the same ``chain``, and showing an already replaced token
again ends the whole chain (the cookie was copied).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circle.db import Base, UTCDateTime
from circle.models.user import User

#: How much of a browser's User-Agent header is kept for the account page.
USER_AGENT_LENGTH = 200
#: Long enough for an IPv6 address in text form.
ADDRESS_LENGTH = 45


class UserSession(Base):
    """One login in one browser: from the login until logout, timeout or revocation."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id_ended_at", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: SHA-256 of the session id in the browser's cookie; the id itself is never stored.
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The remember-me chain this session was started with or from, if any.
    remember_chain: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The last request, written at most every ``sessions.TOUCH_EVERY`` seconds.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_LENGTH), default="")
    client_address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), default="")

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class RememberToken(Base):
    """One "stay logged in" token; replaced (``rotated_at``) each time it starts a session."""

    __tablename__ = "remember_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: Random id shared by a token and the tokens that replaced it (not secret).
    chain: Mapped[str] = mapped_column(String(32), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: REMEMBER_DAYS after the login that ticked the box; replacing keeps the date.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)
