"""Bad input to the reports service: a clear 4xx naming the field and the problem, and
nothing written (the report, its share links and the course settings stay as they were)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from services.reports.models import CourseSettings, Report, ShareLink
from shared.time import utcnow
from tests.integration.reports.reports_support import COURSE, report_request, run_jobs, seed_work

pytestmark = pytest.mark.security


@pytest.fixture
def ready_report(app, teacher) -> str:
    seed_work(app)
    body = report_request(configuration={"format": "json", "sharing": {"shareable": True}})
    report_id = teacher.post("/reports", json=body).json["id"]
    assert run_jobs(app) == ["ready"]
    return report_id


def _count(app, model: Any) -> int:
    with app.extensions["stride"].database.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _report_row(app, report_id: str) -> tuple[Any, ...]:
    with app.extensions["stride"].database.engine.connect() as connection:
        row = connection.execute(
            sa.select(
                Report.status, Report.document_version, Report.job_id, Report.teacher_input
            ).where(Report.id == report_id)
        ).one()
    return tuple(row)


def _problem(response, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    return response.json


@pytest.mark.parametrize("language", ["fr", "EN", "", 7])
def test_an_unsupported_language_is_refused_naming_it(app, teacher, language):
    body = report_request(configuration={"format": "html", "language": language})
    errors = _problem(teacher.post("/reports", json=body))["errors"]
    assert "language" in errors["configuration"]
    if isinstance(language, str):
        assert "en, es" in " ".join(errors["configuration"]["language"])
    assert _count(app, Report) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"behavior_score": 150}, "behavior_score"),
        ({"effort_score": "high"}, "effort_score"),
        ({"effort_score": float("nan")}, "effort_score"),
        ({"teacher_comments": 5}, "teacher_comments"),
        ({"teacher_comments": "x" * 10_001}, "teacher_comments"),
        ({"goals": [{"goal_id": "G-1", "description": "d", "progress": 120}]}, "goals"),
        ({"goals": [{"goal_id": "G-1", "description": "d", "status": "done"}]}, "goals"),
        ({"goals": [{"goal_id": "G-1", "description": "d", "target_date": "soon"}]}, "goals"),
        ({"goals": [{"goal_id": "G-1", "description": "d", "milestones": [{}]}]}, "goals"),
        ({"goals": [{"goal_id": f"G-{i}", "description": "d"} for i in range(51)]}, "goals"),
        ({"action_items": [{"priority": "urgent", "description": "x"}]}, "action_items"),
        (
            {"action_items": [{"priority": "high", "description": "x", "assigned_to": "admin"}]},
            "action_items",
        ),
        ({"projects": [{"id": "P-1", "title": "t", "grade": -1}]}, "projects"),
        (
            {"resources": [{"type": "link", "title": "t", "url": "javascript:alert(1)"}]},
            "resources",
        ),
        ({"support_services": ["x" * 501]}, "support_services"),
        ({"feedback_summaries": {"ASG-1": ""}}, "feedback_summaries"),
        ({"feedback_summaries": ["ASG-1"]}, "feedback_summaries"),
        ({"grade_override": "A"}, "grade_override"),
    ],
)
def test_bad_teacher_input_is_refused_naming_the_field_and_changes_nothing(
    app, teacher, ready_report, body, field
):
    before = _report_row(app, ready_report)
    errors = _problem(teacher.put(f"/reports/{ready_report}/teacher-input", json=body))["errors"]
    assert field in errors
    assert _report_row(app, ready_report) == before == ("ready", 1, before[2], {})


def test_an_oversized_teacher_input_is_413_and_changes_nothing(app, teacher, ready_report):
    before = _report_row(app, ready_report)
    body = {"teacher_comments": "x" * (2 * 1024 * 1024)}
    response = teacher.put(f"/reports/{ready_report}/teacher-input", json=body)
    assert response.status_code == 413
    assert _report_row(app, ready_report) == before


@pytest.mark.parametrize(
    "body",
    [{}, {"expires_at": "tomorrow"}, {"expires_at": "2030-01-01T00:00:00"}, {"expires_at": 5}],
)
def test_a_share_link_needs_an_aware_expiry(app, teacher, ready_report, body):
    errors = _problem(teacher.post(f"/reports/{ready_report}/share-links", json=body))["errors"]
    assert "expires_at" in errors
    assert _count(app, ShareLink) == 0


def test_an_unknown_document_format_is_refused_naming_it(app, teacher, ready_report):
    errors = _problem(teacher.get(f"/reports/{ready_report}/document?format=docx"))["errors"]
    assert "format" in errors
    errors = _problem(teacher.get("/shared/whatever?format=docx"))["errors"]
    assert "format" in errors


@pytest.mark.parametrize("query", ["limit=0", "limit=many", "limit=100000", "cursor=" + "x" * 600])
def test_a_bad_page_of_reports_is_refused_naming_the_parameter(app, teacher, query):
    errors = _problem(teacher.get(f"/reports?{query}"))["errors"]
    assert query.split("=")[0] in errors


GOOD_SCALE = [
    {"letter": "P", "min_percentage": 60, "gpa_points": 4},
    {"letter": "F", "min_percentage": 0, "gpa_points": 0},
]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "grading_scale"),
        ({"grading_scale": []}, "grading_scale"),
        (
            {"grading_scale": [{"letter": "A", "min_percentage": 50, "gpa_points": 4}]},
            "grading_scale",
        ),
        (
            {
                "grading_scale": [
                    {"letter": "A", "min_percentage": 50, "gpa_points": 4},
                    {"letter": "A", "min_percentage": 0, "gpa_points": 0},
                ]
            },
            "grading_scale",
        ),
        (
            {
                "grading_scale": [
                    {"letter": "A", "min_percentage": 50, "gpa_points": 1},
                    {"letter": "F", "min_percentage": 0, "gpa_points": 2},
                ]
            },
            "grading_scale",
        ),
        (
            {"grading_scale": [{"letter": "F", "min_percentage": 0, "gpa_points": "four"}]},
            "grading_scale",
        ),
        ({"grading_scale": GOOD_SCALE, "credit_hours": -1}, "credit_hours"),
        ({"grading_scale": GOOD_SCALE, "due_dates": {"ASG-1": "soon"}}, "due_dates"),
    ],
)
def test_a_bad_course_setting_is_refused_naming_its_field_and_writes_nothing(
    app, teacher, body, field
):
    errors = _problem(teacher.put(f"/courses/{COURSE}/settings", json=body))["errors"]
    assert field in errors
    assert _count(app, CourseSettings) == 0


def test_unknown_ids_are_404(app, teacher, ready_report):
    assert teacher.put("/reports/no-such-report/teacher-input", json={}).status_code == 404
    assert teacher.get("/reports/no-such-report/share-links").status_code == 404
    assert teacher.delete(f"/reports/{ready_report}/share-links/no-such-link").status_code == 404
    assert teacher.get("/certificates/no-such-certificate.pdf").status_code == 404
    assert teacher.get(f"/courses/{COURSE}/settings").status_code == 404


def test_a_share_link_lives_at_most_ninety_days(app, teacher, ready_report):
    far = (utcnow() + timedelta(days=91)).isoformat()
    response = teacher.post(f"/reports/{ready_report}/share-links", json={"expires_at": far})
    assert "expires_at" in _problem(response)["errors"]
    assert _count(app, ShareLink) == 0
    near = (utcnow() + timedelta(days=89)).isoformat()
    assert (
        teacher.post(f"/reports/{ready_report}/share-links", json={"expires_at": near}).status_code
        == 201
    )
