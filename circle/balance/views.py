"""HTML pages and CSV of the balance of give and take.

``/circles/<id>/balance`` shows first the lopsided pairs (who profits, in words), then
every member's scale ("die Waage") as a diverging bar, then the network roles;
``/balance/pairs`` the full pair table, ``/balance/matrix`` who gives to whom, and
``/balance.csv`` the same numbers for a spreadsheet.

Views stay thin: ``circle.balance.services.compute`` aggregates in SQL (two
queries), ``circle.balance.visibility.visible_balance`` hides what the viewer may not
see, and this module only arranges the result for the templates. Every page costs the
same handful of queries whatever the size of the circle or the length of its history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from http import HTTPStatus

from flask import Blueprint, request
from flask_babel import gettext as _
from markupsafe import Markup

from circle.balance.formats import NO_VALUE, money, percent, who
from circle.balance.forms import PeriodForm, period_choices
from circle.balance.matrix import kept_matrix_cells, kept_matrix_heads
from circle.balance.pairs import PAIRS_PER_PAGE, PairWords, kept_pair_page
from circle.balance.periods import period_for
from circle.balance.scales import ScaleWords, kept_scale_rows
from circle.balance.services import Balance, MemberBalance, PairBalance, compute
from circle.balance.visibility import sees_all_revenue, viewer_key, visible_balance
from circle.core.csv_export import CsvCell, csv_download, csv_text
from circle.core.errors import DomainError
from circle.core.formats import interval_text
from circle.core.money import to_decimal
from circle.core.paging import page_number, pages_for
from circle.core.periods import Period
from circle.models import Circle, Membership
from circle.web.boundary import circle_page, ui_locale
from circle.web.kept import page_with_body

bp = Blueprint("balance", __name__)

#: How many lopsided pairs the overview lists before folding the rest away.
LOPSIDED_SHOWN = 5
#: How many it lists at most, the folded ones included; the pair balance (lopsided pairs
#: first) has them all (over the whole history a 40-member circle has hundreds).
LOPSIDED_LISTED = 25
#: How many lines the network roles list at most.
ROLE_LINES = 5
#: The columns of the CSV: one row per member, then one per pair.
CSV_COLUMNS = (
    "record",
    "member_id",
    "name",
    "profession",
    "given_count",
    "received_count",
    "revenue_generated",
    "revenue_received",
    "a",
    "a_name",
    "b",
    "b_name",
    "count_a_to_b",
    "count_b_to_a",
    "revenue_a_to_b",
    "revenue_b_to_a",
    "lopsidedness",
    "lopsided",
)


# --- shared by every page --------------------------------------------------------------


@dataclass
class Analysis:
    """What a balance page needs: the circle, the viewer, the period form and the balance."""

    circle: Circle
    me: Membership
    form: PeriodForm
    period: Period | None
    balance: Balance | None  # the viewer's visible copy; None when the period is invalid
    all_revenue: bool

    def args(self, **extra) -> dict:
        """The query arguments that keep this period on links to the other pages."""
        out: dict = {}
        if self.period is not None and self.period.kind != "six_months":
            out["period"] = self.period.kind
            if self.period.kind == "custom":
                out["from"] = self.period.start.isoformat()
                out["to"] = self.period.end.isoformat()
        out.update(extra)
        return out


def _asked(circle: Circle) -> tuple[PeriodForm, Period | None]:
    """The period form from the request and the period it asks for (None, with the form's
    errors, when it does not parse)."""
    form = PeriodForm(request.args)
    period = None
    if form.validate():
        try:
            period = period_for(circle, form.kind(), form.start.data, form.end.data)
        except DomainError as error:
            target = {"from": form.start, "to": form.end, "period": form.period}.get(
                error.field or "", form.period
            )
            target.errors = [*target.errors, error.message]
    if period is not None:
        form.period.data, form.start.data, form.end.data = period.kind, period.start, period.end
    return form, period


def _analysed(circle: Circle, me: Membership, form: PeriodForm, period: Period | None) -> Analysis:
    """The balance of ``period`` as ``me`` may see it (none without a period)."""
    if period is None:
        return Analysis(circle, me, form, None, None, False)
    balance = compute(circle, period)
    return Analysis(
        circle, me, form, period, visible_balance(balance, me), sees_all_revenue(balance, me)
    )


def _analyse(circle: Circle, me: Membership) -> Analysis:
    """Parse the period and compute the balance as ``me`` may see it."""
    return _analysed(circle, me, *_asked(circle))


def ratio(value: Fraction | None) -> Decimal | None:
    """A lopsidedness with four decimals (CSV); None when undefined or hidden."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)


def _ordered(balance: Balance) -> list[MemberBalance]:
    """Members by profession and name; former members who appear in the period last."""
    return sorted(
        balance.members.values(),
        key=lambda m: (not m.active, not m.profession, m.profession.casefold(), m.name.casefold()),
    )


def template_helpers(locale: str) -> dict:
    """Formatting helpers for the balance templates, bound to the request's language once
    (not looked up again for each of hundreds of cells)."""
    return {
        "amount": lambda amount, currency: money(amount, currency, locale),
        "percent": lambda value: percent(value, locale),
        "who": who,
        "NO_VALUE": NO_VALUE,
    }


def presets(keep: dict) -> list[tuple[str, str, dict]]:
    """The named periods as links: kind, label, query arguments (``keep`` added)."""
    links = []
    for choice in period_choices():
        if choice.value == "custom":
            continue
        args = {} if choice.value == "six_months" else {"period": choice.value}
        links.append((choice.value, str(choice.label), {**args, **keep}))
    return links


def _render(
    template: str,
    circle: Circle,
    me: Membership,
    context: Callable[[Analysis], dict],
    keep: dict | None = None,
    asked: tuple = (),
):
    """Render a balance page with what ``context(analysis)`` adds for its balance; a period
    that did not parse answers 422 with its errors.

    ``keep`` holds query arguments the period links keep (the matrix's ``by``). The body
    is kept in memory (``circle.web.kept``) under the circle's ``data_stamp`` (every slip,
    member, name and setting), the reader (what they may see), the language, the period
    and what else the page was ``asked`` for (a page of pairs, the matrix's values).
    """
    form, period = _asked(circle)
    keep = keep or {}
    locale = ui_locale()

    def body() -> dict:
        """What the page's body shows."""
        analysis = _analysed(circle, me, form, period)
        label = interval_text(period.start, period.end, "yMMMd", locale) if period else ""
        return {
            **template_helpers(locale),
            "circle": circle,
            "me": me,
            "form": form,
            "period": period,
            "period_label": label,
            "balance": analysis.balance,
            "all_revenue": analysis.all_revenue,
            "args": analysis.args(),
            "keep": keep,
            "presets": presets(keep),
            **(context(analysis) if analysis.balance is not None else {}),
        }

    if period is None:
        page = page_with_body(template, circle, None, body)
        return page, HTTPStatus.UNPROCESSABLE_ENTITY
    where = (me.id, period.kind, period.start, period.end, *asked)
    return page_with_body(template, circle, where, body), 200


# --- the overview ------------------------------------------------------------------------


@dataclass
class LopsidedLine:
    """A lopsided pair told from the side of who profits."""

    pair: PairBalance
    winner: MemberBalance
    loser: MemberBalance
    winner_received: int
    loser_received: int
    winner_gave: int
    loser_gave: int
    said: Markup | None = None  # "<strong>Winner</strong> received …, Loser …" (listed lines)
    detail: str = ""  # "Referrals given: …" and the lopsidedness (listed lines)


def lopsided_lines(balance: Balance, locale: str, listed: int) -> list[LopsidedLine]:
    """The lopsided pairs, the largest revenue gap first, from the side of who profits;
    the first ``listed`` in words (each message translated once, not once per line)."""
    lines = []
    for pair in balance.lopsided_pairs():
        a, b = balance.members[pair.a], balance.members[pair.b]
        # revenue_a_to_b is what b earned thanks to a: b received it.
        b_profits = pair.revenue_a_to_b >= pair.revenue_b_to_a
        winner, loser = (b, a) if b_profits else (a, b)
        line = LopsidedLine(
            pair=pair,
            winner=winner,
            loser=loser,
            winner_received=pair.revenue_a_to_b if b_profits else pair.revenue_b_to_a,
            loser_received=pair.revenue_b_to_a if b_profits else pair.revenue_a_to_b,
            winner_gave=pair.count_b_to_a if b_profits else pair.count_a_to_b,
            loser_gave=pair.count_a_to_b if b_profits else pair.count_b_to_a,
        )
        lines.append(line)
    currency = balance.circle.currency
    # A translation is trusted markup, as in the templates; the values are escaped by %.
    said = Markup(_("%(winner)s received %(more)s, %(loser)s %(less)s"))  # noqa: S704  # nosec B704
    given = _("Referrals given: %(winner)s %(winner_gave)s, %(loser)s %(loser_gave)s")
    value = _("lopsidedness %(value)s")
    for line in lines[:listed]:
        line.said = said % {
            "winner": Markup("<strong>{}</strong>").format(who(line.winner)),
            "more": money(line.winner_received, currency, locale),
            "loser": who(line.loser),
            "less": money(line.loser_received, currency, locale),
        }
        gave = given % {
            "winner": line.winner.profession or line.winner.name,
            "winner_gave": line.winner_gave,
            "loser": line.loser.profession or line.loser.name,
            "loser_gave": line.loser_gave,
        }
        line.detail = f"{gave} · {value % {'value': percent(line.pair.lopsidedness, locale)}}"
    return lines


@bp.get("/circles/<int:circle_id>/balance")
@circle_page()
def overview(circle: Circle, me: Membership):
    """The balance: lopsided pairs first, then the members' scales, then network roles."""

    def context(analysis: Analysis) -> dict:
        """The overview's lines, scales and roles."""
        balance = analysis.balance
        members = _ordered(balance)
        roles = balance.roles
        return {
            "lines": lopsided_lines(balance, ui_locale(), LOPSIDED_LISTED),
            "shown": LOPSIDED_SHOWN,
            "listed": LOPSIDED_LISTED,
            "scale_rows": kept_scale_rows(
                balance,
                members,
                ui_locale(),
                me.id,
                ScaleWords(former=_("former member"), tipped=_("scale tipped twice")),
                viewer_key(balance, me),
            ),
            "connectors": roles.connectors[:ROLE_LINES],
            "top_givers": roles.top_givers,
            "top_three_share": roles.top_three_share,
            "repeat": [
                (balance.members[g], balance.members[r], n)
                for g, r, n in roles.repeat_pairs[: ROLE_LINES * 2]
            ],
            "tipped": [m for m in members if m.tipped],
            "hidden": any(p.revenue_a_to_b is None for p in balance.pairs),
        }

    return _render("balance/overview.html", circle, me, context)


# --- the pair table ----------------------------------------------------------------------


@bp.get("/circles/<int:circle_id>/balance/pairs")
@circle_page()
def pairs(circle: Circle, me: Membership):
    """The pair balance of every pair that exchanged anything in the period, lopsided
    first, ``PAIRS_PER_PAGE`` to a page (``?page=``; the order is total, so pages never
    repeat or skip a pair). The rows are drawn by ``circle.balance.pairs`` and kept."""
    asked = page_number(request.args.get("page"))

    def context(analysis: Analysis) -> dict:
        """The page of pairs asked for."""
        balance = analysis.balance
        shown = pages_for(len(balance.pairs), asked, PAIRS_PER_PAGE)
        words = PairWords(not_defined=_("not defined"), lopsided=_("lopsided"))
        table = kept_pair_page(balance, shown.page, ui_locale(), words, viewer_key(balance, me))
        return {"rows": table.rows, "pages": shown, "hidden": table.hidden}

    return _render("balance/pairs.html", circle, me, context, asked=(asked,))


# --- the matrix --------------------------------------------------------------------------


@bp.get("/circles/<int:circle_id>/balance/matrix")
@circle_page()
def matrix(circle: Circle, me: Membership):
    """Who gives to whom: givers in rows, receivers in columns, by count or by revenue."""
    by = "revenue" if request.args.get("by") == "revenue" else "count"
    keep = {"by": by} if by == "revenue" else {}

    def context(analysis: Analysis) -> dict:
        """The matrix's headings and rows."""
        balance = analysis.balance
        members = _ordered(balance)
        words = (NO_VALUE, _("(self)"))
        rows = kept_matrix_cells(balance, members, by, ui_locale(), words, viewer_key(balance, me))
        heads = kept_matrix_heads(members)
        return {
            "by": by,
            "heads": heads,
            "rows": [
                (giver, head, cells) for (giver, cells), head in zip(rows, heads.rows, strict=True)
            ],
            "hidden": by == "revenue" and not analysis.all_revenue,
        }

    return _render("balance/matrix.html", circle, me, context, keep, asked=(by,))


# --- the CSV -----------------------------------------------------------------------------


def _plain(amount: int | None, currency: str) -> Decimal | None:
    """An amount as a number (``1234.50`` in the file), None (an empty cell) when hidden."""
    return None if amount is None else to_decimal(amount, currency)


def _flag(value: bool | None) -> str:
    """``true``/``false``, empty when hidden."""
    return "" if value is None else ("true" if value else "false")


def csv_rows(balance: Balance) -> list[list[CsvCell]]:
    """The CSV rows: every member's scale, then every pair (the API's numbers)."""
    currency = balance.circle.currency
    members = balance.members
    rows: list[list[CsvCell]] = []
    for m in sorted(members.values(), key=lambda m: m.member_id):
        rows.append(
            [
                "member",
                m.member_id,
                m.name,
                m.profession,
                m.given_count,
                m.received_count,
                _plain(m.revenue_generated, currency),
                _plain(m.revenue_received, currency),
            ]
            + [""] * 10
        )
    for p in balance.pairs:
        rows.append(
            ["pair"]
            + [""] * 7
            + [
                p.a,
                members[p.a].name,
                p.b,
                members[p.b].name,
                p.count_a_to_b,
                p.count_b_to_a,
                _plain(p.revenue_a_to_b, currency),
                _plain(p.revenue_b_to_a, currency),
                ratio(p.lopsidedness),
                _flag(p.lopsided),
            ]
        )
    return rows


@bp.get("/circles/<int:circle_id>/balance.csv")
@circle_page()
def export_csv(circle: Circle, me: Membership):
    """The members' scales and the pair balances as CSV (``?period=&from=&to=``)."""
    analysis = _analyse(circle, me)
    balance = analysis.balance
    if balance is None:  # the overview with the period's errors (422)
        return _render("balance/overview.html", circle, me, lambda _analysis: {})
    period = analysis.period
    filename = (
        f"balance-{analysis.circle.id}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    )
    return csv_download(csv_text(CSV_COLUMNS, csv_rows(balance)), filename)
