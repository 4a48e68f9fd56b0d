"""Charts drawn on the server as SVG: no script, no library in the browser, no CDN.

``bar_chart`` draws grouped bars (one group per period, one bar per series) that scale to
the width of a phone. Every chart has a title and a text alternative (``<title>`` and
``<desc>``, referenced by ``aria-labelledby``), each bar its own ``<title>`` with label
and value, and colours come from CSS classes (no inline styles: the CSP forbids them).
The page shows the numbers in a table as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

#: Drawing units (the SVG scales to its box).
BAR = 10
GAP = 6
PLOT_HEIGHT = 120
LABEL_SPACE = 18
TOP_SPACE = 14


@dataclass(frozen=True)
class Series:
    """One kind of bar: its name (legend, bar titles), values per label, CSS class, and
    how each value reads in a bar's title (``shown``, e.g. an amount; else the number)."""

    name: str
    values: list[int]
    css: str
    shown: list[str] | None = None

    def text(self, index: int) -> str:
        """The value of one bar as its title says it."""
        return self.shown[index] if self.shown is not None else str(self.values[index])


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[Series],
    scale_label: str | None = None,
) -> Markup:
    """Grouped bars as an SVG element; ``labels`` name the groups (periods);
    ``scale_label`` writes the top of the scale (default: the largest value)."""
    largest = max((v for s in series for v in s.values), default=0) or 1
    group = BAR * len(series) + GAP
    width = max(group * len(labels) + GAP, 60)
    height = TOP_SPACE + PLOT_HEIGHT + LABEL_SPACE
    step = max(1, round(len(labels) / 6))  # at most about six axis labels
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'preserveAspectRatio="none">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        f'<text class="chart-axis" x="0" y="{TOP_SPACE - 4}">'
        f"{escape(scale_label or str(largest))}</text>",
        f'<line class="chart-base" x1="0" x2="{width}" y1="{TOP_SPACE + PLOT_HEIGHT}" '
        f'y2="{TOP_SPACE + PLOT_HEIGHT}"/>',
    ]
    for index, label in enumerate(labels):
        left = GAP + index * group
        for number, kind in enumerate(series):
            value = kind.values[index]
            bar = round(PLOT_HEIGHT * value / largest)
            parts.append(
                f'<rect class="bar {escape(kind.css)}" x="{left + number * BAR}" '
                f'y="{TOP_SPACE + PLOT_HEIGHT - bar}" width="{BAR - 1}" height="{bar}" '
                f'data-value="{value}"><title>{escape(label)}: {escape(kind.name)} '
                f"{escape(kind.text(index))}</title></rect>"
            )
        if index % step == 0:
            parts.append(
                f'<text class="chart-axis" x="{left}" y="{height - 4}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped  # nosec B704
