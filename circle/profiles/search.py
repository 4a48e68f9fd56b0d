"""Searching a circle's members: names, professions, companies, descriptions and wishes.

One index row per active membership (``profile_search``) holds a *document*: the words of
the member's name, profession, company, "what I do", ideal referral, keywords, region,
networks, skills and referral wishes, each word written as itself and as its German and
English Snowball stem (the stemmers PostgreSQL's ``german`` and ``english`` configurations
use), folded to lower-case ASCII. PostgreSQL searches it with full text search (``simple``
configuration; the document's ``tsvector`` is stored beside it, ``words``, with a GIN
index), SQLite with FTS5: both see the same plain words, so both find
the same members, and the order (best first, then by name) is computed here alike.
Typing "Hochzeiten", "hochzeit" or "Hochz" finds the wedding planner.

The index follows every flush that changes a profile, a wish, a membership or a name
(``after_flush``), so no service has to remember it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import snowballstemmer
from sqlalchemy import TextClause, bindparam, event, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from circle.models import (
    Membership,
    Profession,
    Profile,
    ReferralWish,
    User,
)

#: The profile fields that are searched (with the name, profession and wishes).
SEARCHED_FIELDS = (
    "company",
    "description",
    "ideal_referral",
    "keywords",
    "region",
    "networks",
    "skills",
)
#: At most this many words of a query count; longer words are cut.
MAX_QUERY_WORDS = 8
MAX_WORD = 40

_GERMAN = snowballstemmer.stemmer("german")
_ENGLISH = snowballstemmer.stemmer("english")
_WORD = re.compile(r"\w+")


def fold(word: str) -> str:
    """Lower-case ASCII: "Kölner" -> "kolner", "Straße" -> "strasse"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def words(value: str) -> list[str]:
    """The words of a text as they are typed (lower-case, umlauts kept), two letters up."""
    return [w for w in _WORD.findall(value.casefold().replace("_", " ")) if len(w) > 1]


def forms(word: str) -> set[str]:
    """A word as itself and as its German and English stem, each folded to ASCII."""
    out = {fold(word), fold(_GERMAN.stemWord(word)), fold(_ENGLISH.stemWord(word))}
    return {form[:MAX_WORD] for form in out if len(form) > 1}


def document(texts: Iterable[str]) -> str:
    """The index document of some texts: every form of every word, space-separated."""
    found: list[str] = []
    seen: set[str] = set()
    for value in texts:
        for word in words(value or ""):
            for form in sorted(forms(word)):
                if form not in seen:
                    seen.add(form)
                    found.append(form)
    return " ".join(found)


#: Words that say nothing about a need ("Steuerberatung für eine Arztpraxis").
_STOP_TEXT = (
    "der die das den dem des ein eine einen einem einer eines und oder für fur mit von"
    " vom zu zum zur im in am an auf aus bei nach ich wir sie er es ihr mein meine unser"
    " sucht suche braucht brauche jemand jemanden etwas neue neuen neuer"
    " the a an and or for with of to in on at by from my our who someone needs need new"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())
#: "Who fits?" also matches words that begin like a typed word's stem, cut to this length:
#: "Arztpraxis" finds "Arztpraxen", "Steuerberatung" finds "Steuerberater".
FIT_PREFIX = 7


@dataclass(frozen=True)
class Group:
    """One typed word: its forms, and a prefix it may also match."""

    forms: frozenset[str]
    prefix: str | None = None

    def met_by(self, present: set[str], tokens: list[str]) -> bool:
        """True when a document word (``present``: the set of its ``tokens``) is one of the
        forms or begins with the prefix."""
        if not self.forms.isdisjoint(present):
            return True
        return bool(self.prefix) and any(token.startswith(self.prefix) for token in tokens)


@dataclass(frozen=True)
class Query:
    """A parsed search: per typed word its forms (and a prefix); every word must match
    (the directory) or any word may (``any_word``: "who fits?", best first)."""

    groups: list[Group]
    any_word: bool = False

    @property
    def is_empty(self) -> bool:
        """True when nothing searchable was typed."""
        return not self.groups

    def postgres(self) -> str:
        """The ``to_tsquery('simple', …)`` text."""
        parts = []
        for group in self.groups:
            options = sorted(group.forms)
            if group.prefix:
                options.append(f"{group.prefix}:*")
            parts.append("(" + " | ".join(options) + ")")
        return (" | " if self.any_word else " & ").join(parts)

    def sqlite(self) -> str:
        """The FTS5 ``MATCH`` text with the same meaning."""
        parts = []
        for group in self.groups:
            options = [f'"{form}"' for form in sorted(group.forms)]
            if group.prefix:
                options.append(f'"{group.prefix}"*')
            parts.append("(" + " OR ".join(options) + ")")
        return (" OR " if self.any_word else " AND ").join(parts)

    def score(self, doc: str) -> tuple[int, int]:
        """How well a document fits: the typed words it matches, then its matching words
        (a word matches a typed word when it is one of its forms or begins with its prefix).
        Sets and ``str.startswith`` with a tuple: a directory of 40 cards scores 3,000
        words a search."""
        tokens = doc.split()
        present = set(tokens)
        words_met = sum(1 for group in self.groups if group.met_by(present, tokens))
        forms = frozenset().union(*(group.forms for group in self.groups))
        prefixes = tuple(group.prefix for group in self.groups if group.prefix)
        hits = sum(
            1 for token in tokens if token in forms or (prefixes and token.startswith(prefixes))
        )
        return words_met, hits


def parse(query: str, *, any_word: bool = False) -> Query:
    """Parse a search (every word must match; the last one also as a prefix, for typing)
    or, with ``any_word``, a "who fits?" description (stop words dropped, any word may
    match, each also by the beginning of its stem)."""
    typed = words(query or "")
    if any_word:
        typed = [word for word in typed if word not in STOP_WORDS]
    typed = typed[:MAX_QUERY_WORDS]
    groups = []
    for index, word in enumerate(typed):
        found = frozenset(forms(word))
        if not found:
            continue
        prefix = None
        if any_word:
            stem = fold(_GERMAN.stemWord(word))
            prefix = stem[:FIT_PREFIX] if len(stem) >= 4 else None
        elif index == len(typed) - 1:
            prefix = fold(word)[:MAX_WORD] if len(fold(word)) > 1 else None
        groups.append(Group(found, prefix))
    return Query(groups, any_word)


# --- reading -------------------------------------------------------------------------------


def matching_members(connection: Connection, circle_id: int, query: Query) -> dict[int, str]:
    """Membership id -> document of the circle's members that match the query."""
    if query.is_empty:
        return {}
    dialect = connection.dialect.name
    searched = query.postgres() if dialect == "postgresql" else query.sqlite()
    rows = connection.execute(_search_statement(dialect), {"circle": circle_id, "query": searched})
    return {int(membership_id): doc for membership_id, doc in rows}


@cache
def _search_statement(dialect: str) -> TextClause:
    """The statement of ``matching_members`` on a dialect: PostgreSQL's full text search or
    SQLite's FTS5 (built once per dialect and process; the circle and the query bound)."""
    if dialect == "postgresql":
        return text(
            "SELECT membership_id, document FROM profile_search "
            "WHERE circle_id = :circle AND words @@ to_tsquery('simple', :query)"
        )
    return text(
        "SELECT membership_id, document FROM profile_search "
        "WHERE profile_search MATCH :query AND circle_id = :circle"
    )


# --- keeping the index ---------------------------------------------------------------------


def documents_of(connection: Connection, user_ids: Iterable[int]) -> list[dict]:
    """The index rows of the active memberships of these users."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    members = connection.execute(
        select(
            Membership.id,
            Membership.circle_id,
            Membership.user_id,
            User.stored_name,
            User.erased_at,
            Profession.name,
        )
        .join(User, User.id == Membership.user_id)
        .outerjoin(Profession, Profession.id == Membership.profession_id)
        .where(Membership.user_id.in_(ids), Membership.status == "active")
    ).all()
    if not members:
        return []
    seated = sorted({row[2] for row in members})
    profiles = {
        row.user_id: row
        for row in connection.execute(select(Profile).where(Profile.user_id.in_(seated))).all()
    }
    wishes: dict[int, list[str]] = {}
    if profiles:  # wishes are saved with a profile
        for user_id, wish in connection.execute(
            select(ReferralWish.user_id, ReferralWish.text).where(
                ReferralWish.user_id.in_(sorted(profiles))
            )
        ):
            wishes.setdefault(user_id, []).append(wish)
    rows = []
    for membership_id, circle_id, user_id, name, erased_at, profession in members:
        profile = profiles.get(user_id)
        texts = [] if erased_at is not None else [name]
        texts.append(profession or "")
        if profile is not None:
            texts += [getattr(profile, field) for field in SEARCHED_FIELDS]
        texts += wishes.get(user_id, [])
        rows.append(
            {
                "membership_id": membership_id,
                "circle_id": circle_id,
                "user_id": user_id,
                "document": document(texts),
            }
        )
    return rows


def refresh(connection: Connection, user_ids: Iterable[int]) -> None:
    """Write the index rows of these users anew (their active memberships only)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    connection.execute(
        text("DELETE FROM profile_search WHERE user_id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": ids},
    )
    rows = documents_of(connection, ids)
    if not rows:
        return
    insert = (
        "INSERT INTO profile_search (membership_id, circle_id, user_id, document) "
        "VALUES (:membership_id, :circle_id, :user_id, :document)"
    )
    if connection.dialect.name == "postgresql":
        # Two requests may re-index the same member at once: the later one wins. The
        # key is (membership_id, circle_id) (migration 0023); a seat never changes circle.
        insert += (
            " ON CONFLICT (membership_id, circle_id) DO UPDATE SET "
            "user_id = excluded.user_id, document = excluded.document"
        )
    connection.execute(text(insert), rows)


def rebuild(connection: Connection) -> int:
    """Index every active membership anew (after the migration, or to repair); the count."""
    connection.execute(text("DELETE FROM profile_search"))
    users = (
        connection.execute(
            select(Membership.user_id).where(Membership.status == "active").distinct()
        )
        .scalars()
        .all()
    )
    refresh(connection, users)
    return len(users)


#: Per model: the user whose document a row belongs to, and the attributes that matter
#: (None: any change, a new or a deleted row).
_FOLLOWED = {
    Profile: (lambda row: row.user_id, None),
    ReferralWish: (lambda row: row.user_id, None),
    Membership: (lambda row: row.user_id, ("status", "profession_id", "circle_id")),
    User: (lambda row: row.id, ("stored_name", "erased_at")),
}


def _matters(row, attributes: tuple[str, ...] | None, is_dirty: bool) -> bool:
    """True unless only attributes that are not searched changed on a dirty row."""
    if attributes is None or not is_dirty:
        return True
    state = inspect(row)
    return any(state.attrs[name].history.has_changes() for name in attributes)


@event.listens_for(Session, "after_flush")
def _follow_changes(session: Session, _context) -> None:
    """Re-index the users whose profile, wishes, seats or name this flush changed."""
    changed = set()
    dirty = set(session.dirty)
    for row in (*session.new, *dirty, *session.deleted):
        followed = _FOLLOWED.get(type(row))
        if followed is None or (type(row) is User and row not in dirty):
            continue  # a new account has no seat yet: its memberships bring it in
        owner, attributes = followed
        if owner(row) is not None and _matters(row, attributes, row in dirty):
            changed.add(owner(row))
    if changed:
        refresh(session.connection(), changed)
