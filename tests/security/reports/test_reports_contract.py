"""Contract: every field of the spec's PerformanceReport is in the OpenAPI schemas under its
spec name and nested as in the spec, with the spec's enums; a served report carries every
one of them; the resources of ARCHITECTURE.md are served."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.reports import usecases
from shared.events.contracts.progress import AssignmentRecorded
from tests.integration.reports.reports_support import (
    COURSE,
    START,
    STUDENT,
    report_request,
    run_jobs,
    seed_work,
)

pytestmark = pytest.mark.security

#: the fields of ``PerformanceReport`` in spec/progress-tracking-models.md ([] = list item)
SPEC_FIELDS = [
    "id", "student_id", "course_id", "report_type", "title", "description",
    "period_start", "period_end", "generated_at", "generated_by",
    "accessed_by", "accessed_by.[].user_id", "accessed_by.[].role", "accessed_by.[].accessed_at",
    "summary", "summary.overall_grade", "summary.overall_percentage",
    "summary.attendance_rate", "summary.completion_rate", "summary.behavior_score",
    "summary.effort_score", "summary.total_time_spent", "summary.assignments_completed",
    "summary.quizzes_taken", "summary.gpa_contribution", "summary.credit_hours",
    "assessments", "assessments.quizzes", "assessments.quizzes.[].id",
    "assessments.quizzes.[].title", "assessments.quizzes.[].date",
    "assessments.quizzes.[].score", "assessments.quizzes.[].weight",
    "assessments.quizzes.[].trend",
    "assessments.assignments", "assessments.assignments.[].id",
    "assessments.assignments.[].title", "assessments.assignments.[].submitted",
    "assessments.assignments.[].grade", "assessments.assignments.[].feedback_summary",
    "assessments.assignments.[].late",
    "assessments.projects", "assessments.projects.[].id", "assessments.projects.[].title",
    "assessments.projects.[].grade", "assessments.projects.[].collaboration_score",
    "assessments.projects.[].presentation_score",
    "skills", "skills.[].skill_name", "skills.[].category", "skills.[].mastery_level",
    "skills.[].evidence_count", "skills.[].last_demonstrated", "skills.[].sub_skills",
    "skills.[].sub_skills.[].name", "skills.[].sub_skills.[].level",
    "goals", "goals.[].goal_id", "goals.[].description", "goals.[].target_date",
    "goals.[].progress", "goals.[].status", "goals.[].milestones",
    "goals.[].milestones.[].description", "goals.[].milestones.[].completed",
    "goals.[].milestones.[].date",
    "feedback", "feedback.strengths", "feedback.improvements", "feedback.achievements",
    "feedback.teacher_comments", "feedback.action_items",
    "feedback.action_items.[].priority", "feedback.action_items.[].description",
    "feedback.action_items.[].due_date", "feedback.action_items.[].assigned_to",
    "feedback.recommendations", "feedback.recommendations.academic",
    "feedback.recommendations.behavioral", "feedback.recommendations.enrichment",
    "next_steps", "next_steps.immediate_focus", "next_steps.resources",
    "next_steps.resources.[].type", "next_steps.resources.[].title",
    "next_steps.resources.[].url", "next_steps.support_services", "next_steps.parent_actions",
    "configuration", "configuration.format", "configuration.template",
    "configuration.include_graphs", "configuration.detail_level", "configuration.visibility",
    "configuration.visibility.student", "configuration.visibility.parents",
    "configuration.visibility.teachers", "configuration.visibility.administrators",
    "configuration.sharing", "configuration.sharing.shareable",
    "configuration.sharing.share_url", "configuration.sharing.expires_at",
]  # fmt: skip

#: the spec's enumerations a client sends, as the request schema must list them
REQUEST_ENUMS = {
    "report_type": {"progress", "grade", "comprehensive"},
    "configuration.format": {"pdf", "html", "json"},
    "configuration.detail_level": {"summary", "detailed", "comprehensive"},
}
TEACHER_ENUMS = {
    "goals.[].status": {"on_track", "at_risk", "achieved", "missed"},
    "action_items.[].priority": {"high", "medium", "low"},
    "action_items.[].assigned_to": {"student", "parent", "teacher"},
}


def _resolved(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    for combined in ("allOf", "anyOf", "oneOf"):
        if combined in schema:
            schema = next(option for option in schema[combined] if "$ref" in option)
    if "$ref" in schema:
        return _resolved(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
    return schema


def openapi_fields(spec: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> dict:
    """Every field path under ``schema`` -> its (resolved) schema."""
    schema = _resolved(spec, schema)
    if schema.get("type") == "array":
        return openapi_fields(spec, schema["items"], f"{prefix}[].")
    found: dict[str, Any] = {}
    for name, sub in schema.get("properties", {}).items():
        found[prefix + name] = _resolved(spec, sub)
        found.update(openapi_fields(spec, sub, f"{prefix}{name}."))
    return found


def document_paths(value: Any, prefix: str = "") -> set[str]:
    found = set()
    if isinstance(value, dict):
        for name, sub in value.items():
            found.add(prefix + name)
            found |= document_paths(sub, f"{prefix}{name}.")
    elif isinstance(value, list):
        for item in value:
            found |= document_paths(item, f"{prefix}[].")
    return found


def _schemas(app) -> dict[str, Any]:
    return app.test_client().get("/openapi.json").json


def test_every_field_of_the_spec_is_in_the_report_schema_nested_as_in_the_spec(app):
    spec = _schemas(app)
    served = openapi_fields(spec, spec["components"]["schemas"]["Report"])
    assert sorted(set(SPEC_FIELDS) - set(served)) == []


def test_the_request_schemas_list_the_spec_s_enumerations(app):
    spec = _schemas(app)
    schemas = spec["components"]["schemas"]
    request = openapi_fields(spec, schemas["ReportIn"])
    teacher = openapi_fields(spec, schemas["TeacherInput"])
    for fields, enums in ((request, REQUEST_ENUMS), (teacher, TEACHER_ENUMS)):
        for path, values in enums.items():
            assert set(fields[path].get("enum", [])) == values, path


def test_a_served_report_carries_every_field_of_the_spec(app, teacher):
    seed_work(app)
    with app.extensions["stride"].database.unit_of_work() as session:
        usecases.record_assignment_works(
            session,
            [
                (
                    AssignmentRecorded(
                        enrollment_id="ENR-1",
                        student_id=STUDENT,
                        course_id=COURSE,
                        assignment_id="ASG-1",
                        action="grade",
                        status="graded",
                        submitted_at=START + timedelta(days=3),
                        grade=78,
                    ),
                    START + timedelta(days=4),
                )
            ],
        )
        session.commit()
    body = report_request(
        configuration={
            "format": "json",
            "detail_level": "comprehensive",
            "sharing": {"shareable": True},
        }
    )
    report_id = teacher.post("/reports", json=body).json["id"]
    when = (START + timedelta(days=20)).isoformat()
    teacher_input = {
        "behavior_score": 80,
        "effort_score": 90,
        "teacher_comments": "Works steadily.",
        "goals": [
            {
                "goal_id": "G-1",
                "description": "Master limits",
                "target_date": when,
                "progress": 50,
                "milestones": [{"description": "Quiz at 90", "completed": True, "date": when}],
            }
        ],
        "action_items": [
            {
                "priority": "high",
                "description": "Redo QZ-1",
                "due_date": when,
                "assigned_to": "student",
            }
        ],
        "projects": [
            {
                "id": "PRJ-1",
                "title": "Model",
                "grade": 88,
                "collaboration_score": 90,
                "presentation_score": 85,
            }
        ],
        "resources": [{"type": "video", "title": "Limits", "url": "https://example.org/limits"}],
        "support_services": ["Math lab"],
        "feedback_summaries": {"ASG-1": "Clear work"},
    }
    assert teacher.put(f"/reports/{report_id}/teacher-input", json=teacher_input).status_code == 202
    assert run_jobs(app) == ["ready"]
    teacher.get(f"/reports/{report_id}")  # one view, so that accessed_by has an entry
    report = teacher.get(f"/reports/{report_id}").json
    assert sorted(set(SPEC_FIELDS) - document_paths(report)) == []


def test_the_resources_of_the_architecture_are_served(app):
    paths = app.test_client().get("/openapi.json").json["paths"]
    assert {"post", "get"} <= set(paths["/reports"])
    assert "get" in paths["/reports/{report_id}"]
    assert "get" in paths["/reports/{report_id}/document"]
    assert {"post", "get"} <= set(paths["/reports/{report_id}/share-links"])
    assert "delete" in paths["/reports/{report_id}/share-links/{link_id}"]
    assert "get" in paths["/shared/{token}"]
