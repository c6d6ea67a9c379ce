"""Documents: PDF pages rendered to images and read back, the values printed equal the data,
charts embedded with include_graphs, HTML and JSON from the same template, the cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pypdfium2
import pytest
import sqlalchemy as sa

from services.reports.domain.texts import texts
from services.reports.models import Report
from tests.integration.reports.reports_support import (
    STUDENT,
    report_request,
    run_jobs,
    seed_work,
)

pytestmark = pytest.mark.integration


def _pdf_pages(body: bytes) -> list[tuple[str, object]]:
    document = pypdfium2.PdfDocument(body)
    pages = []
    for index in range(len(document)):
        page = document[index]
        text = page.get_textpage().get_text_range()
        image = page.render(scale=1).to_pil()
        pages.append((text, image))
    return pages


def _ink(image) -> float:
    """Share of pixels that are not white: a blank page is near 0."""
    gray = image.convert("L")
    histogram = gray.histogram()
    return 1 - sum(histogram[250:]) / sum(histogram)


def _printed(value) -> str:
    """A value as the report's template prints it (numbers by %g, nothing as a dash)."""
    return "-" if value is None else (f"{value:g}" if isinstance(value, int | float) else value)


def _colors(image) -> int:
    return len(image.convert("RGB").getcolors(maxcolors=1_000_000) or [])


def test_the_pdf_prints_the_data_and_its_charts(app, teacher):
    seed_work(app)
    body = report_request(
        configuration={"format": "pdf", "detail_level": "comprehensive", "include_graphs": True}
    )
    report_id = teacher.post("/reports", json=body).json["id"]
    assert run_jobs(app) == ["ready"]
    report = teacher.get(f"/reports/{report_id}").json
    response = teacher.get(f"/reports/{report_id}/document")
    assert response.status_code == 200 and response.content_type == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    pages = _pdf_pages(response.data)
    text = "\n".join(page_text for page_text, _ in pages).replace("\r", "")
    summary = report["summary"]
    assert STUDENT in text
    words = texts("en")
    for key, value in summary.items():  # every summary value, as the document prints it
        assert f"{words[key]} {_printed(value)}" in text, key
    for quiz in report["assessments"]["quizzes"]:
        row = [quiz["title"], quiz["date"][:10], _printed(quiz["score"]), _printed(quiz["weight"])]
        assert " ".join([*row, quiz["trend"]]) in text
    for skill in report["skills"]:
        assert f"{skill['mastery_level']} {skill['evidence_count']}" in text
    assert "Limits quiz" in text
    first_page = pages[0][1]
    assert _ink(first_page) > 0.02  # printed, not blank
    assert _colors(first_page) > 50  # the charts' colours and anti-aliasing, not text alone
    assert all(_ink(image) > 0.005 for _, image in pages)  # no blank page


def test_without_graphs_the_html_has_no_charts_and_json_follows_the_template(app, teacher):
    seed_work(app)
    body = report_request(configuration={"format": "html", "detail_level": "summary"})
    body["report_type"] = "grade"
    report_id = teacher.post("/reports", json=body).json["id"]
    run_jobs(app)
    html = teacher.get(f"/reports/{report_id}/document").data.decode()
    assert "data:image/png" not in html and "<h2>Summary</h2>" in html
    assert "<h2>Skills</h2>" not in html  # the grade/summary template shows the summary only
    as_json = json.loads(teacher.get(f"/reports/{report_id}/document?format=json").data)
    assert set(as_json) >= {"summary", "configuration"} and "skills" not in as_json
    assert as_json["summary"]["overall_percentage"] == 85.0


def test_a_report_in_spanish(app, teacher):
    seed_work(app)
    body = report_request(configuration={"format": "html", "language": "es"})
    report_id = teacher.post("/reports", json=body).json["id"]
    run_jobs(app)
    html = teacher.get(f"/reports/{report_id}/document").data.decode()
    assert "Resumen" in html and 'lang="es"' in html


def test_documents_are_cached_until_the_data_changes(app, teacher):
    seed_work(app)
    report_id = teacher.post("/reports", json=report_request()).json["id"]
    run_jobs(app)
    first = teacher.get(f"/reports/{report_id}/document?format=html")
    assert first.headers["X-Stride-Cache"] == "miss"
    again = teacher.get(f"/reports/{report_id}/document?format=html")
    assert again.headers["X-Stride-Cache"] == "hit" and again.data == first.data
    teacher.put(f"/reports/{report_id}/teacher-input", json={"teacher_comments": "New."})
    run_jobs(app)
    changed = teacher.get(f"/reports/{report_id}/document?format=html")
    assert changed.headers["X-Stride-Cache"] == "miss" and b"New." in changed.data


def test_a_document_of_a_report_not_ready_is_409(app, teacher):
    report_id = teacher.post("/reports", json=report_request()).json["id"]
    assert teacher.get(f"/reports/{report_id}/document").status_code == 409


def test_readyz_reports_pdf_support(app):
    response = app.test_client().get("/readyz")
    assert response.json["checks"]["pdf"] == "ok"


def test_without_pango_readyz_and_the_pdf_job_say_so(app, teacher, monkeypatch):
    from services.reports import documents, tasks

    reason = "unavailable: WeasyPrint cannot load Pango (no libpango); install libpango-1.0-0"
    monkeypatch.setattr(documents, "pdf_support", lambda: reason)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["pdf"] == reason
    report_id = teacher.post("/reports", json=report_request(configuration={"format": "pdf"})).json[
        "id"
    ]
    with app.extensions["stride"].database.engine.connect() as connection:
        job_id = connection.execute(sa.select(Report.job_id)).scalar_one()
    with app.app_context():
        assert tasks.build_report.run(report_id, job_id) == "failed"
    report = teacher.get(f"/reports/{report_id}").json
    assert report["status"] == "failed" and report["failure_reason"] == reason


WITHOUT_PANGO = """
import json, sys
import cffi

# A machine without Debian's libpango: the dynamic loader finds no Pango library.
loaded = cffi.FFI.dlopen


def dlopen(self, name, *args, **kwargs):
    if name and "pango" in str(name):
        raise OSError(f"cannot load library {name!r}: cannot open shared object file")
    return loaded(self, name, *args, **kwargs)


cffi.FFI.dlopen = dlopen

from services.reports import documents
from services.reports.app import create_app

support = documents.pdf_support()
try:
    documents.html_to_pdf("<p>x</p>")
    refused = None
except documents.RenderingUnavailable as exc:
    refused = str(exc)
app = create_app({"DATABASE_URL": sys.argv[1], "TESTING": True})
ready = app.test_client().get("/readyz")
print(json.dumps({"support": support, "refused": refused, "status": ready.status_code,
                  "checks": ready.json["checks"]}))
"""


def test_where_pango_cannot_load_pdf_support_and_readyz_name_it(tmp_path):
    environment = {**os.environ, "STRIDE_VAR_DIR": str(tmp_path)}
    for name in list(environment):
        if name.endswith("_DATABASE_URL") or name == "STRIDE_BROKER_URL":
            del environment[name]
    finished = subprocess.run(
        [sys.executable, "-c", WITHOUT_PANGO, f"sqlite:///{tmp_path}/reports.db"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    seen = json.loads(finished.stdout.strip().splitlines()[-1])
    assert seen["support"].startswith("unavailable: WeasyPrint cannot load Pango")
    assert "libpango-1.0-0" in seen["support"] and "cannot open shared object" in seen["support"]
    assert seen["refused"] == seen["support"]
    assert seen["status"] == 503 and seen["checks"]["pdf"] == seen["support"]
