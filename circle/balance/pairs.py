"""The pair table as the page shows it: every pair that exchanged anything, lopsided first,
a page of rows at a time, drawn here and kept in memory for the next view of the same
numbers, names and viewer (a hundred rows through the template cost 2-3 ms a view)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from circle.balance.formats import NO_VALUE, money, name_html, percent
from circle.balance.services import Balance, PairBalance
from circle.core.memo import Memo

#: Pairs on one page of the pair balance (a 40-member circle has up to 780 pairs).
PAIRS_PER_PAGE = 100


@dataclass(frozen=True)
class PairWords:
    """The words of the table in the language of the page."""

    not_defined: str
    lopsided: str


def pair_rows(balance: Balance) -> list[PairBalance]:
    """Every pair that exchanged anything: lopsided first, then by revenue gap and counts."""
    return sorted(
        balance.pairs,
        key=lambda p: (
            not p.lopsided,
            -(p.revenue_gap or 0),
            -(p.count_a_to_b + p.count_b_to_a),
            balance.members[p.a].name.casefold(),
            balance.members[p.b].name.casefold(),
        ),
    )


def _lopsidedness(pair: PairBalance, locale: str, words: PairWords) -> str:
    """The last cell's content: a dash when hidden, "not defined" without revenue, else
    the percentage and, for a lopsided pair, its badge."""
    if pair.revenue_a_to_b is None:
        return NO_VALUE
    value = pair.lopsidedness
    if value is None:
        return f'<span class="muted" data-undefined="true">{escape(words.not_defined)}</span>'
    text = str(escape(percent(value, locale)))
    if pair.lopsided:
        badge = escape(words.lopsided)
        text += f' <span class="badge badge--warn" data-flag="lopsided">{badge}</span>'
    return text


def pair_row(
    pair: PairBalance, balance: Balance, currency: str, locale: str, words: PairWords
) -> str:
    """One ``<tr>`` of the table, every value escaped."""
    a, b = balance.members[pair.a], balance.members[pair.b]
    flagged = ' class="bal-row--lopsided"' if pair.lopsided else ""
    return (
        f'<tr data-pair="{pair.a}-{pair.b}"{flagged}>'
        f'<th scope="row">{name_html(a)}</th><td>{name_html(b)}</td>'
        f'<td class="num" data-col="count_a_to_b">{pair.count_a_to_b}</td>'
        f'<td class="num" data-col="count_b_to_a">{pair.count_b_to_a}</td>'
        f'<td class="num" data-col="revenue_a_to_b">'
        f"{escape(money(pair.revenue_a_to_b, currency, locale))}</td>"
        f'<td class="num" data-col="revenue_b_to_a">'
        f"{escape(money(pair.revenue_b_to_a, currency, locale))}</td>"
        f'<td class="num" data-col="lopsidedness">{_lopsidedness(pair, locale, words)}</td>'
        "</tr>"
    )


@dataclass(frozen=True)
class PairPage:
    """One page of the table: its rows as HTML, and whether revenue of some pair is hidden
    from the viewer."""

    rows: Markup
    hidden: bool


def pair_page(balance: Balance, page: int, locale: str, words: PairWords) -> PairPage:
    """The rows of page ``page`` (counted from 1, ``PAIRS_PER_PAGE`` to a page) of
    ``pair_rows`` in ``locale``."""
    shown = pair_rows(balance)[(page - 1) * PAIRS_PER_PAGE : page * PAIRS_PER_PAGE]
    currency = balance.circle.currency
    html = "".join(pair_row(pair, balance, currency, locale, words) for pair in shown)
    return PairPage(
        rows=Markup(html),  # noqa: S704 - every name and value is escaped  # nosec B704
        hidden=any(p.revenue_a_to_b is None for p in balance.pairs),
    )


#: The pages of the pair table drawn last, in this server's memory (``kept_pair_page``).
PAIR_PAGES_KEPT = 64
_kept: Memo[PairPage] = Memo(PAIR_PAGES_KEPT)


def kept_pair_page(
    balance: Balance, page: int, locale: str, words: PairWords, viewer: int | None
) -> PairPage:
    """``pair_page``, kept in memory under everything it depends on: the balance's numbers
    (``Balance.key``) and currency, what the viewer may see of them (``viewer``:
    ``circle.balance.visibility.viewer_key``), every member's name and profession (they
    are shown and order ties), the page, the language and the words."""
    names = tuple(
        (member_id, member.name, member.profession)
        for member_id, member in sorted(balance.members.items())
    )
    key = (balance.key, balance.circle.currency, viewer, names, page, locale, words)
    return _kept.get(key, lambda: pair_page(balance, page, locale, words))
