"""Pages of a long list: which page was asked for, how many there are, what to skip.

A page number comes from the query string; anything that is not a small number is page 1,
and a number past the end is the last page, so a link from a shorter list never fails.
"""

from __future__ import annotations

from dataclasses import dataclass


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
