"""The report's charts (score trend, time by day, grade distribution) as PNG images.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state). Building a
figure, its axes and their ticks costs more than drawing a chart, so each thread keeps
one figure per kind of chart and redraws it: the data artists are updated in place,
every property that depends on the data is set again on each drawing, so the same
series gives the same bytes whatever was drawn before. A figure is never shared
between threads. Charts are drawn at the size they are printed (the page's text width,
at CSS's 96 pixels per inch) and saved as RGB PNG: WeasyPrint would otherwise split an
alpha channel into a mask and scale the image down.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from PIL import Image

#: CSS pixels per inch: the chart has as many pixels as its place in the document
DPI = 96
#: the A4 page's text width (210 mm less two 16 mm margins: 7.0 in) by 2.5 in
PIXELS = (672, 240)
SIZE = (PIXELS[0] / DPI, PIXELS[1] / DPI)
COLOR = "#2b6cb0"
#: at most this many labelled ticks on a time axis (labels cost more to lay out than bars)
MAX_LABELS = 8
#: share of a category's width its bar fills
BAR_WIDTH = 0.8
KINDS = ("score_trend", "time_by_day", "grade_distribution")
#: kinds whose x axis is a time line of dated labels (small, slanted, thinned out)
TIME_LINES = ("score_trend", "time_by_day")


@dataclass
class _Chart:
    """A figure kept by one thread for one kind of chart, with the artists it redraws."""

    kind: str
    figure: Figure
    canvas: FigureCanvasAgg
    axes: Axes
    line: Line2D
    bars: PolyCollection


_kept = threading.local()


def _new_chart(kind: str) -> _Chart:
    figure = Figure(figsize=SIZE, dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(figure)
    # fixed margins: tight_layout measures every label and costs more than the drawing
    figure.subplots_adjust(left=0.07, right=0.98, top=0.88, bottom=0.28)
    axes = figure.add_subplot()
    (line,) = axes.plot([], [], marker="o", color=COLOR)
    bars = PolyCollection([], facecolors=COLOR, edgecolors="none")
    axes.add_collection(bars, autolim=False)
    if kind in TIME_LINES:
        axes.tick_params(axis="x", labelsize=7, labelrotation=30)
    else:
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of grades
    # fixed places for the (empty) axis labels: placing them measures every tick label
    axes.xaxis.set_label_coords(0.5, 0.0)
    axes.yaxis.set_label_coords(0.0, 0.5)
    return _Chart(kind, figure, canvas, axes, line, bars)


def _chart(kind: str) -> _Chart:
    charts: dict[str, _Chart] | None = getattr(_kept, "charts", None)
    if charts is None:
        charts = _kept.charts = {}
    if kind not in charts:
        charts[kind] = _new_chart(kind)
    return charts[kind]


def thread_figure(kind: str) -> Figure:
    """The figure this thread draws charts of ``kind`` on."""
    if kind not in KINDS:
        raise ValueError(f"unknown chart kind {kind!r}; one of {', '.join(KINDS)}")
    return _chart(kind).figure


def score_trend_chart(title: str, points: Sequence[tuple[str, float]]) -> bytes:
    chart = _chart("score_trend")
    chart.line.set_data(range(len(points)), [score for _, score in points])
    chart.line.set_visible(True)
    chart.bars.set_visible(False)
    return _drawn(chart, title, [label for label, _ in points], top=100.0)


def time_by_day_chart(title: str, days: Sequence[tuple[str, float]]) -> bytes:
    chart = _chart("time_by_day")
    _set_bars(chart, [minutes for _, minutes in days])
    return _drawn(chart, title, [day for day, _ in days], top=None)


def grade_distribution_chart(title: str, counts: Sequence[tuple[str, int]]) -> bytes:
    chart = _chart("grade_distribution")
    _set_bars(chart, [float(count) for _, count in counts])
    return _drawn(chart, title, [letter for letter, _ in counts], top=None)


def _set_bars(chart: _Chart, heights: Sequence[float]) -> None:
    """All the bars as one collection: one path drawn per chart, not one artist per bar."""
    half = BAR_WIDTH / 2
    chart.bars.set_verts(
        [
            [(i - half, 0.0), (i - half, h), (i + half, h), (i + half, 0.0)]
            for i, h in enumerate(heights)
        ]
    )
    chart.bars.set_visible(True)
    chart.line.set_visible(False)
    chart.axes.set_ylim(0.0, max(heights, default=0.0) * 1.05 or 1.0)


def _drawn(chart: _Chart, title: str, labels: Sequence[str], *, top: float | None) -> bytes:
    axes = chart.axes
    # a fixed height: placing the title automatically measures the tick labels again
    axes.set_title(title, y=1.02)
    axes.set_xlim(-0.6, max(len(labels) - 1, 0) + 0.6)
    if top is not None:
        axes.set_ylim(0.0, top)
    step = max(1, -(-len(labels) // MAX_LABELS)) if chart.kind in TIME_LINES else 1
    positions = list(range(0, len(labels), step))
    axes.set_xticks(positions, [labels[i] for i in positions])
    chart.canvas.draw()
    width, height = chart.canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), chart.canvas.buffer_rgba(), "raw")
    buffer = io.BytesIO()
    # flat colours compress well at the fastest level; the default level costs more
    image.convert("RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
