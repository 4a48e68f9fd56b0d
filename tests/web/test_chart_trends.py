"""Trends over chart bars (issue 14, item 6): the moving average and the least-squares line
are exact, empty and single-period input give a sensible answer, the lines are drawn on
the bars' scale and named in the legend, and the text alternative says the direction."""

from __future__ import annotations

import random
import re
from fractions import Fraction

import pytest

from circle.web.charts import (
    PLOT_HEIGHT,
    TOP_SPACE,
    Fit,
    Line,
    Series,
    bar_chart,
    chart_legend,
    chart_top,
    fitted,
    least_squares,
    moving_average,
    trend,
    trend_sentence,
)


def test_the_moving_average_trails_over_the_window_and_starts_with_what_there_is():
    assert moving_average([4, 8, 0, 12, 4, 4], 4) == [4.0, 6.0, 4.0, 6.0, 6.0, 5.0]
    assert moving_average([1, 2], 3) == [1.0, 1.5]
    assert moving_average([5, 7, 9], 1) == [5.0, 7.0, 9.0]
    assert moving_average([], 4) == []
    assert moving_average([7], 4) == [7.0]
    assert moving_average([1, 1, 2], 3) == [1.0, 1.0, float(Fraction(4, 3))]
    with pytest.raises(ValueError, match="window"):
        moving_average([1], 0)


def test_the_least_squares_line_is_exact():
    rising = least_squares([1, 2, 3, 4])
    assert (rising.start, rising.slope, rising.end) == (1, 1, 4)
    assert rising.direction == "rising"
    # 0, 0, 10: slope 5 per period, through the mean 10/3 at the middle.
    jump = least_squares([0, 0, 10])
    assert jump.slope == 5 and jump.start == Fraction(-5, 3) and jump.end == Fraction(25, 3)
    assert jump.at(1) == Fraction(10, 3)
    falling = least_squares([9, 6, 3])
    assert (falling.start, falling.slope, falling.direction) == (9, -3, "falling")
    assert least_squares([5, 5, 5]) == Fit(Fraction(5), Fraction(0), 3)
    assert least_squares([5, 5, 5]).direction == "flat"
    assert least_squares([100, 101]).direction == "flat"  # 1 in 100: within 5 %
    assert least_squares([10, 10, 11]).direction == "rising"


def _by_definition(values: list[int]) -> tuple[Fraction, Fraction]:
    """The least-squares line by its definition, around the means, in Fractions."""
    count = len(values)
    mean_x, mean_y = Fraction(count - 1, 2), Fraction(sum(values), count)
    spread = sum((i - mean_x) ** 2 for i in range(count))
    together = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    slope = together / spread
    return mean_y - slope * mean_x, slope


def test_the_integer_sums_give_the_line_of_the_definition_and_its_exact_points():
    rng = random.Random(15)
    for _ in range(200):
        values = [rng.randint(0, 10 ** rng.randint(0, 9)) for _ in range(rng.randint(2, 130))]
        fit = least_squares(values)
        assert (fit.start, fit.slope) == _by_definition(values)
        assert fitted(fit) == [float(fit.at(i)) for i in range(len(values))]
        window = rng.randint(1, 12)
        assert moving_average(values, window) == [
            float(Fraction(sum(values[max(0, i - window + 1) : i + 1]), min(i + 1, window)))
            for i in range(len(values))
        ]


def test_no_periods_and_one_period_give_a_flat_line():
    empty = least_squares([])
    assert (empty.start, empty.slope, empty.count, empty.end) == (0, 0, 0, 0)
    assert empty.direction == "flat"
    single = least_squares([7])
    assert (single.start, single.slope, single.end, single.direction) == (7, 0, 7, "flat")


def test_the_trend_is_said_with_its_direction_and_its_ends(app):
    with app.test_request_context():
        assert (
            trend_sentence(least_squares([1, 2, 3, 4]), str)
            == "Trend rising: from 1.0 to 4.0 per week."
        )
        # 9, 3, 0, 0: from 7.5 falling by 3 a week to -1.5, which is said as zero.
        assert least_squares([9, 3, 0, 0]).end == Fraction(-3, 2)
        assert trend_sentence(least_squares([9, 3, 0, 0]), lambda v: f"{v:g}") == (
            "Trend falling: from 7.5 to 0 per week."
        )
        assert trend_sentence(least_squares([5, 5]), lambda v: f"{v:g}", "meeting") == (
            "Trend flat: from 5 to 5 per meeting."
        )
        assert trend_sentence(least_squares([4]), str) == "Too few periods for a trend."
        assert trend_sentence(least_squares([]), str, "month") == "Too few periods for a trend."


def points(svg: str, css: str) -> list[tuple[float, float]]:
    """The points of the polyline with class ``css``."""
    match = re.search(rf'<polyline class="chart-line {css}" points="([^"]+)"', svg)
    assert match, f"no line {css}"
    return [tuple(float(n) for n in pair.split(",")) for pair in match.group(1).split()]


def test_lines_are_drawn_over_the_bars_on_their_scale(app):
    with app.test_request_context():
        line = trend([0, 4, 8, 4], str)
    assert line.average.values == [0.0, 2.0, 4.0, 4.0]
    assert line.fit_line.values == [1.6, 3.2, 4.8, 6.4]  # slope 8/5, through the mean 4
    series = [Series("Given", [0, 4, 8, 4], "bar--given")]
    svg = str(bar_chart("c", "t", "d", ["a", "b", "c", "d"], series, lines=line.lines))
    base = TOP_SPACE + PLOT_HEIGHT
    average = points(svg, "trend--average")
    assert [round(base - y) for _x, y in average] == [0, 30, 60, 60]  # 8 is the top: 120
    assert [x for x, _y in average] == [11, 27, 43, 59]  # through the middle of each bar
    fit = points(svg, "trend--fit")
    assert [round(base - y) for _x, y in fit] == [24, 48, 72, 96]
    assert f"<title>{line.average.name}</title>" in svg
    assert "style=" not in svg


def test_a_line_above_the_bars_raises_the_scale_and_below_zero_stays_on_the_base():
    series = [Series("x", [2, 2], "bar--given")]
    lines = [Line("high", [4.5, -1.0], "trend--fit")]
    assert chart_top(series, lines) == 5
    svg = str(bar_chart("c", "t", "d", ["a", "b"], series, lines=lines))
    assert re.findall(r'height="(\d+)" data-value', svg) == [str(PLOT_HEIGHT * 2 // 5)] * 2
    assert [y for _x, y in points(svg, "trend--fit")] == [
        TOP_SPACE + PLOT_HEIGHT - PLOT_HEIGHT * 4.5 / 5,
        TOP_SPACE + PLOT_HEIGHT,
    ]
    assert ">5</text>" in svg  # the top of the scale


def test_one_period_draws_no_line_and_the_legend_names_bars_and_lines():
    series = [Series("Given <b>", [3], "bar--given")]
    lines = [Line("Average", [3.0], "trend--average")]
    svg = str(bar_chart("c", "t", "d", ["a"], series, lines=lines))
    assert "<polyline" not in svg and 'height="120"' in svg
    assert 'viewBox="0 0 200 152"' in svg  # a narrow chart is not stretched into a smear
    legend = str(chart_legend(series, lines))
    assert legend.startswith('<ul class="chart-legend">')
    assert '<span class="swatch bar--given" aria-hidden="true"></span>Given &lt;b&gt;' in legend
    assert 'class="swatch swatch--line trend--average" aria-hidden="true"></span>Average' in legend
