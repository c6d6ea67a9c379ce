"""Contract: every QuizAttempt field of the product spec is in the OpenAPI schemas under
its spec name, and the resources of ARCHITECTURE.md are served."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.security

SPEC_FIELDS = {
    "id", "student_id", "quiz_id", "course_id", "lesson_id", "started_at", "completed_at",
    "time_spent", "time_limit_exceeded", "score", "points_earned", "points_possible",
    "passed", "passing_score", "answers", "feedback", "feedback_provided_at",
    "feedback_provided_by", "auto_feedback", "attempt_number", "is_practice", "environment",
    "device_info", "location_info", "integrity_flags", "session_id", "interruptions",
    "metadata",
}  # fmt: skip
NESTED = {
    "answers": {
        "question_id", "question_type", "answer", "correct_answer", "is_correct",
        "partial_credit", "points_earned", "points_possible", "time_spent",
        "attempts_before_answer", "confidence_level",
    },
    "device_info": {"type", "browser", "os", "screen_size"},
    "location_info": {"ip_address", "country", "region", "timezone"},
    "integrity_flags": {"type", "timestamp", "details"},
    "metadata": {"question_order", "randomized", "adaptive", "difficulty_adjustments"},
}  # fmt: skip
RESOURCES = {
    ("/quizzes/{quiz_id}", "put"),
    ("/quizzes/{quiz_id}", "get"),
    ("/quizzes/{quiz_id}/attempts", "post"),
    ("/attempts/{attempt_id}/answers/{question_id}", "put"),
    ("/attempts/{attempt_id}/integrity-flags", "post"),
    ("/attempts/{attempt_id}/submission", "post"),
    ("/attempts/{attempt_id}/feedback", "post"),
    ("/attempts/{attempt_id}", "get"),
    ("/attempts", "get"),
    ("/quizzes/{quiz_id}/item-analysis", "get"),
}


def resolve(spec: dict, schema: dict) -> dict:
    if "items" in schema:
        schema = schema["items"]
    if "allOf" in schema:
        schema = schema["allOf"][0]
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def test_every_spec_field_is_in_the_attempt_schema(app):
    spec = app.test_client().get("/openapi.json").json
    attempt = spec["components"]["schemas"]["Attempt"]["properties"]
    assert set(attempt) >= SPEC_FIELDS
    for name, fields in NESTED.items():
        nested = resolve(spec, attempt[name])["properties"]
        assert set(nested) >= fields, name


def test_the_resources_of_the_architecture_are_served(app):
    paths = app.test_client().get("/openapi.json").json["paths"]
    served = {(path, method) for path, methods in paths.items() for method in methods}
    assert served >= RESOURCES


def test_the_answer_body_is_documented_with_its_fields_and_bounds(app):
    spec = app.test_client().get("/openapi.json").json
    operation = spec["paths"]["/attempts/{attempt_id}/answers/{question_id}"]["put"]
    assert operation["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AnswerIn"}}},
    }
    assert set(operation["responses"]) >= {"200", "400", "401", "404", "413", "422", "429"}
    body = spec["components"]["schemas"]["AnswerIn"]
    assert body["required"] == ["answer"]
    assert body["additionalProperties"] is False
    properties = body["properties"]
    assert set(properties) == {"answer", "time_spent", "confidence_level"}
    assert {"type": "null"} not in properties["answer"]["anyOf"]
    assert properties["time_spent"] == {
        "type": "number",
        "default": 0.0,
        "minimum": 0,
        "maximum": 86_400,
        "description": "seconds spent on the question during this visit",
    }
    assert properties["confidence_level"] == {
        "type": "integer",
        "default": None,
        "minimum": 1,
        "maximum": 5,
        "nullable": True,
    }
