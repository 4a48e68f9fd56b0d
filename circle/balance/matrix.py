"""The give-and-take matrix as the page shows it: one cell per giver and receiver with
its heat, and short column labels that never name two members alike."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from circle.balance.services import Balance, MemberBalance

#: Heat buckets of the matrix cells (CSS classes .heat-0 ... .heat-9).
HEAT_BUCKETS = 10


def initials(member: MemberBalance) -> str:
    """A short label for a matrix column: the initials of the name (at most three)."""
    letters = [part[0] for part in member.name.split() if part and part[0].isalnum()]
    return ("".join(letters[:1] + letters[1:][-2:]) or member.name[:2]).upper()


def matrix_labels(members: list[MemberBalance]) -> dict[int, str]:
    """Column labels of the matrix: initials, numbered in the order shown where two or
    more members share them ("MH1", "MH2": Markus Hoffmann and Melanie Hofmann)."""
    plain = {m.member_id: initials(m) for m in members}
    shared = Counter(plain.values())
    seen: Counter[str] = Counter()
    labels = {}
    for member in members:
        label = plain[member.member_id]
        if shared[label] > 1:
            seen[label] += 1
            label = f"{label}{seen[label]}"
        labels[member.member_id] = label
    return labels


@dataclass
class Cell:
    """One matrix cell: giver → receiver, its value and its heat bucket."""

    value: int | None  # a count, or minor units; None when hidden
    heat: int  # 0 (nothing) ... HEAT_BUCKETS - 1 (the largest)
    self: bool = False


def heat(value: int | None, largest: int) -> int:
    """The heat bucket of a value: 0 for nothing, then 1 … 9 in proportion to the largest."""
    if not value or not largest:
        return 0
    return min(HEAT_BUCKETS - 1, 1 + (value * (HEAT_BUCKETS - 2)) // largest)


def matrix_cells(
    balance: Balance, members: list[MemberBalance], by: str
) -> list[tuple[MemberBalance, list[Cell]]]:
    """Givers in rows, receivers in columns: counts or revenue (what the receiver earned)."""
    flows: dict[tuple[int, int], int | None] = {}
    for p in balance.pairs:
        if by == "revenue":
            flows[(p.a, p.b)], flows[(p.b, p.a)] = p.revenue_a_to_b, p.revenue_b_to_a
        else:
            flows[(p.a, p.b)], flows[(p.b, p.a)] = p.count_a_to_b, p.count_b_to_a
    largest = max((v for v in flows.values() if v is not None), default=0)
    rows = []
    for giver in members:
        cells = []
        for receiver in members:
            if giver.member_id == receiver.member_id:
                cells.append(Cell(None, 0, self=True))
                continue
            # No pair: nothing flowed either way (the pair list shows which pairs exist).
            value = flows.get((giver.member_id, receiver.member_id), 0)
            cells.append(Cell(value, heat(value, largest)))
        rows.append((giver, cells))
    return rows
