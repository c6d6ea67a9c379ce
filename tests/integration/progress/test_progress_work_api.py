"""Lesson completions and assignments through the HTTP API, and the events they emit."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from services.progress.models import Bookmark, Enrollment, Note
from services.progress.schemas import EnrollmentSchema, enrollment_document
from shared.web import request_session
from tests.integration.progress.progress_api_support import (
    complete,
    enroll,
    outbox_events,
    publish_outline,
    row_counts,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def enrollment_id(admin) -> str:
    publish_outline(admin)
    return str(enroll(admin)["id"])


def test_a_completion_counts_once_per_id_and_keeps_the_best_score(admin, student, enrollment_id):
    first = complete(student, enrollment_id, "LSN-1", "c-1", score=70, time_spent=20)
    replay = complete(student, enrollment_id, "LSN-1", "c-1", score=99, time_spent=20)
    second = complete(student, enrollment_id, "LSN-1", "c-2", score=90, time_spent=15.5)
    assert (first.status_code, replay.status_code, second.status_code) == (201, 200, 201)
    [entry] = second.json["completed_lessons"]
    assert (entry["attempts"], entry["score"], entry["time_spent"]) == (2, 90, 35.5)
    events = outbox_events(admin.client.application, "progress.lesson.completed")
    assert [event["payload"]["completion_id"] for event in events] == ["c-1", "c-2"]


def test_the_idempotency_key_header_identifies_a_completion(student, enrollment_id):
    path = f"/enrollments/{enrollment_id}/lessons/LSN-1/completion"
    headers = {"Idempotency-Key": "key-1"}
    assert student.post(path, json={"time_spent": 5}, headers=headers).status_code == 201
    again = student.post(path, json={"time_spent": 5}, headers=headers)
    assert again.status_code == 200
    assert again.json["completed_lessons"][0]["attempts"] == 1


def test_a_completion_advances_position_percentage_and_status(admin, student, enrollment_id):
    document = complete(student, enrollment_id, "LSN-1", "c-1").json
    assert document["status"] == "in_progress"
    assert (document["current_module_id"], document["current_lesson_id"]) == ("MOD-1", "LSN-2")
    assert document["progress_percentage"] == 16
    document = complete(student, enrollment_id, "LSN-2", "c-2").json
    assert document["current_lesson_id"] == "LSN-3"
    assert document["progress_percentage"] == 33
    [change] = outbox_events(admin.client.application, "progress.status.changed")
    assert change["payload"]["to_status"] == "in_progress"
    assert change["payload"]["reason"] == "student_work"


@pytest.mark.parametrize(
    ("lesson_id", "body", "field"),
    [
        ("LSN-404", {"completion_id": "c", "time_spent": 1}, "lesson_id"),
        ("QZ-1", {"completion_id": "c", "time_spent": 1}, "lesson_id"),
        ("LSN-1", {"completion_id": "c", "time_spent": -1}, "time_spent"),
        ("LSN-1", {"completion_id": "c", "time_spent": 1, "score": 101}, "score"),
        ("LSN-1", {"completion_id": "c", "time_spent": "long"}, "time_spent"),
        ("LSN-1", {"time_spent": 1}, "completion_id"),
        ("LSN-1", {"completion_id": "c", "time_spent": 1, "completed_at": "2024-01-01T10:00:00"},
         "completed_at"),
    ],
)  # fmt: skip
def test_bad_completions_name_the_field_and_write_nothing(
    admin, student, enrollment_id, lesson_id, body, field
):
    before = row_counts(admin.client.application)
    response = student.post(
        f"/enrollments/{enrollment_id}/lessons/{lesson_id}/completion", json=body
    )
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert row_counts(admin.client.application) == before
    assert student.get(f"/enrollments/{enrollment_id}").json["completed_lessons"] == []


def test_unknown_enrollment_answers_404(student):
    response = complete(student, "no-such-enrollment", "LSN-1", "c-1")
    assert response.status_code == 404


def test_an_assignment_is_submitted_graded_and_returned(admin, student, teacher, enrollment_id):
    path = f"/enrollments/{enrollment_id}/assignments"
    submitted = student.post(
        path,
        json={"assignment_id": "ASG-1", "action": "submit", "submission_id": "s-1",
              "time_spent": 45},
    )  # fmt: skip
    assert submitted.status_code == 200, submitted.json
    graded = teacher.post(
        path,
        json={"assignment_id": "ASG-1", "action": "grade", "grade": 88, "feedback_id": "FB-1"},
    )
    [entry] = graded.json["completed_assignments"]
    assert entry == {
        "assignment_id": "ASG-1",
        "submitted_at": entry["submitted_at"],
        "grade": 88.0,
        "feedback_id": "FB-1",
        "time_spent": 45.0,
        "status": "graded",
    }
    returned = teacher.post(path, json={"assignment_id": "ASG-1", "action": "return"})
    assert returned.json["completed_assignments"][0]["status"] == "returned"
    events = outbox_events(admin.client.application, "progress.assignment.recorded")
    assert [event["payload"]["action"] for event in events] == ["submit", "grade", "return"]


def test_an_lms_service_token_records_grades(admin, caller, enrollment_id):
    lms = caller("service", "SVC-LMS")
    path = f"/enrollments/{enrollment_id}/assignments"
    submission = {"assignment_id": "ASG-1", "action": "submit", "submission_id": "s-1",
                  "time_spent": 10}  # fmt: skip
    assert lms.post(path, json=submission).status_code == 200
    graded = lms.post(path, json={"assignment_id": "ASG-1", "action": "grade", "grade": 75})
    assert graded.json["completed_assignments"][0]["grade"] == 75


def test_invalid_assignment_moves_answer_409_and_write_nothing(admin, teacher, enrollment_id):
    path = f"/enrollments/{enrollment_id}/assignments"
    before = row_counts(admin.client.application)
    response = teacher.post(path, json={"assignment_id": "ASG-1", "action": "grade", "grade": 50})
    assert response.status_code == 409
    assert "has not been submitted" in response.json["detail"]
    assert row_counts(admin.client.application) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"assignment_id": "ASG-1", "action": "submit", "time_spent": 1}, "submission_id"),
        ({"assignment_id": "ASG-1", "action": "grade"}, "grade"),
        ({"assignment_id": "ASG-1", "action": "grade", "grade": 120}, "grade"),
        ({"assignment_id": "ASG-1", "action": "publish"}, "action"),
        ({"assignment_id": "LSN-1", "action": "submit", "submission_id": "s", "time_spent": 1},
         "assignment_id"),
    ],
)  # fmt: skip
def test_bad_assignment_input_names_the_field(teacher, enrollment_id, body, field):
    response = teacher.post(f"/enrollments/{enrollment_id}/assignments", json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]


def finish_course(student, teacher, enrollment_id: str, grade: float) -> dict:
    for lesson in ("LSN-1", "LSN-2", "LSN-3"):
        assert complete(student, enrollment_id, lesson, f"c-{lesson}").status_code == 201
    path = f"/enrollments/{enrollment_id}/assignments"
    submission = {"assignment_id": "ASG-1", "action": "submit", "submission_id": "s-1",
                  "time_spent": 30}  # fmt: skip
    assert student.post(path, json=submission).status_code == 200
    return dict(
        teacher.post(path, json={"assignment_id": "ASG-1", "action": "grade", "grade": grade}).json
    )


def test_the_document_is_what_the_enrollment_schema_dumps(admin, student, teacher, enrollment_id):
    """The views serialize with the compiled schema; marshmallow's own dump is the reference."""
    assert complete(student, enrollment_id, "LSN-1", "c-1", score=72.5).status_code == 201
    assert complete(student, enrollment_id, "LSN-2", "c-2", time_spent=3).status_code == 201
    assignments = f"/enrollments/{enrollment_id}/assignments"
    assert (
        student.post(
            assignments,
            json={
                "assignment_id": "ASG-1",
                "action": "submit",
                "submission_id": "s",
                "time_spent": 9,
            },
        )
    ).status_code == 200
    assert (
        teacher.post(assignments, json={"assignment_id": "ASG-1", "action": "grade", "grade": 90})
    ).status_code == 200
    assert (
        student.post(
            f"/enrollments/{enrollment_id}/notes",
            json={"lesson_id": "LSN-1", "content": "**limits**", "tags": ["exam"]},
        )
    ).status_code == 201
    assert (
        student.post(
            f"/enrollments/{enrollment_id}/bookmarks",
            json={"content_type": "video", "content_id": "VID-1", "position": "05:23"},
        )
    ).status_code == 201
    app = admin.client.application
    with app.test_request_context():
        session = request_session()
        enrollment = session.get(Enrollment, enrollment_id)
        notes = session.scalars(sa.select(Note).where(Note.enrollment_id == enrollment_id))
        bookmarks = session.scalars(
            sa.select(Bookmark).where(Bookmark.enrollment_id == enrollment_id)
        )
        expected = EnrollmentSchema().dump(enrollment_document(enrollment, notes, bookmarks))
    served = student.get(f"/enrollments/{enrollment_id}").get_json()
    assert served == json.loads(json.dumps(expected))
    assert len(served["notes"]) == 1 and len(served["bookmarks"]) == 1
    assert [entry["score"] for entry in served["completed_lessons"]] == [72.5, None]
    listed = admin.get(f"/enrollments?student_id={served['student_id']}").get_json()
    assert listed["items"] == [
        {key: value for key, value in served.items() if key not in ("notes", "bookmarks")}
    ]
