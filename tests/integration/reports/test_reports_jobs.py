"""Report jobs: queued with 202, built by the worker's use case, idempotent, failing with a
reason; content from the projections and the teacher's input; on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from services.reports import usecases
from services.reports.documents import RenderingUnavailable
from services.reports.models import Report, ReportDocument
from tests.integration.reports.reports_support import (
    COURSE,
    STUDENT,
    FakeOutlines,
    outbox_types,
    report_request,
    run_jobs,
    seed_work,
)

pytestmark = pytest.mark.integration


def test_a_requested_report_is_queued_then_ready_with_content_from_data(app, teacher):
    seed_work(app)
    response = teacher.post("/reports", json=report_request())
    assert response.status_code == 202, response.json
    report_id = response.json["id"]
    assert response.headers["Location"].endswith(f"/api/reports/reports/{report_id}")
    assert response.json["status"] == "queued" and response.json["summary"] is None

    assert run_jobs(app) == ["ready"]
    report = teacher.get(f"/reports/{report_id}").json
    assert report["status"] == "ready" and report["document_version"] == 1
    summary = report["summary"]
    # QZ-1 best of 70 and 85 (the only graded item) -> 85, B on the default scale
    assert summary["overall_percentage"] == 85.0 and summary["overall_grade"] == "B"
    assert summary["quizzes_taken"] == 1
    assert summary["total_time_spent"] == 1.0  # 30 + 15 + 15 minutes
    assert summary["completion_rate"] == pytest.approx(66.7)
    [quiz] = report["assessments"]["quizzes"]
    assert quiz["title"] == "Limits quiz" and quiz["trend"] == "improving"
    assert "reports.report.ready" in outbox_types(app)


def test_a_redelivered_or_interrupted_job_yields_one_document_version(app, teacher):
    report_id = teacher.post("/reports", json=report_request()).json["id"]
    database = app.extensions["stride"].database
    with database.engine.connect() as connection:
        job_id = connection.execute(sa.select(Report.job_id)).scalar_one()
    # a worker that died after marking the job running: the redelivery builds it once
    usecases.start_build(database, report_id, job_id)
    shown = teacher.get(f"/reports/{report_id}").json
    assert (shown["status"], shown["failure_reason"], shown["summary"]) == ("running", None, None)
    assert run_jobs(app) == ["ready"]
    with app.app_context():
        settings = app.extensions["stride"].settings
        again = usecases.build_report(database, settings, report_id, job_id, FakeOutlines())
    assert again == "skipped"
    with database.engine.connect() as connection:
        assert connection.execute(sa.select(Report.document_version)).scalar_one() == 1
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(ReportDocument)).scalar() == 1
        )
    assert outbox_types(app).count("reports.report.ready") == 1


def test_a_job_that_cannot_render_fails_with_its_reason(app, teacher, monkeypatch):
    report_id = teacher.post("/reports", json=report_request()).json["id"]

    def unavailable(*_args, **_kwargs):
        raise RenderingUnavailable("unavailable: WeasyPrint cannot load Pango")

    monkeypatch.setattr(usecases.jobs, "render_report", unavailable)
    database = app.extensions["stride"].database
    with database.engine.connect() as connection:
        job_id = connection.execute(sa.select(Report.job_id)).scalar_one()
    with app.app_context(), pytest.raises(RenderingUnavailable) as raised:
        usecases.build_report(
            database, app.extensions["stride"].settings, report_id, job_id, FakeOutlines()
        )
    usecases.fail_build(database, report_id, job_id, str(raised.value))
    report = teacher.get(f"/reports/{report_id}").json
    assert report["status"] == "failed"
    assert "Pango" in report["failure_reason"]
    assert report["document_version"] == 0


def test_teacher_input_is_kept_and_the_report_rebuilt_with_it(app, teacher):
    seed_work(app)
    report_id = teacher.post("/reports", json=report_request()).json["id"]
    run_jobs(app)
    first = teacher.get(f"/reports/{report_id}/document").data
    response = teacher.put(
        f"/reports/{report_id}/teacher-input",
        json={
            "behavior_score": 88,
            "effort_score": 92,
            "teacher_comments": "Steady progress.",
            "goals": [
                {
                    "goal_id": "G-1",
                    "description": "Master limits",
                    "progress": 40,
                    "milestones": [{"description": "Quiz above 90", "completed": False}],
                }
            ],
            "action_items": [{"priority": "high", "description": "Redo QZ-1"}],
        },
    )
    assert response.status_code == 202, response.json
    assert response.json["status"] == "queued"
    run_jobs(app)
    report = teacher.get(f"/reports/{report_id}").json
    assert report["document_version"] == 2
    assert report["summary"]["behavior_score"] == 88
    assert report["feedback"]["teacher_comments"] == "Steady progress."
    assert report["goals"][0]["milestones"][0]["description"] == "Quiz above 90"
    second = teacher.get(f"/reports/{report_id}/document")
    assert second.data != first
    assert json.loads(second.data)["summary"]["effort_score"] == 92


def test_the_course_grading_scale_decides_the_letter(app, teacher):
    seed_work(app)
    scale = {
        "grading_scale": [
            {"letter": "Pass", "min_percentage": 80, "gpa_points": 4},
            {"letter": "Fail", "min_percentage": 0, "gpa_points": 0},
        ],
        "credit_hours": 3,
    }
    assert teacher.put(f"/courses/{COURSE}/settings", json=scale).status_code == 200
    report_id = teacher.post("/reports", json=report_request()).json["id"]
    run_jobs(app)
    summary = teacher.get(f"/reports/{report_id}").json["summary"]
    assert summary["overall_grade"] == "Pass" and summary["gpa_contribution"] == 12.0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (report_request(report_type="weekly"), "report_type"),
        (report_request(period_end="2026-08-01T00:00:00Z"), "period_end"),
        (report_request(period_start="yesterday"), "period_start"),
        (report_request(period_end="2029-08-01T00:00:00Z"), "period_end"),
        (report_request(configuration={"format": "docx"}), "configuration"),
        (report_request(configuration={"detail_level": 3}), "configuration"),
        (report_request(student_id=""), "student_id"),
        (report_request(student_id="S" * 121), "student_id"),
        (report_request(course_id=7), "course_id"),
        (report_request(period_start="2026-09-01T00:00:00"), "period_start"),
        (report_request(configuration={"colour": "red"}), "configuration"),
        (report_request(configuration={"template": "mine.html.j2"}), "configuration"),
        (report_request(configuration={"visibility": {"parents": "maybe"}}), "configuration"),
        (report_request(configuration={"sharing": {"share_url": "x"}}), "configuration"),
        (report_request(configuration=[]), "configuration"),
        (report_request(generated_by="USR-ADM-9"), "generated_by"),
        ({"student_id": STUDENT}, "report_type"),
    ],
)
def test_bad_requests_are_refused_naming_the_field_and_nothing_is_written(app, admin, body, field):
    response = admin.post("/reports", json=body)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert field in response.json["errors"]
    with app.extensions["stride"].database.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(Report)).scalar() == 0


def test_an_unknown_report_is_404(app, admin):
    assert admin.get("/reports/no-such-report").status_code == 404
    assert admin.get("/reports/no-such-report/document").status_code == 404


def test_an_oversized_body_is_413(app, admin):
    body = report_request(description="x" * (2 * 1024 * 1024))
    assert admin.post("/reports", json=body).status_code == 413


def test_a_student_report_names_the_student(app, student):
    seed_work(app)
    response = student.post("/reports", json=report_request())
    assert response.status_code == 202
    assert response.json["student_id"] == STUDENT and response.json["generated_by"] == STUDENT


def test_while_progress_is_down_the_job_is_retried_then_failed_with_the_reason(
    settings_for, tmp_path, token_for
):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from services.reports import tasks
    from tests.integration.reports.reports_support import Caller, make_app

    asked: list[str] = []

    class Unavailable(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(503)
            self.end_headers()

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    down = settings_for(STRIDE_PROGRESS_API_URL=f"http://127.0.0.1:{server.server_port}")
    app = make_app(down, f"sqlite:///{tmp_path}/reports-down.db")
    teacher = Caller(app.test_client(), token_for("teacher", "USR-TEA-1", courses=[COURSE]))
    report_id = teacher.post("/reports", json=report_request()).json["id"]
    with app.extensions["stride"].database.engine.connect() as connection:
        job_id = connection.execute(sa.select(Report.job_id)).scalar_one()
    try:
        # run eagerly, a retry runs at once instead of after its countdown
        assert tasks.build_report.apply(args=[report_id, job_id]).get() == "failed"
    finally:
        server.shutdown()
    # four reads with backoff per run, the first run and MAX_SOURCE_RETRIES retries
    assert len(asked) == 4 * (tasks.MAX_SOURCE_RETRIES + 1)
    report = teacher.get(f"/reports/{report_id}").json
    assert report["status"] == "failed" and "HTTP 503" in report["failure_reason"]
    app.extensions["stride"].database.dispose()


def test_outlines_are_read_from_progress_with_a_service_token(settings_for):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from services.reports.sources import ProgressOutlines
    from shared.auth import TokenVerifier

    seen: list[tuple[str, str]] = []
    outline = {
        "outline": {"modules": [{"module_id": "M", "items": [{"item_id": "Q", "kind": "quiz"}]}]}
    }

    class Progress(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Authorization", "")))
            body = json.dumps(outline).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Progress)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = settings_for(STRIDE_PROGRESS_API_URL=f"http://127.0.0.1:{server.server_port}")
        items = ProgressOutlines(settings).outline("CRS 1/x")
        issued = settings_for(
            STRIDE_PROGRESS_API_URL=f"http://127.0.0.1:{server.server_port}",
            STRIDE_SERVICE_TOKEN="issued-by-the-identity-provider",
        )
        ProgressOutlines(issued).outline(COURSE)
    finally:
        server.shutdown()
    assert items is not None and [(i.item_id, i.kind, i.title) for i in items] == [
        ("Q", "quiz", "Q")
    ]
    (path, minted), (_, given) = seen
    assert path == "/courses/CRS%201%2Fx/outline"  # the id quoted, never a path of its own
    principal = TokenVerifier(settings).verify(minted.removeprefix("Bearer "))
    assert (principal.role, principal.sub) == ("service", "svc-reports")
    assert given == "Bearer issued-by-the-identity-provider"
