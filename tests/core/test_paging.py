"""Keyset paging (circle.core.paging): positions in links, and pages cut from the rows
``keyset_bound`` reads (here a list filtered the way the statement filters)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from circle.core.paging import Keyset, Position, keyset_page, parse_position

STAMP = datetime(2026, 12, 4, 7, 28, 59, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "position",
    [
        Position(STAMP, 35543),
        Position(STAMP.replace(microsecond=0), 1),
        Position(date(2026, 2, 28), 2**31 - 1),
    ],
)
def test_a_position_survives_its_link(position):
    kind = datetime if isinstance(position.key, datetime) else date
    assert parse_position(position.text(), kind) == position


def test_a_timestamp_travels_in_utc():
    berlin = STAMP.astimezone(ZoneInfo("Europe/Berlin"))
    assert berlin.hour == 8
    assert Position(berlin, 7).text() == "20261204T072859123456_7"
    assert parse_position("20261204T072859123456_7", datetime).key.tzinfo is UTC


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (None, datetime),
        ("", datetime),
        ("abc", datetime),
        ("20261204T072859123456", datetime),  # no id
        ("20261204T072859123456_0", datetime),  # no row has id 0
        ("20261204T072859123456_2147483648", datetime),  # beyond the ids a database holds
        ("20261204T072859123456_12345678901", datetime),
        ("20261304T072859123456_1", datetime),  # month 13
        ("00000101T000000000000_1", datetime),  # year 0
        ("2026-12-04_1", datetime),  # a day where a timestamp belongs
        ("20261204T072859123456_1", date),  # and the other way round
        ("2026-02-30_1", date),
        ("٢٠٢٦-01-01_1", date),  # digits, but not ASCII ones
        (" 2026-01-01_1", date),
        ("2026-01-01_1\n", date),
        ("2026-01-01_" + "1" * 100, date),
    ],
)
def test_anything_else_is_no_position(raw, kind):
    assert parse_position(raw, kind) is None


def test_a_keyset_reads_its_own_parameters():
    args = {"met_before": "2026-01-02_3", "ceu_after": "2026-01-01_1", "before": "junk"}
    met = Keyset.from_args(args, date, "met_")
    assert met.before == Position(date(2026, 1, 2), 3) and met.after is None
    assert Keyset.from_args(args, date, "ceu_").after == Position(date(2026, 1, 1), 1)
    assert Keyset.from_args(args, date).is_first  # junk: the newest page
    assert met.args() == {"met_before": "2026-01-02_3"}
    both = {"before": "2026-01-02_3", "after": "2026-01-01_1"}
    assert Keyset.from_args(both, date).after is None  # "before" wins


# --- pages over a list, as keyset_bound would read them -------------------------------

PER_PAGE = 3
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def entries(n: int, same_time: bool = False) -> list[Position]:
    """``n`` entries with ids 1..n, a minute apart (or all at one instant)."""
    return [Position(BASE + timedelta(minutes=0 if same_time else i), i) for i in range(1, n + 1)]


def read(rows: list[Position], asked: Keyset) -> list[Position]:
    """What ``keyset_bound`` reads: ``PER_PAGE + 1`` rows past the place asked for."""
    if asked.after is not None:
        return sorted(r for r in rows if r > asked.after)[: PER_PAGE + 1]
    above = [r for r in rows if asked.before is None or r < asked.before]
    return sorted(above, reverse=True)[: PER_PAGE + 1]


def page(rows: list[Position], asked: Keyset):
    """One page, as the list's owner would cut it."""
    return keyset_page(read(rows, asked), lambda row: row, asked, PER_PAGE)


@pytest.mark.parametrize("n", [0, 1, 3, 4, 7, 9])
@pytest.mark.parametrize("same_time", [False, True])
def test_older_links_show_every_entry_once_and_newer_links_come_back(n, same_time):
    rows = entries(n, same_time)
    shown, asked = [], Keyset()
    pages = []
    while True:
        current = page(rows, asked)
        pages.append(current.items)
        shown.extend(current.items)
        assert current.newer is None if asked.is_first else current.newer == current.items[0]
        if current.older is None:
            break
        asked = Keyset(before=current.older)
    assert shown == sorted(rows, reverse=True)
    assert all(len(p) == PER_PAGE for p in pages[:-1])
    # Back up through the "newer" links: the same pages in reverse order.
    back = [pages[-1]]
    current = page(rows, asked)
    while current.newer is not None:
        current = page(rows, Keyset(after=current.newer))
        back.append(current.items)
    assert back == pages[::-1]


def test_an_entry_added_at_the_top_moves_nothing_below():
    rows = entries(7)
    first = page(rows, Keyset())
    rows.append(Position(BASE + timedelta(hours=1), 8))
    second = page(rows, Keyset(before=first.older))
    assert second.items == sorted(rows, reverse=True)[4:7]
    again = page(rows, Keyset(after=second.newer))
    assert again.items == first.items and again.newer == first.items[0]
    assert page(rows, Keyset(after=again.newer)).items == [rows[-1]]


def test_a_place_past_the_end_is_an_empty_page_without_links():
    rows = entries(4)
    past = page(rows, Keyset(before=Position(BASE, 1)))
    assert past.items == [] and past.newer is None and past.older is None
    links = page(rows, Keyset(prefix="met_"))
    assert links.older_args() == {"met_before": links.older.text(), "met_after": None}
    assert links.newest_args() == {"met_before": None, "met_after": None}
