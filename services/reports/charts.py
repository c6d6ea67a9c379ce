"""The report's charts (score trend, time by day, grade distribution) as PNG images.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, safe in
threads); each chart is a function of plain series and returns PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SIZE = (6.0, 2.4)
DPI = 100
COLOR = "#2b6cb0"


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def score_trend_chart(title: str, points: Sequence[tuple[str, float]]) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    axes.plot(
        [label for label, _ in points], [score for _, score in points], marker="o", color=COLOR
    )
    axes.set_ylim(0, 100)
    axes.set_title(title)
    axes.tick_params(axis="x", labelrotation=30, labelsize=7)
    return _png(figure)


def time_by_day_chart(title: str, days: Sequence[tuple[str, float]]) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    axes.bar([day for day, _ in days], [minutes for _, minutes in days], color=COLOR)
    axes.set_title(title)
    axes.tick_params(axis="x", labelrotation=30, labelsize=7)
    return _png(figure)


def grade_distribution_chart(title: str, counts: Sequence[tuple[str, int]]) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    axes.bar([letter for letter, _ in counts], [count for _, count in counts], color=COLOR)
    axes.set_title(title)
    return _png(figure)
