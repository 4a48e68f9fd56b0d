"""The circle directory: a card per active member, all of them or those a search finds.

Two statements at most: the search (``circle.profiles.search``) and one query for the
cards (member, name, profession, company, "what I do", the photo's version, whether an
admin, since when a member).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Select, and_, bindparam, select

from circle.extensions import db
from circle.models import Circle, Membership, Profession, Profile, ProfileImage, User
from circle.profiles.search import matching_members, parse


@dataclass(frozen=True)
class Card:
    """One member as the directory shows them."""

    membership_id: int
    user_id: int
    name: str
    profession: str
    company: str
    description: str
    photo: str | None  # the small photo's digest (its URL version), if there is one
    is_admin: bool = False
    joined_at: datetime | None = None


def directory(circle: Circle, query: str = "", *, fit: bool = False) -> list[Card]:
    """The circle's active members: best matches first for a query, else by name.

    ``fit``: the query describes what a contact needs ("who fits?"): any of its words may
    match, members matching more of them first.
    """
    parsed = parse(query, any_word=fit)
    found: dict[int, str] | None = None
    if query.strip():
        found = matching_members(db.session.connection(), circle.id, parsed)
        if not found:
            return []
    values = {"directory_circle": circle.id}
    if found is not None:
        values["directory_found"] = list(found)
    statement = _cards_statement(found is not None)
    cards = [
        Card(
            membership_id=row[0],
            user_id=row[1],
            name=row.User.name,
            profession=row[5] or "",
            company=row[6] or "",
            description=row[7] or "",
            photo=row[8],
            is_admin=row[2] == "admin",
            joined_at=row[3],
        )
        for row in db.session.execute(statement, values).all()
    ]
    if found is None:
        return sorted(cards, key=lambda card: card.name.casefold())

    def rank(card: Card) -> tuple:
        words_met, hits = parsed.score(found[card.membership_id])
        return (-words_met, -hits, card.name.casefold())

    return sorted(cards, key=rank)


@cache
def _cards_statement(of_found: bool) -> Select:
    """The statement of ``directory``: every active member, or those a search found (built
    once each per process)."""
    statement = (
        select(
            Membership.id,
            Membership.user_id,
            Membership.role,
            Membership.joined_at,
            User,
            Profession.name,
            Profile.company,
            Profile.description,
            ProfileImage.digest,
        )
        .join(User, User.id == Membership.user_id)
        .outerjoin(Profession, Profession.id == Membership.profession_id)
        .outerjoin(Profile, Profile.user_id == Membership.user_id)
        .outerjoin(
            ProfileImage,
            and_(
                ProfileImage.user_id == Membership.user_id,
                ProfileImage.kind == "photo",
                ProfileImage.size == "small",
            ),
        )
        .where(Membership.circle_id == bindparam("directory_circle"), Membership.status == "active")
    )
    if of_found:
        statement = statement.where(Membership.id.in_(bindparam("directory_found", expanding=True)))
    return statement
