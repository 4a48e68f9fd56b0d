"""The platform-wide list of professions: one seat per profession in each circle.

A profession is found by its normalised key (case, spaces and hyphens folded), so
"Fotograf" and " fotograf " are the same seat.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from circle.core.errors import ValidationFailed
from circle.extensions import db
from circle.models import Profession, profession_key

MAX_PROFESSION_LENGTH = 120


def get_or_create_profession(name: str) -> Profession:
    """Find a profession by its normalised name or add it to the platform-wide list."""
    clean = " ".join(name.split())
    if not clean:
        raise ValidationFailed(_("Please enter a profession."), field="profession")
    if len(clean) > MAX_PROFESSION_LENGTH:
        raise ValidationFailed(
            _("A profession has at most %(n)s characters.", n=MAX_PROFESSION_LENGTH),
            field="profession",
        )
    key = profession_key(clean)
    existing = _profession_by_key(key)
    if existing is not None:
        return existing
    profession = Profession(name=clean, key=key)
    try:
        with db.session.begin_nested():
            db.session.add(profession)
    except IntegrityError:
        # Another request added the same profession a moment ago.
        existing = _profession_by_key(key)
        if existing is None:
            raise
        return existing
    return profession


def _profession_by_key(key: str) -> Profession | None:
    """Look a profession up by its normalised key."""
    return db.session.execute(select(Profession).where(Profession.key == key)).scalar_one_or_none()


def list_professions() -> list[Profession]:
    """All professions, by name."""
    return list(db.session.execute(select(Profession).order_by(Profession.name)).scalars())
