"""The report's charts (score trend, time by day, grade distribution) as PNG images.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, safe in
threads); each chart is a function of plain series and returns PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SIZE = (6.0, 2.4)
DPI = 100
COLOR = "#2b6cb0"


#: at most this many labelled ticks on a time axis (labels cost more to lay out than bars)
MAX_LABELS = 8


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    # fixed margins: tight_layout measures every label and costs more than the drawing
    figure.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.3)
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
    _thin_labels(axes, [label for label, _ in points])
    return _png(figure)


def time_by_day_chart(title: str, days: Sequence[tuple[str, float]]) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    axes.bar([day for day, _ in days], [minutes for _, minutes in days], color=COLOR)
    axes.set_title(title)
    _thin_labels(axes, [day for day, _ in days])
    return _png(figure)


def grade_distribution_chart(title: str, counts: Sequence[tuple[str, int]]) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    axes.bar([letter for letter, _ in counts], [count for _, count in counts], color=COLOR)
    axes.set_title(title)
    return _png(figure)


def _thin_labels(axes: Any, labels: Sequence[str]) -> None:
    """Label at most ``MAX_LABELS`` evenly spaced categories of the x axis."""
    step = max(1, -(-len(labels) // MAX_LABELS))
    positions = list(range(0, len(labels), step))
    axes.set_xticks(positions, [labels[i] for i in positions], rotation=30, fontsize=7)
