"""Charts drawn on the server as SVG: no script, no library in the browser, no CDN.

``bar_chart`` draws grouped bars (one group per period, one bar per series) that scale to
the width of a phone. Every chart has a title and a text alternative (``<title>`` and
``<desc>``, referenced by ``aria-labelledby``), each bar its own ``<title>`` with label
and value, and colours come from CSS classes (no inline styles: the CSP forbids them).
The page shows the numbers in a table as well.

A chart may carry lines over its bars (``Line``): ``trend`` makes two of a series, its
moving average and its least-squares line, with a sentence for the ``<desc>`` ("Trend
rising: from 2 to 5 per week."); ``chart_legend`` names the bars and the lines. The
arithmetic (``moving_average``, ``least_squares``) is pure and exact up to the last
division.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import ceil

from flask_babel import gettext as _
from markupsafe import Markup, escape

#: Drawing units (the SVG scales to its box).
BAR = 10
GAP = 6
PLOT_HEIGHT = 120
LABEL_SPACE = 18
TOP_SPACE = 14
#: The narrowest drawing: a chart of one or two periods is stretched less on a phone.
MIN_WIDTH = 200


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


@dataclass(frozen=True)
class Line:
    """A line over the bars (e.g. a trend): its name (legend, the line's title), one value
    per label (fractions allowed; below zero is drawn at zero) and its CSS class."""

    name: str
    values: list[float]
    css: str


def chart_top(series: Sequence[Series], lines: Sequence[Line] = ()) -> int:
    """The top of a chart's scale: its largest value, bar or line, rounded up (at least 1)."""
    return ceil(max((v for kind in (*series, *lines) for v in kind.values), default=0)) or 1


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[Series],
    scale_label: str | None = None,
    lines: Sequence[Line] = (),
) -> Markup:
    """Grouped bars as an SVG element; ``labels`` name the groups (periods);
    ``scale_label`` writes the top of the scale (default: the largest value); ``lines``
    are drawn over the bars on the same scale, through the middle of each group."""
    largest = chart_top(series, lines)
    group = BAR * len(series) + GAP
    width = max(group * len(labels) + GAP, MIN_WIDTH)
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
    middle = GAP + (BAR * len(series)) / 2
    for line in lines:
        if len(line.values) < 2:
            continue  # one point makes no line; the table still has the number
        points = " ".join(
            f"{middle + index * group:g},"
            f"{TOP_SPACE + PLOT_HEIGHT - PLOT_HEIGHT * max(value, 0) / largest:.1f}"
            for index, value in enumerate(line.values)
        )
        parts.append(
            f'<polyline class="chart-line {escape(line.css)}" points="{points}">'
            f"<title>{escape(line.name)}</title></polyline>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped  # nosec B704


def chart_legend(series: Sequence[Series], lines: Sequence[Line] = ()) -> Markup:
    """The legend under a chart: a swatch and the name of every kind of bar and line."""
    items = [
        f'<li><span class="swatch {escape(kind.css)}" aria-hidden="true"></span>'
        f"{escape(kind.name)}</li>"
        for kind in series
    ] + [
        f'<li><span class="swatch swatch--line {escape(line.css)}" aria-hidden="true"></span>'
        f"{escape(line.name)}</li>"
        for line in lines
    ]
    return Markup(f'<ul class="chart-legend">{"".join(items)}</ul>')  # noqa: S704  # nosec B704


# --- trends ----------------------------------------------------------------------------

#: A fitted change smaller than this share of the mean reads as flat.
FLAT_SHARE = Fraction(1, 20)
#: Periods in a moving average unless the caller says otherwise.
AVERAGE_WINDOW = 4


def moving_average(values: Sequence[int], window: int = AVERAGE_WINDOW) -> list[float]:
    """The trailing mean at each position of the last ``window`` values (fewer at the
    start: the first position is its own value); empty in, empty out."""
    if window < 1:
        raise ValueError("window must be at least 1")
    out: list[float] = []
    total = 0
    for index, value in enumerate(values):
        total += value
        if index >= window:
            total -= values[index - window]
        out.append(total / min(index + 1, window))  # int / int: rounded as float(Fraction)
    return out


@dataclass(frozen=True)
class Fit:
    """A least-squares straight line through values at positions 0, 1, ... ``count - 1``:
    its value at the first position and its change per position."""

    start: Fraction
    slope: Fraction
    count: int

    @property
    def end(self) -> Fraction:
        """The line's value at the last position."""
        return self.start + self.slope * max(self.count - 1, 0)

    def at(self, index: int) -> Fraction:
        """The line's value at a position."""
        return self.start + self.slope * index

    @property
    def direction(self) -> str:
        """``rising``, ``falling`` or ``flat`` (the change from first to last position is
        at most ``FLAT_SHARE`` of the mean, or nothing changes)."""
        change = self.end - self.start
        mean = (self.start + self.end) / 2
        if abs(change) <= FLAT_SHARE * abs(mean):
            return "flat"
        return "rising" if change > 0 else "falling"


def least_squares(values: Sequence[int]) -> Fit:
    """The least-squares line through ``values`` (exact fractions); no values: a line at
    zero; one value: a flat line through it. Summed in integers (n = count, x = 0 ... n-1):
    slope = (n Sxy - Sx Sy) / (n Sxx - Sx^2), start = (Sy - slope Sx) / n."""
    count = len(values)
    if count == 0:
        return Fit(Fraction(0), Fraction(0), 0)
    sum_y = sum(values)
    if count == 1:
        return Fit(Fraction(sum_y), Fraction(0), 1)
    sum_x = count * (count - 1) // 2
    sum_xx = (count - 1) * count * (2 * count - 1) // 6
    sum_xy = sum(index * value for index, value in enumerate(values))
    rise = count * sum_xy - sum_x * sum_y
    run = count * sum_xx - sum_x * sum_x
    return Fit(Fraction(sum_y * run - rise * sum_x, count * run), Fraction(rise, run), count)


def fitted(fit: Fit) -> list[float]:
    """The line's value at every position, as floats (each rounded as ``float(fit.at(i))``
    is: one integer division a position instead of Fraction arithmetic)."""
    start, slope = fit.start, fit.slope
    base = start.numerator * slope.denominator
    step = slope.numerator * start.denominator
    denominator = start.denominator * slope.denominator
    return [(base + step * index) / denominator for index in range(fit.count)]


@dataclass(frozen=True)
class Trend:
    """A series' trend, ready to draw (``lines``) and to say (``sentence``)."""

    average: Line
    fit_line: Line
    fit: Fit
    sentence: str

    @property
    def lines(self) -> list[Line]:
        """The moving average and the least-squares line, to draw over the bars."""
        return [self.average, self.fit_line]


def trend(
    values: Sequence[int],
    shown: Callable[[float], str],
    per: str = "week",
    window: int = AVERAGE_WINDOW,
) -> Trend:
    """The moving average and the least-squares line of ``values`` (one per week, meeting
    or month: ``per``), named for the legend, and a sentence for the chart's text
    alternative; ``shown`` writes a value (a number or an amount) in the user's locale."""
    fit = least_squares(values)
    names = {
        "week": _("Average of %(count)s weeks", count=window),
        "meeting": _("Average of %(count)s meetings", count=window),
        "month": _("Average of %(count)s months", count=window),
    }
    average = Line(names[per], moving_average(values, window), "trend--average")
    fit_line = Line(_("Trend (straight line)"), fitted(fit), "trend--fit")
    return Trend(average, fit_line, fit, trend_sentence(fit, shown, per))


def trend_sentence(fit: Fit, shown: Callable[[float], str], per: str = "week") -> str:
    """The trend in words, e.g. "Trend rising: from 2 to 5 per week." (or falling, flat;
    per meeting or month); a fitted value below zero is said as zero."""
    if fit.count < 2:
        return _("Too few periods for a trend.")
    values = {"start": shown(max(float(fit.start), 0)), "end": shown(max(float(fit.end), 0))}
    sentences = {
        ("rising", "week"): _("Trend rising: from %(start)s to %(end)s per week.", **values),
        ("falling", "week"): _("Trend falling: from %(start)s to %(end)s per week.", **values),
        ("flat", "week"): _("Trend flat: from %(start)s to %(end)s per week.", **values),
        ("rising", "meeting"): _("Trend rising: from %(start)s to %(end)s per meeting.", **values),
        ("falling", "meeting"): _(
            "Trend falling: from %(start)s to %(end)s per meeting.", **values
        ),
        ("flat", "meeting"): _("Trend flat: from %(start)s to %(end)s per meeting.", **values),
        ("rising", "month"): _("Trend rising: from %(start)s to %(end)s per month.", **values),
        ("falling", "month"): _("Trend falling: from %(start)s to %(end)s per month.", **values),
        ("flat", "month"): _("Trend flat: from %(start)s to %(end)s per month.", **values),
    }
    return sentences[fit.direction, per]
