"""A report as a document: JSON, HTML or PDF, from one Jinja template per report type and
detail level (``templates/<type>_<level>.html.j2``).

The template decides what a document shows: its ``sections`` are the parts of the
report the HTML and PDF print and the JSON carries. PDF is the HTML laid out by
WeasyPrint, which needs Pango (Debian: ``libpango-1.0-0 libpangoft2-1.0-0``); where it
cannot load, ``pdf_support()`` says why, ``/readyz`` reports it and a PDF job fails
with that reason.

WeasyPrint's font setup (a Fontconfig configuration and a Pango font map) and the
report's parsed stylesheet are built once per thread and kept: building them costs
about as much as laying out a page, and neither may be shared between threads. The
stylesheet (``templates/report.css``) is inlined in the HTML document and given to
WeasyPrint already parsed for the PDF.
"""

from __future__ import annotations

import base64
import functools
import json
import threading
from collections.abc import Mapping
from datetime import date, datetime
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from services.reports import charts
from services.reports.domain.texts import say, texts
from shared.time import to_iso

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

MEDIA_TYPES = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}
FORMATS = tuple(MEDIA_TYPES)
REPORT_TYPES = ("progress", "grade", "comprehensive")
DETAIL_LEVELS = ("summary", "detailed", "comprehensive")
METADATA = (
    "id",
    "student_id",
    "course_id",
    "report_type",
    "title",
    "description",
    "period_start",
    "period_end",
    "generated_at",
    "generated_by",
)


class RenderingUnavailable(Exception):
    """The document cannot be rendered on this machine (a library is missing)."""


_kept = threading.local()


@functools.cache
def _environment() -> Environment:
    # templates ship with the code: compiled once, never checked on disk again
    return Environment(
        loader=PackageLoader("services.reports", "templates"),
        autoescape=select_autoescape(["j2", "html"]),
        undefined=StrictUndefined,
        auto_reload=False,
    )


@functools.cache
def stylesheet() -> str:
    """The report's stylesheet (``templates/report.css``)."""
    return files("services.reports").joinpath("templates", "report.css").read_text("utf-8")


def template_name(report_type: str, detail_level: str) -> str:
    return f"{report_type}_{detail_level}.html.j2"


@functools.cache
def pdf_support() -> str:
    """``ok`` when WeasyPrint can lay out PDFs here, else why not."""
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:
        return f"unavailable: WeasyPrint cannot load Pango ({exc}); install libpango-1.0-0"
    except ImportError as exc:
        return f"unavailable: WeasyPrint is not installed ({exc})"
    return "ok"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _chart_images(report: Mapping[str, Any], language: str) -> list[tuple[str, str]]:
    series = report.get("charts") or {}
    words = texts(language)
    drawn = [
        (
            "score_trend",
            charts.score_trend_chart(words["chart.score_trend"], series.get("score_trend", [])),
        ),
        (
            "time_by_day",
            charts.time_by_day_chart(words["chart.time_by_day"], series.get("time_by_day", [])),
        ),
        (
            "grade_distribution",
            charts.grade_distribution_chart(
                words["chart.grade_distribution"], series.get("grade_distribution", [])
            ),
        ),
    ]
    return [(name, base64.b64encode(png).decode()) for name, png in drawn]


def render_report(report: Mapping[str, Any], fmt: str) -> bytes:
    """The report (the API's document, with its content) in ``fmt``."""
    configuration = report["configuration"]
    language = configuration.get("language", "en")
    template = _environment().get_template(
        template_name(report["report_type"], configuration["detail_level"])
    )
    with_graphs = configuration.get("include_graphs", False) and fmt != "json"
    variables = {
        "report": report,
        "t": texts(language),
        "language": language,
        "charts": _chart_images(report, language) if with_graphs else [],
        # the PDF gets the stylesheet parsed once per thread, not inlined
        "stylesheet": Markup(stylesheet()) if fmt == "html" else "",
    }
    if fmt == "json":
        sections: list[str] = getattr(template.make_module(variables), "sections")  # noqa: B009
        body = {key: report[key] for key in METADATA}
        body.update({section: report[section] for section in sections})
        # whether the report may be shared, not its links' state: links come and go
        # without the data changing, so a cached document would show them stale
        sharing = configuration.get("sharing") or {}
        body["configuration"] = {
            **configuration,
            "sharing": {"shareable": bool(sharing.get("shareable", False))},
        }
        return json.dumps(body, default=_json_default, ensure_ascii=False).encode()
    html = template.render(variables)
    if fmt == "html":
        return html.encode()
    return html_to_pdf(html, with_report_stylesheet=True)


def _fonts() -> FontConfiguration:
    """This thread's WeasyPrint font setup, built on its first PDF."""
    fonts: FontConfiguration | None = getattr(_kept, "fonts", None)
    if fonts is None:
        from weasyprint.text.fonts import FontConfiguration

        fonts = _kept.fonts = FontConfiguration()
    return fonts


def _report_css() -> CSS:
    """The report's stylesheet, parsed once by this thread with its font setup."""
    css: CSS | None = getattr(_kept, "report_css", None)
    if css is None:
        from weasyprint import CSS

        css = _kept.report_css = CSS(string=stylesheet(), font_config=_fonts())
    return css


def html_to_pdf(html: str, *, with_report_stylesheet: bool = False) -> bytes:
    """The HTML laid out as PDF (with the report's stylesheet, parsed once per thread)."""
    support = pdf_support()
    if support != "ok":
        raise RenderingUnavailable(support)
    from weasyprint import HTML

    stylesheets = [_report_css()] if with_report_stylesheet else []
    pdf: bytes = HTML(string=html).write_pdf(stylesheets=stylesheets, font_config=_fonts())
    return pdf


def render_certificate(
    *,
    certificate_id: str,
    student_id: str,
    course_id: str,
    issued_at: datetime,
    average_score: float | None,
    language: str = "en",
) -> bytes:
    template = _environment().get_template("certificate.html.j2")
    html = template.render(
        t=texts(language),
        language=language,
        body=say(language, "certificate.body", student=student_id, course=course_id),
        issued=say(language, "certificate.issued", date=issued_at.date().isoformat()),
        average_score=average_score,
        certificate_id=certificate_id,
    )
    return html_to_pdf(html)
