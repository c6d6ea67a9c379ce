"""Contract: every ActivityLog field of the product spec is in the OpenAPI schemas under
its spec name (what a client sends and what it reads back), with the spec's enums, and
the resources of ARCHITECTURE.md are served."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.security

SPEC_FIELDS = {
    "id", "student_id", "timestamp", "activity_type", "activity_category", "course_id",
    "lesson_id", "quiz_id", "assignment_id", "resource_id", "details", "device_info",
    "session_id", "session_duration", "learning_path_id", "learning_objective_id",
    "success", "error_message",
}  # fmt: skip
DETAILS = {
    "action", "duration", "progress", "score", "input_method", "interaction_count",
    "page_url", "referrer_url", "content_section", "load_time", "response_time",
    "custom_data",
}  # fmt: skip
DEVICE = {"type", "browser", "os", "screen_size", "connection_type"}
TYPES = {
    "login", "logout", "lesson_start", "lesson_complete", "quiz_start", "quiz_submit",
    "video_play", "video_complete", "achievement_earned", "resource_download", "help_requested",
}  # fmt: skip
RESOURCES = {
    ("/logs", "post"),
    ("/logs", "get"),
    ("/students/{student_id}/sessions", "get"),
}


def schema_of(spec: dict, schema: dict) -> dict:
    for combined in ("allOf", "anyOf", "oneOf"):
        if combined in schema:
            schema = next(option for option in schema[combined] if "$ref" in option)
    return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]


@pytest.fixture
def spec(app) -> dict:
    return app.test_client().get("/openapi.json").json


def test_a_record_sent_has_every_field_of_the_spec(spec):
    record = spec["components"]["schemas"]["ActivityLogIn"]
    assert set(record["properties"]) == SPEC_FIELDS
    assert set(record["required"]) == {"id", "student_id", "timestamp", "activity_type"}
    assert set(record["properties"]["activity_type"]["enum"]) == TYPES
    assert set(record["properties"]["activity_category"]["enum"]) - {None} == {
        "learning", "assessment", "social", "system",
    }  # fmt: skip
    details = schema_of(spec, record["properties"]["details"])
    assert set(details["properties"]) == DETAILS
    assert set(details["properties"]["input_method"]["enum"]) - {None} == {
        "mouse", "keyboard", "touch", "voice",
    }  # fmt: skip
    device = schema_of(spec, record["properties"]["device_info"])
    assert set(device["properties"]) == DEVICE
    assert set(device["properties"]["connection_type"]["enum"]) - {None} == {
        "wifi", "cellular", "ethernet",
    }  # fmt: skip


def test_a_record_read_has_every_field_of_the_spec(spec):
    stored = spec["components"]["schemas"]["ActivityLog"]
    assert set(stored["properties"]) >= SPEC_FIELDS


def test_the_batch_limit_and_the_body_forms_are_documented(spec):
    batch = spec["components"]["schemas"]["ActivityLogBatchIn"]
    assert batch["properties"]["records"]["maxItems"] >= 1000
    body = spec["paths"]["/logs"]["post"]["requestBody"]["content"]["application/json"]
    assert {option["$ref"].rsplit("/", 1)[-1] for option in body["schema"]["oneOf"]} == {
        "ActivityLogIn",
        "ActivityLogBatchIn",
    }
    assert "202" in spec["paths"]["/logs"]["post"]["responses"]


def test_the_resources_of_the_architecture_are_served(spec):
    served = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert served >= RESOURCES
