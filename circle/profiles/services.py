"""Member profiles: reading, saving and their pictures (issue 14, item 1).

A profile belongs to the person (one per user) and shows in every circle they sit in.
Its owner edits it; fellow active members of a shared circle read it
(``may_see_profile``); nobody else learns that it exists. Saving checks every field
first and writes nothing when one is refused; a refused picture leaves the old one.
Profiles are the owner's description of themselves, edited in place (not slips between
members, so not audited); they are part of the data export and go with the account.
Services only flush.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.orm import aliased

from circle.core.checks import refused_characters
from circle.core.clock import utcnow
from circle.core.errors import ValidationFailed
from circle.core.ids import is_id
from circle.extensions import db
from circle.models import (
    IMAGE_KINDS,
    MAX_WISHES,
    PROFILE_LIMITS,
    WISH_KINDS,
    WISH_LIMIT,
    Membership,
    Profile,
    ProfileImage,
    ReferralWish,
    User,
)
from circle.profiles.images import encode

#: The free texts of a profile that may span lines (the rest are single lines).
MULTI_LINE = frozenset({"goals", "accomplishments", "interests", "networks", "skills"})


@dataclass(frozen=True)
class ProfileInput:
    """What the profile form sends: every text field, and the wishes by kind."""

    company: str = ""
    description: str = ""
    website: str = ""
    phone: str = ""
    contact_email: str = ""
    region: str = ""
    keywords: str = ""
    ideal_referral: str = ""
    goals: str = ""
    accomplishments: str = ""
    interests: str = ""
    networks: str = ""
    skills: str = ""
    #: kind -> entries in the order given (one per line in the form).
    wishes: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ProfileView:
    """A profile as shown: its texts (all "" when never saved), wishes and pictures."""

    user_id: int
    profile: Profile | None
    wishes: dict[str, list[str]]
    #: kind -> digest of the stored picture (the URL's version), for the kinds that exist.
    pictures: dict[str, str]

    @property
    def is_empty(self) -> bool:
        """True when nothing at all is filled in."""
        texts = [getattr(self.profile, name) for name in PROFILE_LIMITS] if self.profile else []
        return not any(texts) and not any(self.wishes.values()) and not self.pictures

    def text(self, name: str) -> str:
        """One text field ("" when never saved)."""
        return getattr(self.profile, name) if self.profile is not None else ""


def _pictures(user_id) -> list:
    """Per kind of picture (``IMAGE_KINDS``), the digest of its large size as a scalar
    subquery (NULL when there is none), for ``user_id`` (a value or a column)."""
    return [
        select(ProfileImage.digest)
        .where(
            ProfileImage.user_id == user_id,
            ProfileImage.kind == kind,
            ProfileImage.size == "large",
        )
        .scalar_subquery()
        for kind in IMAGE_KINDS
    ]


def _view(user_id: int, profile: Profile | None, digests, *, wishes: bool) -> ProfileView:
    """A ``ProfileView`` from a row read with ``_pictures``; the wishes are one more
    statement (``wishes=False``: left out, as the contact card needs none)."""
    pictures = {kind: digest for kind, digest in zip(IMAGE_KINDS, digests, strict=True) if digest}
    found: dict[str, list[str]] = {}
    if wishes:
        found = {kind: [] for kind in WISH_KINDS}
        for wish in db.session.execute(_wishes_statement(), {"wish_user": user_id}).scalars():
            found[wish.kind].append(wish.text)
    return ProfileView(user_id, profile, found, pictures)


@cache
def _wishes_statement() -> Select:
    """The wishes' statement of ``_view`` (built once per process)."""
    return (
        select(ReferralWish)
        .where(ReferralWish.user_id == bindparam("wish_user"))
        .order_by(ReferralWish.kind, ReferralWish.position)
    )


def profile_view(user_id: int, *, wishes: bool = True) -> ProfileView:
    """The profile of ``user_id`` with its pictures (one statement) and its wishes (one
    more, unless ``wishes=False``)."""
    row = db.session.execute(_profile_statement(), {"profile_user": user_id}).one_or_none()
    profile, *digests = row if row is not None else (None, *(None for _kind in IMAGE_KINDS))
    return _view(user_id, profile, digests, wishes=wishes)


@cache
def _profile_statement() -> Select:
    """The statement of ``profile_view`` (built once per process)."""
    return (
        select(Profile, *_pictures(User.id))
        .select_from(User)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id == bindparam("profile_user"))
    )


def member_profile(
    circle_id: int, member_id: int, *, wishes: bool = True
) -> tuple[Membership, ProfileView] | None:
    """An active member of the circle with their profile and pictures, in one statement
    (and the wishes in one more, unless ``wishes=False``); None for any other id."""
    if not is_id(member_id):
        return None
    values = {"profile_circle": circle_id, "profile_member": member_id}
    row = db.session.execute(_member_profile_statement(), values).one_or_none()
    if row is None:
        return None
    member, profile, *digests = row
    return member, _view(member.user_id, profile, digests, wishes=wishes)


@cache
def _member_profile_statement() -> Select:
    """The statement of ``member_profile`` (built once per process)."""
    return (
        select(Membership, Profile, *_pictures(Membership.user_id))
        .outerjoin(Profile, Profile.user_id == Membership.user_id)
        .where(
            Membership.circle_id == bindparam("profile_circle"),
            Membership.id == bindparam("profile_member"),
            Membership.status == "active",
        )
    )


def profile_views(user_ids: list[int]) -> dict[int, ProfileView]:
    """The profiles of many people at once (two statements; wishes left out)."""
    ids = sorted(set(user_ids))
    profiles = {
        profile.user_id: profile
        for profile in db.session.execute(select(Profile).where(Profile.user_id.in_(ids))).scalars()
    }
    pictures: dict[int, dict[str, str]] = {}
    for user_id, kind, digest in db.session.execute(
        select(ProfileImage.user_id, ProfileImage.kind, ProfileImage.digest).where(
            ProfileImage.user_id.in_(ids), ProfileImage.size == "large"
        )
    ):
        pictures.setdefault(user_id, {})[kind] = digest
    return {
        user_id: ProfileView(user_id, profiles.get(user_id), {}, pictures.get(user_id, {}))
        for user_id in ids
    }


#: The viewer's and the owner's memberships in one statement (aliases are made once:
#: making one costs about a millisecond).
_MINE, _THEIRS = aliased(Membership, name="mine"), aliased(Membership, name="theirs")


def may_see_profile(viewer: User, owner_id: int) -> bool:
    """The owner, or an active member of a circle in which the owner is active too."""
    if viewer.id == owner_id:
        return True
    mine, theirs = _MINE, _THEIRS
    shared = db.session.execute(
        select(mine.id)
        .join(theirs, theirs.circle_id == mine.circle_id)
        .where(
            mine.user_id == viewer.id,
            mine.status == "active",
            theirs.user_id == owner_id,
            theirs.status == "active",
        )
        .limit(1)
    ).first()
    return shared is not None


def save_profile(user: User, data: ProfileInput) -> Profile:
    """Check every field, then store the profile and replace the wishes; all or nothing."""
    texts = {name: _checked_text(name, getattr(data, name)) for name in PROFILE_LIMITS}
    texts["website"] = _checked_website(texts["website"])
    texts["contact_email"] = _checked_email(texts["contact_email"])
    wishes = _checked_wishes(data.wishes)
    profile = db.session.get(Profile, user.id)
    if profile is None:
        profile = Profile(user_id=user.id)
        db.session.add(profile)
    for name, value in texts.items():
        setattr(profile, name, value)
    profile.updated_at = utcnow()
    db.session.execute(delete(ReferralWish).where(ReferralWish.user_id == user.id))
    db.session.add_all(
        ReferralWish(user_id=user.id, kind=kind, text=text, position=position)
        for kind, entries in wishes.items()
        for position, text in enumerate(entries)
    )
    db.session.flush()
    return profile


def set_picture(user: User, kind: str, upload: bytes) -> str:
    """Store an uploaded photo or logo in every size, replacing the old one; its digest.

    A refused file (ValidationFailed) changes nothing.
    """
    if kind not in IMAGE_KINDS:
        raise ValidationFailed(_("Unknown kind of picture."), field="picture")
    sizes = encode(upload, kind)  # refuses before anything is written
    remove_picture(user, kind)
    for encoded in sizes:
        db.session.add(
            ProfileImage(
                user_id=user.id,
                kind=kind,
                size=encoded.size,
                content_type=encoded.content_type,
                data=encoded.data,
                width=encoded.width,
                height=encoded.height,
                digest=encoded.digest,
            )
        )
    db.session.flush()
    return next(encoded.digest for encoded in sizes if encoded.size == "large")


def remove_picture(user: User, kind: str) -> None:
    """Remove the user's photo or logo (every size)."""
    db.session.execute(
        delete(ProfileImage).where(ProfileImage.user_id == user.id, ProfileImage.kind == kind)
    )


def picture(user_id: int, kind: str, size: str) -> ProfileImage | None:
    """One stored picture, or None."""
    return db.session.get(ProfileImage, (user_id, kind, size))


def erase_profile(user_id: int) -> None:
    """Delete the profile, the wishes and the pictures of an erased account."""
    for model in (ProfileImage, ReferralWish, Profile):
        db.session.execute(delete(model).where(model.user_id == user_id))


# --- checks ----------------------------------------------------------------------------


def _checked_text(name: str, value: str | None) -> str:
    """A trimmed text within its limit and without control characters."""
    value = (value or "").strip()
    if len(value) > PROFILE_LIMITS[name]:
        raise ValidationFailed(
            _("At most %(n)s characters, please.", n=PROFILE_LIMITS[name]), field=name
        )
    if refused_characters(value, multi_line=name in MULTI_LINE):
        raise ValidationFailed(_("This text holds characters that are not allowed."), field=name)
    return value


def _checked_website(value: str) -> str:
    """An http(s) address; a bare host gets ``https://`` in front."""
    if not value:
        return ""
    if "://" not in value:
        value = "https://" + value
    scheme, _sep, rest = value.partition("://")
    if scheme.lower() not in ("http", "https") or not rest or " " in rest:
        raise ValidationFailed(
            _("Please enter a web address such as https://example.org."), field="website"
        )
    value = scheme.lower() + "://" + rest
    if len(value) > PROFILE_LIMITS["website"]:
        raise ValidationFailed(
            _("At most %(n)s characters, please.", n=PROFILE_LIMITS["website"]), field="website"
        )
    return value


def _checked_email(value: str) -> str:
    """A syntactically valid address (no lookup), or ""."""
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationFailed(
            _("Please enter a valid e-mail address."), field="contact_email"
        ) from None


def _checked_wishes(wishes: dict[str, list[str]]) -> dict[str, list[str]]:
    """Trimmed wishes per known kind, duplicates (regardless of case) dropped."""
    out: dict[str, list[str]] = {}
    total = 0
    for kind in WISH_KINDS:
        seen: set[str] = set()
        entries = []
        for raw in wishes.get(kind, []):
            text = " ".join((raw or "").split())
            if not text or text.casefold() in seen:
                continue
            if len(text) > WISH_LIMIT or refused_characters(text):
                raise ValidationFailed(
                    _("Each wish is one line of at most %(n)s characters.", n=WISH_LIMIT),
                    field=f"wishes_{kind}",
                )
            seen.add(text.casefold())
            entries.append(text)
        total += len(entries)
        out[kind] = entries
    if total > MAX_WISHES:
        raise ValidationFailed(
            _("At most %(n)s wishes in all, please.", n=MAX_WISHES), field="wishes_region"
        )
    return out
