"""The give-and-take matrix as the page shows it: one cell per giver and receiver with
its heat, and short column labels that never name two members alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_compact_decimal
from markupsafe import Markup, escape

from circle.balance.formats import who
from circle.balance.services import Balance, MemberBalance
from circle.core.formats import CACHE_SIZE, decimal_text, locale_of
from circle.core.memo import Memo
from circle.core.money import format_money, to_decimal

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


@dataclass(frozen=True)
class Cell:
    """One matrix cell: giver → receiver, as the page shows it.

    ``text`` is what the cell reads (a count, an amount in whole units, a dash when hidden);
    ``title`` the exact amount where ``text`` rounds it (revenue only); ``heat`` its bucket.
    """

    text: str
    heat: int  # 0 (nothing) ... HEAT_BUCKETS - 1 (the largest)
    title: str = ""
    self: bool = False
    hidden: bool = False
    self_label: str = ""

    @property
    def html(self) -> Markup:
        """The cell's ``<td>``, escaped: no names (the row and column headings carry
        them), a title only for an amount the cell rounds."""
        if self.self:
            return Markup('<td class="bal-self" aria-label="{}"></td>').format(self.self_label)
        if self.hidden:
            return Markup('<td class="heat-0 bal-hidden">{}</td>').format(self.text)
        if self.title:
            return Markup('<td class="heat-{}" title="{}">{}</td>').format(
                self.heat, self.title, self.text
            )
        return Markup('<td class="heat-{}">{}</td>').format(self.heat, self.text)


def heat(value: int | None, largest: int) -> int:
    """The heat bucket of a value: 0 for nothing, then 1 … 9 in proportion to the largest."""
    if not value or not largest:
        return 0
    return min(HEAT_BUCKETS - 1, 1 + (value * (HEAT_BUCKETS - 2)) // largest)


@lru_cache(maxsize=CACHE_SIZE)
def compact_text(amount: int, currency: str, locale: str) -> str:
    """An amount in whole units as a matrix cell shows it ("7.177", "1,2 Mio."), memoised."""
    value = to_decimal(amount, currency).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if value >= 1_000_000:
        return format_compact_decimal(value, locale=locale_of(locale), fraction_digits=1)
    return decimal_text(value, None, locale)


def matrix_cells(
    balance: Balance,
    members: list[MemberBalance],
    by: str,
    locale: str,
    labels: tuple[str, str],
) -> list[tuple[MemberBalance, Markup]]:
    """Givers in rows, receivers in columns: counts or revenue (what the receiver earned);
    each row's cells as one piece of HTML.

    ``labels`` are the text of a hidden cell and the spoken label of the diagonal. A
    40-member circle has 1,600 cells but only a few hundred distinct ones: each is
    formatted and escaped once (the formats are memoised too), then rows are joined.
    """
    hidden_text, self_label = labels
    currency = balance.circle.currency
    flows: dict[tuple[int, int], int | None] = {}
    for p in balance.pairs:
        if by == "revenue":
            flows[(p.a, p.b)], flows[(p.b, p.a)] = p.revenue_a_to_b, p.revenue_b_to_a
        else:
            flows[(p.a, p.b)], flows[(p.b, p.a)] = p.count_a_to_b, p.count_b_to_a
    largest = max((v for v in flows.values() if v is not None), default=0)
    made: dict[int | None, Markup] = {None: Cell(hidden_text, 0, hidden=True).html}

    def cell(value: int | None) -> Markup:
        """The HTML of a value's cell (made once per distinct value)."""
        found = made.get(value)
        if found is None:
            if by == "revenue":
                title = format_money(value, currency, locale) if value else ""
                text = compact_text(value, currency, locale)
            else:
                title, text = "", str(value)
            found = made[value] = Cell(text, heat(value, largest), title).html
        return found

    diagonal = Cell("", 0, self=True, self_label=self_label).html
    rows = []
    for giver in members:
        # No pair: nothing flowed either way (the pair list shows which pairs exist).
        rows.append(
            (
                giver,
                _joined(
                    diagonal
                    if giver.member_id == receiver.member_id
                    else cell(flows.get((giver.member_id, receiver.member_id), 0))
                    for receiver in members
                ),
            )
        )
    return rows


#: The matrices' rows of cells made last, in this server's memory (``kept_matrix_cells``).
MATRICES_KEPT = 64
_kept: Memo[tuple[Markup, ...]] = Memo(MATRICES_KEPT)


def kept_matrix_cells(
    balance: Balance,
    members: list[MemberBalance],
    by: str,
    locale: str,
    labels: tuple[str, str],
    viewer: int | None,
) -> list[tuple[MemberBalance, Markup]]:
    """``matrix_cells``, kept in memory under everything they depend on: the balance's
    numbers (``Balance.key``) and currency, what the viewer may see of them (``viewer``:
    ``circle.balance.visibility.viewer_key``), the order of the members, ``by``, the language
    and the words."""
    key = (
        balance.key,
        balance.circle.currency,
        by,
        locale,
        labels,
        tuple(m.member_id for m in members),
        viewer,
    )
    cells = _kept.get(
        key,
        lambda: tuple(row for _giver, row in matrix_cells(balance, members, by, locale, labels)),
    )
    return list(zip(members, cells, strict=True))


def _joined(cells: Iterable[Markup]) -> Markup:
    """Cells already escaped, joined as one piece of HTML (``Markup.join`` would escape
    each of the 1,600 again)."""
    return Markup("".join(cells))  # noqa: S704 - every piece is Markup  # nosec B704


@dataclass(frozen=True)
class MatrixHeads:
    """The matrix's headings: every receiver's column heading (one piece of HTML) and each
    giver's row heading, in the order of the members."""

    columns: Markup
    rows: tuple[Markup, ...]


def matrix_heads(members: list[MemberBalance]) -> MatrixHeads:
    """Short labels (``matrix_labels``) with the full name on hover and for screen
    readers: the columns carry the label, the rows the label and the name."""
    labels = matrix_labels(members)
    columns, rows = [], []
    for m in members:
        named, label = escape(who(m)), escape(labels[m.member_id])
        columns.append(
            f'<th scope="col" class="bal-col" data-member="{m.member_id}" title="{named}" '
            f'aria-label="{named}"><abbr title="{named}">{label}</abbr></th>'
        )
        rows.append(
            Markup(  # noqa: S704 - every name and label is escaped  # nosec B704
                f'<th scope="row" class="bal-rowhead" title="{named}">'
                f'<abbr title="{named}">{label}</abbr> {escape(m.name)}</th>'
            )
        )
    return MatrixHeads(_joined(columns), tuple(rows))


#: The headings made last, by the members shown (``kept_matrix_heads``).
_heads: Memo[MatrixHeads] = Memo(MATRICES_KEPT)


def kept_matrix_heads(members: list[MemberBalance]) -> MatrixHeads:
    """``matrix_heads``, kept in memory under the members in their order with their names
    and professions (all the headings show)."""
    key = tuple((m.member_id, m.name, m.profession) for m in members)
    return _heads.get(key, lambda: matrix_heads(members))
