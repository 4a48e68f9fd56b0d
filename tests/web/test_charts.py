"""Server-drawn SVG charts (issue 14, item 6): an image with a title and a text
alternative, bars in proportion, every text escaped; the ledger draws referrals given and
received and the revenue both ways per month, and leaves the charts out where bars would
be too thin."""

from __future__ import annotations

import re

from circle.web.charts import PLOT_HEIGHT, Series, bar_chart
from tests.meetings.chapter import today as circle_today
from tests.pages import element, text


def heights(svg: str, css: str) -> list[int]:
    """The drawn heights of one series' bars, in order."""
    return [int(h) for h in re.findall(rf'class="bar {css}"[^>]*height="(\d+)"', svg)]


def test_bars_are_in_proportion_and_the_chart_speaks_for_itself():
    svg = str(
        bar_chart(
            "c1",
            "Given & received",
            "4 given, 2 received <b>",
            ["Jan", "Feb", "<script>"],
            [Series("Given", [0, 4, 2], "bar--given"), Series("Received", [1, 2, 0], "r")],
        )
    )
    assert svg.startswith('<svg id="c1" class="chart"') and 'role="img"' in svg
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Given &amp; received</title>' in svg
    assert '<desc id="c1-desc">4 given, 2 received &lt;b&gt;</desc>' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert heights(svg, "bar--given") == [0, PLOT_HEIGHT, PLOT_HEIGHT // 2]
    assert heights(svg, "r") == [PLOT_HEIGHT // 4, PLOT_HEIGHT // 2, 0]
    assert "<title>Feb: Given 4</title>" in svg
    assert "style=" not in svg  # the CSP forbids inline styles


def test_a_chart_of_nothing_draws_flat_bars():
    svg = str(bar_chart("c2", "t", "d", ["a", "b"], [Series("x", [0, 0], "bar--given")]))
    assert heights(svg, "bar--given") == [0, 0]


def test_the_ledger_draws_twelve_months_of_referrals_and_revenue(app, client, auth, make):
    admin = make.user(name="Anna Admin", locale="en")
    circle = make.circle(admin=admin)
    me = make.member(circle, make.user(name="Fritz Foto", locale="en"), profession="Fotograf")
    other = make.member(circle, make.user(name="Paula Pharma"), profession="Apotheke")
    today = circle_today()
    make.slip(me, other, today)
    make.slip(me, other, today)
    make.slip(other, me, today)
    make.slip(me, other, today, amount=123_450)  # I earned 1,234.50 thanks to Paula
    auth.login(me.user)
    page = text(client.get(f"/circles/{circle.id}/ledger"))
    chart = element(page, "ledger-chart")
    assert len(heights(chart, "bar--given")) == 12 == len(heights(chart, "bar--received"))
    assert heights(chart, "bar--given")[-1] == PLOT_HEIGHT  # this month: the most given
    assert heights(chart, "bar--received")[-1] == PLOT_HEIGHT // 2
    assert "2 referrals given and 1 received" in chart
    revenue = element(page, "ledger-revenue-chart")
    assert heights(revenue, "bar--received")[-1] == PLOT_HEIGHT
    assert heights(revenue, "bar--given") == [0] * 12
    assert "Received €1,234.50</title>" in revenue  # amounts read as money
    assert ">€1,234.50</text>" in revenue  # the top of the scale
    # Ten years by week would be bars a pixel wide: the table alone shows them.
    many = text(
        client.get(
            f"/circles/{circle.id}/ledger", query_string={"by": "week", "from": "2020-01-01"}
        )
    )
    assert 'id="ledger-chart"' not in many and 'id="ledger-table"' in many
    assert 'id="ledger-revenue-chart"' not in many
