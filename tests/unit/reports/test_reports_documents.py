"""Documents and charts drawn on the objects each thread keeps (figures, fonts, the
stylesheet): the same input gives the same bytes however often it is drawn, and two
threads drawing at once never share a figure."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from PIL import Image

from services.reports import charts, documents
from services.reports.documents import (
    DETAIL_LEVELS,
    REPORT_TYPES,
    render_report,
    template_name,
)
from services.reports.domain.content import ReportInputs, compose_report
from services.reports.domain.texts import LANGUAGES, texts
from services.reports.domain.work import (
    AssignmentWork,
    LessonDone,
    Period,
    QuizAttempt,
    StudentRecord,
)

pytestmark = pytest.mark.unit

START = datetime(2026, 9, 1, tzinfo=UTC)
SCORES = [("2026-09-03", 60.0), ("2026-09-10", 80.0), ("2026-09-17", 75.0)]
OTHER_SCORES = [(f"2026-10-{n:02d}", 40.0 + n) for n in range(1, 29)]
MINUTES = [(f"2026-09-{n:02d}", float(10 * n % 70)) for n in range(1, 31)]
OTHER_MINUTES = [("2026-11-01", 5.0)]
LETTERS = [("F", 0), ("D", 1), ("C", 3), ("B", 2), ("A", 4)]
OTHER_LETTERS = [("F", 7), ("P", 1)]

DRAWINGS: list[tuple[str, Callable[..., bytes], list[Any], list[Any]]] = [
    ("score_trend", charts.score_trend_chart, SCORES, OTHER_SCORES),
    ("time_by_day", charts.time_by_day_chart, MINUTES, OTHER_MINUTES),
    ("grade_distribution", charts.grade_distribution_chart, LETTERS, OTHER_LETTERS),
]


def document(**configuration: Any) -> dict[str, Any]:
    """A comprehensive report with graphs, as the API serves it, from a term's work."""
    day = lambda n: START + timedelta(days=n, hours=10)  # noqa: E731
    student = StudentRecord(
        "USR-STU-1",
        "CRS-1",
        lessons=tuple(LessonDone(f"LSN-{n}", day(n), time_spent=20 + n) for n in range(20)),
        attempts=tuple(QuizAttempt(f"A{n}", f"QZ-{n % 4}", day(2 * n), 50 + n) for n in range(12)),
        assignments=(AssignmentWork("ASG-1", "graded", day(10), grade=91, time_spent=60),),
    )
    content = compose_report(ReportInputs(student, Period(START, START + timedelta(days=60))))
    return {
        "id": "RPT-1",
        "student_id": "USR-STU-1",
        "course_id": "CRS-1",
        "report_type": "comprehensive",
        "title": "Autumn term",
        "description": None,
        "period_start": START,
        "period_end": START + timedelta(days=60),
        "generated_at": START + timedelta(days=61),
        "generated_by": "USR-TEA-1",
        **content,
        "configuration": {
            "format": "pdf",
            "detail_level": "comprehensive",
            "include_graphs": True,
            "language": "en",
            **configuration,
        },
    }


@pytest.mark.parametrize(("kind", "draw", "series", "other"), DRAWINGS)
def test_a_chart_drawn_again_after_another_is_the_same_bytes(kind, draw, series, other):
    first = draw("Title", series)
    draw("Another title", other)
    draw("Empty", [])
    assert draw("Title", series) == first


@pytest.mark.parametrize(("kind", "draw", "series", "other"), DRAWINGS)
def test_a_chart_is_an_rgb_png_at_its_printed_size(kind, draw, series, other):
    image = Image.open(io.BytesIO(draw("Title", series)))
    assert image.format == "PNG" and image.mode == "RGB"
    assert image.size == charts.PIXELS
    assert round(charts.PIXELS[0] / charts.DPI * 25.4) == 210 - 2 * 16  # the page's text width
    assert len(image.convert("RGB").getcolors(maxcolors=100_000) or []) > 20  # drawn, not blank


def test_each_thread_draws_on_figures_of_its_own():
    alone = {kind: draw(kind, series) for kind, draw, series, _ in DRAWINGS}
    barrier = threading.Barrier(2)
    figures: dict[str, list[int]] = {"a": [], "b": []}
    drawn: dict[str, list[bytes]] = {"a": [], "b": []}

    def work(name: str, order: list[tuple[str, Callable[..., bytes], list[Any], list[Any]]]):
        barrier.wait()
        for _round in range(3):
            for kind, draw, series, other in order:
                figures[name].append(id(charts.thread_figure(kind)))
                drawn[name].append(draw(kind, series))
                draw(kind, other)

    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(work, "a", DRAWINGS), pool.submit(work, "b", DRAWINGS[::-1])]
        for job in jobs:
            job.result()
    assert not set(figures["a"]) & set(figures["b"])
    assert len(set(figures["a"])) == len(set(figures["b"])) == len(DRAWINGS)
    assert drawn["a"] == [alone[kind] for _ in range(3) for kind, *_ in DRAWINGS]
    assert drawn["b"] == [alone[kind] for _ in range(3) for kind, *_ in DRAWINGS[::-1]]


def test_html_rendered_twice_is_the_same_bytes_with_its_three_charts():
    report = document(format="html")
    first = render_report(report, "html")
    assert render_report(report, "html") == first
    assert first.count(b"data:image/png;base64,") == 3


def _pdf_text(body: bytes) -> str:
    pdf = pypdfium2.PdfDocument(body)
    return "\n".join(pdf[index].get_textpage().get_text_range() for index in range(len(pdf)))


def test_weasyprint_subsets_fonts_with_harfbuzz():
    # Without libharfbuzz-subset0 WeasyPrint falls back to fontTools, which stamps each
    # subset font with the current second: a PDF rendered twice then differs.
    from weasyprint.text.ffi import harfbuzz_subset

    assert harfbuzz_subset is not None, (
        "libharfbuzz-subset0 is missing: scripts/ensure-servers (make test) installs it"
    )


def test_a_pdf_rendered_twice_prints_the_same_and_is_styled_by_the_report_stylesheet():
    report = document()
    first, second = render_report(report, "pdf"), render_report(report, "pdf")
    assert first == second
    text = _pdf_text(first)
    assert "Autumn term" in text and "USR-STU-1" in text
    page = pypdfium2.PdfDocument(first)[0]
    assert round(page.get_width() / 72 * 25.4) == 210  # A4
    textpage = page.get_textpage()
    page_text = textpage.get_text_range()
    sizes = [_points(textpage, page_text.index(s)) for s in ("Autumn", "Comprehensive")]
    assert sizes == [18, 10]  # the stylesheet's h1 and body, not WeasyPrint's 24 and 12


def _points(textpage: Any, index: int) -> float:
    """The font size of a character in points (WeasyPrint writes CSS pixels, 0.75 pt)."""
    return round(pypdfium2.raw.FPDFText_GetFontSize(textpage.raw, index) * 0.75, 1)


def test_two_threads_render_pdf_and_html_at_once_as_one_thread_does():
    report = document()
    alone = {fmt: render_report(report, fmt) for fmt in ("pdf", "html")}
    barrier = threading.Barrier(2)
    results: dict[str, list[bytes]] = {"pdf": [], "html": []}

    def work(fmt: str) -> None:
        barrier.wait()
        for _ in range(2):
            results[fmt].append(render_report(report, fmt))

    with ThreadPoolExecutor(max_workers=2) as pool:
        for job in [pool.submit(work, fmt) for fmt in ("pdf", "html")]:
            job.result()
    assert results == {fmt: [alone[fmt]] * 2 for fmt in ("pdf", "html")}


SECTIONS = ("summary", "assessments", "skills", "goals", "feedback", "next_steps")
GOAL = {"goal_id": "G-1", "description": "Finish", "target_date": None, "progress": 10.0,
        "status": "on_track", "milestones": []}  # fmt: skip


def _headings(text: str, language: str) -> set[str]:
    words = texts(language)
    return {section for section in SECTIONS if f"\n{words[section]}\n" in f"\n{text}\n"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("detail_level", DETAIL_LEVELS)
@pytest.mark.parametrize("report_type", REPORT_TYPES)
def test_json_html_and_pdf_show_the_sections_of_one_template(report_type, detail_level, language):
    report = document(detail_level=detail_level, language=language, include_graphs=False)
    report.update(report_type=report_type, goals=[GOAL])
    as_json = json.loads(render_report(report, "json"))
    in_json = {section for section in SECTIONS if section in as_json}
    html = render_report(report, "html").decode()
    in_html = {s for s in SECTIONS if f"<h2>{texts(language)[s]}</h2>" in html}
    in_pdf = _headings(_pdf_text(render_report(report, "pdf")).replace("\r", ""), language)
    assert "summary" in in_json
    assert in_json == in_html == in_pdf
    assert f'lang="{language}"' in html
    assert as_json["configuration"]["detail_level"] == detail_level
    if detail_level == "comprehensive" and report_type != "grade":
        assert in_json == set(SECTIONS)


def test_each_report_type_and_detail_level_has_its_template():
    names = {path.name for path in (Path(documents.__file__).parent / "templates").iterdir()}
    assert {template_name(t, d) for t in REPORT_TYPES for d in DETAIL_LEVELS} <= names
