"""Outlines and the enrollment lifecycle through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.integration.progress.progress_api_support import (
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    STUDENT,
    complete,
    enroll,
    outbox_events,
    outline_document,
    publish_outline,
    row_counts,
)

pytestmark = pytest.mark.integration

SPEC_FIELDS = {
    "id", "student_id", "course_id", "enrolled_at", "last_accessed", "status",
    "completed_lessons", "completed_quizzes", "completed_assignments", "current_lesson_id",
    "current_module_id", "progress_percentage", "certificate_issued", "certificate_url",
    "certificate_issued_at", "total_time_spent", "login_streak", "last_streak_date", "notes",
    "bookmarks", "last_notification_sent", "notification_preferences", "custom_fields",
}  # fmt: skip


def test_publishing_an_outline_stores_it_with_a_version(admin):
    first = publish_outline(admin)
    second = publish_outline(admin, certificate_criteria={"min_average_score": 70})
    assert (first["version"], second["version"]) == (1, 2)
    stored = admin.get(f"/courses/{COURSE}/outline").json
    assert stored["outline"]["certificate_criteria"] == {"min_average_score": 70}
    assert stored["updated_by"] == "USR-ADM-1"


def test_an_invalid_outline_is_refused_naming_the_field(admin):
    document = outline_document()
    document["modules"][1]["items"][0]["item_id"] = "LSN-1"
    response = admin.put(f"/courses/{COURSE}/outline", json=document)
    assert response.status_code == 422
    assert "modules[1].items[0].item_id" in response.json["errors"]
    assert admin.get(f"/courses/{COURSE}/outline").status_code == 404


def test_an_outline_with_a_wrongly_typed_weight_is_refused_by_the_schema(admin):
    document = outline_document()
    document["modules"][0]["items"][0]["weight"] = "heavy"
    response = admin.put(f"/courses/{COURSE}/outline", json=document)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "weight" in response.json["detail"]


def test_enrollment_returns_every_field_of_the_spec(admin):
    publish_outline(admin)
    document = enroll(admin)
    assert set(document) >= SPEC_FIELDS
    assert document["status"] == "not_started"
    assert (document["current_module_id"], document["current_lesson_id"]) == ("MOD-1", "LSN-1")
    assert document["notification_preferences"] == {
        "reminders": True, "achievements": True, "deadlines": True,
    }  # fmt: skip
    assert document["certificate_issued"] is False and document["certificate_url"] is None
    [event] = outbox_events(admin.client.application, "progress.enrolled")
    assert event["subject"] == STUDENT and event["payload"]["enrollment_id"] == document["id"]


def test_openapi_schema_names_every_spec_field(admin):
    spec = admin.get("/openapi.json").json
    schema = spec["components"]["schemas"]["Enrollment"]
    assert set(schema["properties"]) >= SPEC_FIELDS
    nested = {
        "CompletedLesson": {"lesson_id", "completed_at", "time_spent", "attempts", "score"},
        "CompletedQuiz": {"quiz_id", "completed_at", "attempts", "best_score",
                          "best_attempt_id", "time_spent", "passed"},
        "CompletedAssignment": {"assignment_id", "submitted_at", "grade", "feedback_id",
                                "time_spent", "status"},
        "Note": {"id", "lesson_id", "content", "created_at", "updated_at", "tags"},
        "Bookmark": {"id", "content_type", "content_id", "position", "created_at", "note"},
        "NotificationPreferences": {"reminders", "achievements", "deadlines"},
    }  # fmt: skip
    for name, names in nested.items():
        assert set(spec["components"]["schemas"][name]["properties"]) >= names, name
    paths = set(spec["paths"])
    assert {
        "/courses/{course_id}/outline", "/enrollments", "/enrollments/{enrollment_id}",
        "/enrollments/by-key", "/enrollments/{enrollment_id}/lessons/{lesson_id}/completion",
        "/enrollments/{enrollment_id}/assignments", "/enrollments/{enrollment_id}/notes",
        "/enrollments/{enrollment_id}/bookmarks", "/enrollment-records",
    } <= paths  # fmt: skip


def test_openapi_schema_shows_the_records_final_results_and_due_moments(admin):
    spec = admin.get("/openapi.json").json
    schemas = spec["components"]["schemas"]
    assert set(schemas["EnrollmentRecordsIn"]["properties"]) == {"records"}
    assert schemas["EnrollmentRecordsIn"]["properties"]["records"]["maxItems"] == 500
    assert set(schemas["EnrollmentRecord"]["properties"]) == {
        "student_id", "course_id", "enrolled_at", "time_zone", "submissions", "final_result",
    }  # fmt: skip
    assert set(schemas["EnrollmentRecord"]["required"]) == {
        "student_id", "course_id", "enrolled_at",
    }  # fmt: skip
    assert set(schemas["SubmissionRecord"]["properties"]) == {
        "item_id", "submitted_at", "score", "graded_at", "passed",
    }  # fmt: skip
    assert schemas["FinalResultIn"]["properties"]["result"]["enum"] == [
        "pass", "distinction", "fail", "withdrawn",
    ]  # fmt: skip
    assert set(schemas["RecordResult"]["properties"]) == {
        "index", "enrollment_id", "created", "submissions_recorded", "final_result_recorded",
    }  # fmt: skip
    assert {"final_result", "final_result_at"} <= set(schemas["Enrollment"]["properties"])
    assert "enrolled_at" in schemas["EnrollmentIn"]["properties"]
    assert schemas["OutlineItem"]["properties"]["due_at"]["format"] == "date-time"
    assert "requires_final_result" in schemas["CompletionCriteria"]["properties"]
    operation = spec["paths"]["/enrollment-records"]["post"]
    assert {"200", "409", "422"} <= set(operation["responses"])


def test_enrolling_twice_is_a_conflict_and_writes_nothing(admin):
    publish_outline(admin)
    first = enroll(admin)
    before = row_counts(admin.client.application)
    response = admin.post("/enrollments", json={"student_id": STUDENT, "course_id": COURSE})
    assert response.status_code == 409
    assert first["id"] in response.json["detail"]
    assert row_counts(admin.client.application) == before


def test_enrolling_in_a_course_without_outline_is_a_conflict(admin):
    response = admin.post("/enrollments", json={"student_id": STUDENT, "course_id": OTHER_COURSE})
    assert response.status_code == 409
    assert "no outline" in response.json["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"course_id": COURSE}, "student_id"),
        ({"student_id": STUDENT, "course_id": ""}, "course_id"),
        ({"student_id": STUDENT, "course_id": "C" * 121}, "course_id"),
        ({"student_id": "S" * 121, "course_id": COURSE}, "student_id"),
        ({"student_id": STUDENT, "course_id": COURSE, "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"student_id": STUDENT, "course_id": COURSE, "colour": "red"}, "colour"),
    ],
)
def test_bad_enrollment_input_names_the_field_and_writes_nothing(admin, body, field):
    publish_outline(admin)
    before = row_counts(admin.client.application)
    response = admin.post("/enrollments", json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert row_counts(admin.client.application) == before


def test_enrollment_is_found_by_id_and_by_natural_key(admin):
    publish_outline(admin)
    created = enroll(admin)
    by_id = admin.get(f"/enrollments/{created['id']}")
    by_key = admin.get(f"/enrollments/by-key?student_id={STUDENT}&course_id={COURSE}")
    assert by_id.status_code == by_key.status_code == 200
    assert by_id.json["id"] == by_key.json["id"] == created["id"]
    missing = admin.get(f"/enrollments/by-key?student_id={OTHER_STUDENT}&course_id={COURSE}")
    assert missing.status_code == 404


def test_lists_are_filtered_and_paginated(admin):
    publish_outline(admin)
    publish_outline(admin, course=OTHER_COURSE)
    for number in range(5):
        enroll(admin, student_id=f"USR-STU-{number}")
    enroll(admin, student_id="USR-STU-0", course=OTHER_COURSE)
    seen, cursor = [], None
    while True:
        url = f"/enrollments?course_id={COURSE}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = admin.get(url).json
        seen += [item["student_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"USR-STU-{number}" for number in range(5)]
    mine = admin.get("/enrollments?student_id=USR-STU-0").json["items"]
    assert {item["course_id"] for item in mine} == {COURSE, OTHER_COURSE}
    assert admin.get("/enrollments?status=completed").json["items"] == []
    assert "notes" not in mine[0]


def test_a_forged_cursor_is_refused(admin):
    response = admin.get("/enrollments?cursor=bm90LWEtY3Vyc29y")
    assert response.status_code == 422
    assert "cursor" in response.json["errors"]


def test_status_moves_and_an_invalid_move_answers_409_saying_why(admin, student):
    publish_outline(admin)
    enrollment_id = enroll(admin)["id"]
    paused = student.patch(f"/enrollments/{enrollment_id}", json={"status": "paused"})
    assert paused.status_code == 200 and paused.json["status"] == "paused"
    resumed = student.patch(f"/enrollments/{enrollment_id}", json={"status": "in_progress"})
    assert resumed.json["status"] == "in_progress"
    refused = student.patch(f"/enrollments/{enrollment_id}", json={"status": "completed"})
    assert refused.status_code == 409
    assert "completion criteria" in refused.json["detail"]
    back = student.patch(f"/enrollments/{enrollment_id}", json={"status": "not_started"})
    assert back.status_code == 409
    assert "already started" in back.json["detail"]
    changes = outbox_events(admin.client.application, "progress.status.changed")
    assert [(e["payload"]["from_status"], e["payload"]["to_status"]) for e in changes] == [
        ("not_started", "paused"),
        ("paused", "in_progress"),
    ]


def test_a_refused_patch_writes_nothing_of_its_other_fields(admin, student):
    publish_outline(admin)
    enrollment_id = enroll(admin)["id"]
    response = student.patch(
        f"/enrollments/{enrollment_id}",
        json={"status": "paused", "custom_fields": {"a": {"b": {"c": {"d": 1}}}}},
    )
    assert response.status_code == 422
    assert "custom_fields.a.b.c" in response.json["errors"]
    document = student.get(f"/enrollments/{enrollment_id}").json
    assert document["status"] == "not_started" and document["custom_fields"] == {}
    assert outbox_events(admin.client.application, "progress.status.changed") == []


def test_student_edits_preferences_custom_fields_and_current_lesson(admin, student):
    publish_outline(admin)
    enrollment_id = enroll(admin)["id"]
    response = student.patch(
        f"/enrollments/{enrollment_id}",
        json={
            "notification_preferences": {"reminders": False},
            "custom_fields": {"house": "Gryffindor", "sis": {"section": 4}},
            "current_lesson_id": "LSN-3",
        },
    )
    assert response.status_code == 200, response.json
    assert response.json["notification_preferences"] == {
        "reminders": False, "achievements": True, "deadlines": True,
    }  # fmt: skip
    assert response.json["custom_fields"] == {"house": "Gryffindor", "sis": {"section": 4}}
    assert (response.json["current_module_id"], response.json["current_lesson_id"]) == (
        "MOD-2",
        "LSN-3",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"notification_preferences": {"sms": True}}, "notification_preferences.sms"),
        ({"notification_preferences": {"reminders": "no"}}, "notification_preferences.reminders"),
        ({"current_lesson_id": "QZ-1"}, "current_lesson_id"),
        ({"current_lesson_id": "LSN-404"}, "current_lesson_id"),
        ({"status": "finished"}, "status"),
        ({}, "_schema"),
    ],
)
def test_bad_patches_name_the_field(admin, student, changes, field):
    publish_outline(admin)
    enrollment_id = enroll(admin)["id"]
    response = student.patch(f"/enrollments/{enrollment_id}", json=changes)
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_an_oversized_body_is_refused(admin, student):
    publish_outline(admin)
    enrollment_id = enroll(admin)["id"]
    huge = {"custom_fields": {"text": "x" * (2 * 1024 * 1024)}}
    response = student.patch(f"/enrollments/{enrollment_id}", json=huge)
    assert response.status_code == 413


def test_changing_the_outline_recomputes_progress_without_losing_work(admin, student):
    publish_outline(admin)
    enrollment_id = enroll(admin)["id"]
    assert complete(student, enrollment_id, "LSN-1", "c-1").status_code == 201
    assert student.get(f"/enrollments/{enrollment_id}").json["progress_percentage"] == 16
    smaller = outline_document()
    smaller["modules"] = smaller["modules"][:1]
    smaller["modules"][0]["items"] = smaller["modules"][0]["items"][:1]
    smaller["modules"][0]["items"].append(
        {"item_id": "LSN-9", "kind": "lesson", "title": "New", "weight": 1}
    )
    assert admin.put(f"/courses/{COURSE}/outline", json=smaller).status_code == 200
    document = student.get(f"/enrollments/{enrollment_id}").json
    assert document["progress_percentage"] == 50
    assert document["current_lesson_id"] == "LSN-9"
    assert [entry["lesson_id"] for entry in document["completed_lessons"]] == ["LSN-1"]
    assert document["status"] == "in_progress"


def test_an_overlong_course_id_is_refused_before_anything_is_stored(admin):
    response = admin.put(f"/courses/{'C' * 121}/outline", json=outline_document())
    assert response.status_code == 422
    assert "course_id" in response.json["errors"]
