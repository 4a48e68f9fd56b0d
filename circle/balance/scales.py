"""The members' scales on the balance page: two diverging bars per member (referrals, and
revenue where the viewer may see it), the table's rows drawn here and kept in memory for
the next view of the same numbers, names and viewer (40 rows of bars through the template
cost about a millisecond a view)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from circle.balance.formats import money, name_html
from circle.balance.services import Balance, MemberBalance
from circle.core.memo import Memo

#: Width of a member's scale in SVG user units (the middle is the balance point).
SCALE_WIDTH = 200
_HALF = SCALE_WIDTH / 2


@dataclass
class Scale:
    """One member's scale drawn as two diverging bars (counts, and revenue when visible)."""

    member: MemberBalance
    given_width: float
    received_width: float
    generated_width: float | None
    revenue_received_width: float | None
    label: str = ""  # the bars in words, for screen readers


def _width(value: int | None, largest: int) -> float | None:
    """Half a scale's width in proportion to ``largest`` (None when hidden)."""
    if value is None:
        return None
    if not largest:
        return 0.0
    return round(SCALE_WIDTH / 2 * value / largest, 1)


def scales(members: list[MemberBalance], currency: str, locale: str) -> list[Scale]:
    """Every member's bars, scaled to the largest count and the largest visible revenue,
    with their words for screen readers."""
    counts = _("Given %(given)s, received %(received)s referrals")
    revenue = _("revenue generated %(generated)s, received %(received)s")

    def label(m: MemberBalance) -> str:
        """The bars in words: counts, and revenue when visible."""
        words = counts % {"given": m.given_count, "received": m.received_count}
        if m.revenue_generated is None or m.revenue_received is None:
            return words
        amounts = {
            "generated": money(m.revenue_generated, currency, locale),
            "received": money(m.revenue_received, currency, locale),
        }
        return f"{words}; {revenue % amounts}"

    most = max([m.given_count for m in members] + [m.received_count for m in members] + [0])
    revenues = [
        value
        for m in members
        for value in (m.revenue_generated, m.revenue_received)
        if value is not None
    ]
    richest = max(revenues, default=0)
    return [
        Scale(
            member=m,
            given_width=_width(m.given_count, most),
            received_width=_width(m.received_count, most),
            generated_width=_width(m.revenue_generated, richest),
            revenue_received_width=_width(m.revenue_received, richest),
            label=label(m),
        )
        for m in members
    ]


@dataclass(frozen=True)
class ScaleWords:
    """The badges of the table in the language of the page."""

    former: str
    tipped: str


def _bars(scale: Scale) -> str:
    """The scale's SVG: referrals above, revenue below when visible, the balance point."""
    given, received = scale.given_width, scale.received_width
    bars = [
        f'<svg class="bal-scale" viewBox="0 0 {SCALE_WIDTH} 26" width="{SCALE_WIDTH}" '
        f'height="26" role="img" aria-label="{escape(scale.label)}">'
        f'<rect class="bal-bar--given" x="{_HALF - given}" y="2" width="{given}" height="9"/>'
        f'<rect class="bal-bar--received" x="{_HALF}" y="2" width="{received}" height="9"/>'
    ]
    if scale.generated_width is not None:
        generated, earned = scale.generated_width, scale.revenue_received_width
        bars.append(
            f'<rect class="bal-bar--generated" x="{_HALF - generated}" y="14" '
            f'width="{generated}" height="9"/>'
            f'<rect class="bal-bar--earned" x="{_HALF}" y="14" width="{earned}" height="9"/>'
        )
    bars.append(f'<line class="bal-axis" x1="{_HALF}" y1="0" x2="{_HALF}" y2="26"/></svg>')
    return "".join(bars)


def scale_row(scale: Scale, currency: str, locale: str, me_id: int, words: ScaleWords) -> str:
    """One member's ``<tr>``: name, profession and badges, the four numbers, the bars."""
    m = scale.member
    current = ' aria-current="true"' if m.member_id == me_id else ""
    heading = [name_html(m)]
    if not m.active:
        heading.append(f' <span class="badge">{escape(words.former)}</span>')
    if m.tipped:
        heading.append(
            f' <span class="badge badge--warn" data-flag="tipped">{escape(words.tipped)}</span>'
        )
    return (
        f'<tr data-member="{m.member_id}"{current}><th scope="row">{"".join(heading)}</th>'
        f'<td class="num" data-col="given_count">{m.given_count}</td>'
        f'<td class="num" data-col="received_count">{m.received_count}</td>'
        f'<td class="num" data-col="revenue_generated">'
        f"{escape(money(m.revenue_generated, currency, locale))}</td>"
        f'<td class="num" data-col="revenue_received">'
        f"{escape(money(m.revenue_received, currency, locale))}</td>"
        f'<td class="bal-scale-cell">{_bars(scale)}</td></tr>'
    )


def scale_rows(
    members: list[MemberBalance], currency: str, locale: str, me_id: int, words: ScaleWords
) -> Markup:
    """The table's rows, one per member in the order given."""
    rows = "".join(
        scale_row(scale, currency, locale, me_id, words)
        for scale in scales(members, currency, locale)
    )
    return Markup(rows)  # noqa: S704 - every name, word and value is escaped  # nosec B704


#: The scales tables drawn last, in this server's memory (``kept_scale_rows``).
SCALES_KEPT = 64
_kept: Memo[Markup] = Memo(SCALES_KEPT)


def kept_scale_rows(
    balance: Balance,
    members: list[MemberBalance],
    locale: str,
    me_id: int,
    words: ScaleWords,
    viewer: int | None,
) -> Markup:
    """``scale_rows``, kept in memory under everything they depend on: the balance's
    numbers (``Balance.key``) and currency, what the viewer may see of them (``viewer``:
    ``circle.balance.visibility.viewer_key``), the members in their order with their
    names, professions, statuses and flags, who is looking, the language and the words."""
    shown = tuple((m.member_id, m.name, m.profession, m.active, m.tipped) for m in members)
    currency = balance.circle.currency
    key = (balance.key, currency, viewer, shown, me_id, locale, words)
    return _kept.get(key, lambda: scale_rows(members, currency, locale, me_id, words))
