"""A member's profile: what they do, whom they want to meet, and their pictures.

One profile per person (``users``), shown in every circle they sit in. The referral
wishes are structured entries of the strategy list from the source articles: regions,
industries, named companies, networks, target groups and press. Pictures (a photo and a
company logo) are stored re-encoded in the database, so every app instance serves them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from circle.core.clock import utcnow
from circle.db import Base, UTCDateTime

#: The kinds of referral wishes, in the order the profile shows them.
WISH_KINDS = ("region", "industry", "company", "network", "target_group", "press")
#: The pictures a profile may hold, and the sizes each is kept in (longest side, pixels).
IMAGE_KINDS = ("photo", "logo")
IMAGE_SIZES = {"small": 160, "large": 640}

#: Longest text per profile field (characters); the database checks the same limits.
PROFILE_LIMITS = {
    "company": 120,
    "description": 300,
    "website": 200,
    "phone": 40,
    "contact_email": 254,
    "region": 120,
    "keywords": 300,
    "ideal_referral": 300,
    "goals": 1000,
    "accomplishments": 1000,
    "interests": 1000,
    "networks": 1000,
    "skills": 1000,
}
#: Longest referral wish (characters) and most wishes per person.
WISH_LIMIT = 120
MAX_WISHES = 60


def _length_checks() -> tuple[CheckConstraint, ...]:
    """One CHECK per text column: at most its limit (SQLite does not enforce VARCHAR(n))."""
    return tuple(
        CheckConstraint(f"length({name}) <= {limit}", name=f"{name}_length")
        for name, limit in PROFILE_LIMITS.items()
    )


class Profile(Base):
    """The profile of one person; every text is "" until filled in."""

    __tablename__ = "profiles"
    __table_args__ = (
        *_length_checks(),
        CheckConstraint(
            "website = '' OR website LIKE 'https://%' OR website LIKE 'http://%'",
            name="website_scheme",
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    company: Mapped[str] = mapped_column(String(120), default="", server_default="")
    #: "What I do", in a sentence or two.
    description: Mapped[str] = mapped_column(String(300), default="", server_default="")
    website: Mapped[str] = mapped_column(String(200), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    #: The address fellow members may write to (may differ from the login).
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    region: Mapped[str] = mapped_column(String(120), default="", server_default="")
    #: Words to be found by, separated by commas.
    keywords: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: The ideal referral, in one sentence.
    ideal_referral: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The GAINS profile BNI members keep.
    goals: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    accomplishments: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    interests: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    networks: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    skills: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Profile of user {self.user_id}>"


class ReferralWish(Base):
    """One entry of a person's list of where they want to be referred."""

    __tablename__ = "referral_wishes"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('region', 'industry', 'company', 'network', 'target_group', 'press')",
            name="kind",
        ),
        CheckConstraint(f"length(text) BETWEEN 1 AND {WISH_LIMIT}", name="text_length"),
        CheckConstraint("position >= 0", name="position"),
        Index(
            "uq_referral_wishes_user_kind_text",
            "user_id",
            "kind",
            func.lower("text"),
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(WISH_LIMIT))
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<ReferralWish {self.kind} {self.text!r}>"


class ProfileImage(Base):
    """A photo or logo in one size, re-encoded without metadata (JPEG or PNG)."""

    __tablename__ = "profile_images"
    __table_args__ = (
        CheckConstraint("kind IN ('photo', 'logo')", name="kind"),
        CheckConstraint("size IN ('small', 'large')", name="size"),
        CheckConstraint("content_type IN ('image/jpeg', 'image/png')", name="content_type"),
        CheckConstraint("length(digest) = 64", name="digest"),
        CheckConstraint("width BETWEEN 1 AND 640 AND height BETWEEN 1 AND 640", name="dimensions"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    size: Mapped[str] = mapped_column(String(10), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    #: SHA-256 of ``data`` (hex): the ETag, and the version in the picture's URL.
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<ProfileImage {self.user_id} {self.kind} {self.size}>"
