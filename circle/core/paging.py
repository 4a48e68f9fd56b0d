"""Pages of a long list: numbered pages of a list of known length, and keyset pages of a
list that grows with the history (see "keyset paging" below).

A page number comes from the query string; anything that is not a small number is page 1,
and a number past the end is the last page, so a link from a shorter list never fails.
A keyset position that does not parse is ignored the same way: the first page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, tuple_

from circle.core.ids import is_id

T = TypeVar("T")


@dataclass(frozen=True)
class Pages:
    """Page ``page`` of ``pages`` over ``total`` items, ``per_page`` each."""

    page: int
    pages: int
    total: int
    per_page: int

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.page - 1) * self.per_page

    @property
    def first(self) -> int:
        """The 1-based number of this page's first item (0 when there are none)."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        """The 1-based number of this page's last item."""
        return min(self.offset + self.per_page, self.total)

    @property
    def has_previous(self) -> bool:
        """True when a page comes before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """True when a page comes after this one."""
        return self.page < self.pages


def page_number(raw: str | None) -> int:
    """A page number from the query string; anything that is not a small number is 1."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        return 1
    return int(raw)


def pages_for(total: int, page: int, per_page: int) -> Pages:
    """The pages over ``total`` items, with ``page`` clamped to those that exist."""
    pages = max(1, -(-total // per_page))
    return Pages(min(max(page, 1), pages), pages, total, per_page)


# --- keyset paging --------------------------------------------------------------------
#
# A list that grows at the top (the audit trail, visitors, a member's one-to-ones) is
# paged by where the reader left it rather than by page number: "older" carries the
# (key, id) of the last entry shown, "newer" that of the first. The database seeks to
# that place through an index on (…, key, id) and reads one page: no OFFSET over the
# history and no COUNT of it, so a page costs the same at any history length, and an
# entry that arrives while someone pages neither repeats nor hides an entry.

#: A position as text: ``20261204T072859123456_35543`` (a UTC timestamp to the
#: microsecond) or ``2026-12-04_123`` (a day), then the entry's id.
_POSITION = re.compile(r"([0-9]{8}T[0-9]{12}|[0-9]{4}-[0-9]{2}-[0-9]{2})_([0-9]{1,10})")
_STAMP = "%Y%m%dT%H%M%S%f"


@dataclass(frozen=True, order=True)
class Position:
    """One entry's place in a list ordered by ``(key, id)``: its key and its id."""

    key: date | datetime
    id: int

    def text(self) -> str:
        """The position as it travels in a link (see ``parse_position``)."""
        if isinstance(self.key, datetime):
            return f"{self.key.astimezone(UTC).strftime(_STAMP)}_{self.id}"
        return f"{self.key.isoformat()}_{self.id}"


def parse_position(raw: str | None, kind: type[date]) -> Position | None:
    """A position from a link, keyed by a ``datetime`` (UTC) or a ``date`` (``kind``).

    Anything else is None (the caller shows the first page): garbage, a key of the other
    kind, an impossible day, an id no database row can have.
    """
    found = _POSITION.fullmatch(raw) if raw and len(raw) <= 40 else None
    if found is None:
        return None
    stamp, number = found.groups()
    try:
        if kind is datetime and "T" in stamp:
            key: date = datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
        elif kind is date and "T" not in stamp:
            key = date.fromisoformat(stamp)
        else:
            return None
    except ValueError:
        return None
    return Position(key, int(number)) if is_id(int(number)) else None


@dataclass(frozen=True)
class Keyset:
    """The page of a newest-first list a request asks for: the first one, the entries just
    older than ``before``, or those just newer than ``after``.

    ``prefix`` names its query parameters (``{prefix}before``, ``{prefix}after``), so that
    two lists on one page keep their places apart.
    """

    before: Position | None = None
    after: Position | None = None
    prefix: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str], kind: type[date], prefix: str = "") -> Keyset:
        """The page asked for in a query string; a position that does not parse is ignored
        (``before`` wins over ``after`` when a link carries both)."""
        before = parse_position(args.get(f"{prefix}before"), kind)
        after = None if before else parse_position(args.get(f"{prefix}after"), kind)
        return cls(before, after, prefix)

    @property
    def is_first(self) -> bool:
        """True for the newest page."""
        return self.before is None and self.after is None

    @property
    def way(self) -> str:
        """Which way the page is read: ``first`` (the newest), ``older`` (before a
        position) or ``newer`` (after one): a statement of ``keyset_bound`` per way."""
        if self.after is not None:
            return "newer"
        return "older" if self.before is not None else "first"

    def bound(self) -> dict[str, object]:
        """The position as the bound values of ``keyset_bound``'s statement."""
        position = self.after or self.before
        return {} if position is None else {"keyset_key": position.key, "keyset_id": position.id}

    def args(self) -> dict[str, str]:
        """Its query parameters (empty on the first page): where this list stays while
        another list on the same page moves."""
        out = {}
        if self.before is not None:
            out[f"{self.prefix}before"] = self.before.text()
        if self.after is not None:
            out[f"{self.prefix}after"] = self.after.text()
        return out


def keyset_bound(
    query: Select, key: ColumnElement, id_column: ColumnElement, way: str, per_page: int
) -> Select:
    """``query`` narrowed to the pages read ``way`` (``Keyset.way``): ``per_page`` entries
    by ``(key, id)`` plus one, which tells ``keyset_page`` whether the list goes on; the
    position bound as ``keyset_key`` and ``keyset_id`` (``Keyset.bound``), so that a list
    builds its statement once per way and process.

    Newest first, except for a newer page, which is read upwards from ``after`` (and put
    back in order by ``keyset_page``). An index on ``(…, key, id)`` after the columns
    ``query`` compares for equality serves the seek and the order.
    """
    position = (
        bindparam("keyset_key", type_=key.type),
        bindparam("keyset_id", type_=id_column.type),
    )
    place = tuple_(key, id_column)
    if way == "newer":
        query = query.where(place > tuple_(*position))
        return query.order_by(key.asc(), id_column.asc()).limit(per_page + 1)
    if way == "older":
        query = query.where(place < tuple_(*position))
    return query.order_by(key.desc(), id_column.desc()).limit(per_page + 1)


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """One page of a newest-first list and where its "newer" and "older" links lead
    (None: there is nothing that way)."""

    items: list[T]
    asked: Keyset
    newer: Position | None
    older: Position | None

    def newer_args(self) -> dict[str, str | None]:
        """Query parameters of the link to the newer entries (None drops a parameter)."""
        text = self.newer.text() if self.newer else None
        return {f"{self.asked.prefix}after": text, f"{self.asked.prefix}before": None}

    def older_args(self) -> dict[str, str | None]:
        """Query parameters of the link to the older entries."""
        text = self.older.text() if self.older else None
        return {f"{self.asked.prefix}before": text, f"{self.asked.prefix}after": None}

    def newest_args(self) -> dict[str, str | None]:
        """Query parameters of the link back to the newest entries."""
        return {f"{self.asked.prefix}before": None, f"{self.asked.prefix}after": None}


def keyset_page(
    rows: Sequence[T], position: Callable[[T], Position], asked: Keyset, per_page: int
) -> KeysetPage[T]:
    """The page from the rows of ``keyset_select`` (in any order), newest first.

    The extra row read beyond ``per_page`` is dropped: it only proves that more entries
    lie that way. A page reached through a link has entries on its other side too (the
    one the link was made from), so that way needs no extra row.
    """
    items = sorted(rows, key=position, reverse=True)
    more = len(items) > per_page
    if asked.after is not None:
        items = items[-per_page:]
        newer, older = more, True
    else:
        items = items[:per_page]
        newer, older = asked.before is not None, more
    return KeysetPage(
        items=items,
        asked=asked,
        newer=position(items[0]) if newer and items else None,
        older=position(items[-1]) if older and items else None,
    )
