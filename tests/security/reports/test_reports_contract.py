"""The OpenAPI document names every field of the spec's PerformanceReport."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.security

SPEC_FIELDS = {
    "ReportSchema": [
        "id", "student_id", "course_id", "report_type", "title", "description",
        "period_start", "period_end", "generated_at", "generated_by", "accessed_by",
        "summary", "assessments", "skills", "goals", "feedback", "next_steps", "configuration",
    ],
    "AccessSchema": ["user_id", "role", "accessed_at"],
    "SummarySchema": [
        "overall_grade", "overall_percentage", "attendance_rate", "completion_rate",
        "behavior_score", "effort_score", "total_time_spent", "assignments_completed",
        "quizzes_taken", "gpa_contribution", "credit_hours",
    ],
    "AssessmentsSchema": ["quizzes", "assignments", "projects"],
    "QuizSchema": ["id", "title", "date", "score", "weight", "trend"],
    "AssignmentSchema": ["id", "title", "submitted", "grade", "feedback_summary", "late"],
    "ProjectSchema": ["id", "title", "grade", "collaboration_score", "presentation_score"],
    "SkillSchema": [
        "skill_name", "category", "mastery_level", "evidence_count", "last_demonstrated",
        "sub_skills",
    ],
    "SubSkillSchema": ["name", "level"],
    "GoalSchema": ["goal_id", "description", "target_date", "progress", "status", "milestones"],
    "MilestoneSchema": ["description", "completed", "date"],
    "FeedbackSchema": [
        "strengths", "improvements", "achievements", "teacher_comments", "action_items",
        "recommendations",
    ],
    "ActionItemSchema": ["priority", "description", "due_date", "assigned_to"],
    "RecommendationsSchema": ["academic", "behavioral", "enrichment"],
    "NextStepsSchema": ["immediate_focus", "resources", "support_services", "parent_actions"],
    "ResourceSchema": ["type", "title", "url"],
    "ConfigurationSchema": [
        "format", "template", "include_graphs", "detail_level", "visibility", "sharing",
    ],
    "VisibilitySchema": ["student", "parents", "teachers", "administrators"],
    "SharingSchema": ["shareable", "share_url", "expires_at"],
}  # fmt: skip


def test_every_field_of_the_spec_is_in_the_openapi_schemas(app):
    document = app.test_client().get("/openapi.json").json
    schemas = document["components"]["schemas"]
    missing = {
        name: [
            field
            for field in fields
            if field not in schemas.get(name.removesuffix("Schema"), {}).get("properties", {})
        ]
        for name, fields in SPEC_FIELDS.items()
    }
    assert {name: fields for name, fields in missing.items() if fields} == {}


def test_the_resources_of_the_architecture_are_served(app):
    paths = app.test_client().get("/openapi.json").json["paths"]
    assert {"post", "get"} <= set(paths["/reports"])
    assert "get" in paths["/reports/{report_id}"]
    assert "get" in paths["/reports/{report_id}/document"]
    assert "post" in paths["/reports/{report_id}/share-links"]
    assert "delete" in paths["/reports/{report_id}/share-links/{link_id}"]
