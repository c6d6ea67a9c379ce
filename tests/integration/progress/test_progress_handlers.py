"""The progress handlers applied to events in any order and number, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask import Flask

from services.progress.handlers import registry
from shared.errors import InvalidInput
from shared.events import Envelope
from shared.events.contracts import ContractError
from tests.integration.progress.progress_api_support import (
    COURSE,
    STUDENT,
    complete,
    enroll,
    outbox_events,
    publish_outline,
    row_counts,
)

pytestmark = pytest.mark.integration


def apply(app: Flask, *events: Envelope) -> None:
    """Apply events as the consumer does: one transaction, handlers by type."""
    database = app.extensions["stride"].database
    with database.unit_of_work() as session:
        for event in events:
            handler = registry.handler_for(event.type)
            assert handler is not None, event.type
            handler(event, session)
        session.commit()


def submitted(attempt: str, score: float | None, passed: bool, minute: int, **extra: Any):
    return Envelope(
        type="attempts.attempt.submitted",
        producer="attempts",
        subject=extra.pop("student", STUDENT),
        course_id=COURSE,
        payload={
            "attempt_id": attempt,
            "quiz_id": "QZ-1",
            "completed_at": f"2026-11-02T10:{minute:02d}:00Z",
            "time_spent": 12.5,
            "score": score,
            "passed": passed,
            "is_practice": False,
            "pending_grading": score is None,
            **extra,
        },
    )


def graded(attempt: str, score: float, passed: bool, hour: int, student: str = STUDENT):
    return Envelope(
        type="attempts.attempt.graded",
        producer="attempts",
        subject=student,
        course_id=COURSE,
        payload={
            "attempt_id": attempt,
            "quiz_id": "QZ-1",
            "graded_at": f"2026-11-03T{hour:02d}:00:00Z",
            "score": score,
            "passed": passed,
        },
    )


def activities(*records: tuple[str, str, float], time_zone: str = "Europe/Berlin") -> Envelope:
    return Envelope(
        type="activity.logs.recorded",
        producer="activity",
        subject=STUDENT,
        payload={
            "records": [
                {
                    "id": activity_id,
                    "student_id": STUDENT,
                    "course_id": COURSE,
                    "timestamp": timestamp,
                    "activity_type": "lesson_view",
                    "details": {"duration": seconds},
                }
                for activity_id, timestamp, seconds in records
            ],
            "time_zone": time_zone,
        },
    )


def document(admin, student_id: str = STUDENT) -> dict[str, Any]:
    return dict(admin.get(f"/enrollments/by-key?student_id={student_id}&course_id={COURSE}").json)


QUIZ_HISTORY = [
    submitted("AT-1", 55, False, 1),
    submitted("AT-2", None, False, 2),
    graded("AT-2", 80, True, 9),
    graded("AT-2", 90, True, 11),
    submitted("AT-3", 90, True, 3),
]


def test_quiz_entry_is_the_same_in_every_order_with_redeliveries(admin, app):
    publish_outline(admin)
    results = []
    orders = list(itertools.permutations(QUIZ_HISTORY))[::17]
    for number, order in enumerate(orders):
        student_id = f"USR-STU-Q{number}"
        enroll(admin, student_id=student_id)
        for event in [*order, order[0]]:
            apply(app, _for_student(event, student_id))
        results.append(document(admin, student_id)["completed_quizzes"])
    assert len(orders) > 5
    assert all(result == results[0] for result in results)
    [entry] = results[0]
    assert entry["attempts"] == 3
    assert entry["best_score"] == 90
    assert entry["best_attempt_id"] == "AT-2"  # ties go to the earliest completion
    assert entry["passed"] is True
    assert entry["time_spent"] == 37.5


def _for_student(event: Envelope, student_id: str) -> Envelope:
    return Envelope(
        type=event.type,
        producer=event.producer,
        subject=student_id,
        course_id=event.course_id,
        payload=event.payload,
    )


def test_attempts_received_before_the_enrollment_count_when_it_is_created(admin, app):
    publish_outline(admin)
    apply(app, submitted("AT-1", 95, True, 1))
    created = enroll(admin)
    assert created["completed_quizzes"][0]["best_score"] == 95
    assert created["status"] == "in_progress"


def test_completing_the_course_requests_the_certificate_once_and_records_it(
    admin, app, student, teacher
):
    publish_outline(admin, certificate_criteria={"min_average_score": 70})
    enrollment_id = enroll(admin)["id"]
    apply(app, submitted("AT-1", 85, True, 1))
    for lesson in ("LSN-1", "LSN-2", "LSN-3"):
        assert complete(student, enrollment_id, lesson, f"c-{lesson}").status_code == 201
    path = f"/enrollments/{enrollment_id}/assignments"
    submission = {"assignment_id": "ASG-1", "action": "submit", "submission_id": "s-1",
                  "time_spent": 30}  # fmt: skip
    assert student.post(path, json=submission).status_code == 200
    pending = teacher.post(path, json={"assignment_id": "ASG-1", "action": "grade", "grade": 80})
    assert pending.json["status"] == "completed"
    assert pending.json["certificate_issued"] is False
    assert pending.json["certificate_url"] is None
    assert pending.json["certificate_pending"] is True
    [requested] = outbox_events(app, "progress.certificate.requested")
    assert requested["payload"]["average_score"] == 83.33
    assert len(outbox_events(app, "progress.course.completed")) == 1

    apply(app, submitted("AT-2", 99, True, 5))
    assert len(outbox_events(app, "progress.certificate.requested")) == 1

    rendered = Envelope(
        type="reports.certificate.rendered",
        producer="reports",
        payload={
            "enrollment_id": enrollment_id,
            "certificate_url": "https://certs.example/c/1.pdf",
            "issued_at": "2026-11-05T09:00:00Z",
        },
    )
    apply(app, rendered, rendered)
    issued = document(admin)
    assert issued["certificate_issued"] is True
    assert issued["certificate_url"] == "https://certs.example/c/1.pdf"
    assert issued["certificate_issued_at"].startswith("2026-11-05T09:00:00")
    assert issued["certificate_pending"] is False


def test_below_the_average_no_certificate_is_requested(admin, app, student, teacher):
    publish_outline(admin, certificate_criteria={"min_average_score": 90})
    enrollment_id = enroll(admin)["id"]
    apply(app, submitted("AT-1", 85, True, 1))
    for lesson in ("LSN-1", "LSN-2", "LSN-3"):
        assert complete(student, enrollment_id, lesson, f"c-{lesson}").status_code == 201
    path = f"/enrollments/{enrollment_id}/assignments"
    submission = {"assignment_id": "ASG-1", "action": "submit", "submission_id": "s-1",
                  "time_spent": 30}  # fmt: skip
    assert student.post(path, json=submission).status_code == 200
    assert document(admin)["status"] == "completed"
    assert outbox_events(app, "progress.certificate.requested") == []
    assert document(admin)["certificate_pending"] is False


def test_activity_sets_last_access_time_and_a_streak_across_daylight_saving(admin, app):
    publish_outline(admin)
    enroll(admin)
    # Berlin leaves summer time on 2026-10-25: 23:30 local on the 24th and 23:30 local on
    # the 25th are 25 hours apart, and still consecutive days.
    first = activities(("A-1", "2026-10-24T21:30:00Z", 600), ("A-2", "2026-10-25T22:30:00Z", 300))
    late = activities(("A-0", "2026-10-23T21:59:00Z", 60))
    apply(app, first, late, first)
    state = document(admin)
    assert state["login_streak"] == 3
    assert state["last_streak_date"] == "2026-10-25"
    assert state["total_time_spent"] == 16.0
    assert state["last_accessed"].startswith("2026-10-25T22:30:00")
    assert state["status"] == "in_progress"


def test_the_same_activity_in_two_batches_counts_once(admin, app):
    publish_outline(admin)
    enroll(admin)
    apply(app, activities(("A-1", "2026-11-02T08:00:00Z", 120)))
    apply(
        app, activities(("A-1", "2026-11-02T08:00:00Z", 120), ("A-2", "2026-11-02T09:00:00Z", 60))
    )
    assert document(admin)["total_time_spent"] == 3.0


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (submitted("AT-1", 150, True, 1), "score"),
        (submitted("AT-1", 50, "yes", 1), "passed"),  # type: ignore[arg-type]
        (submitted("AT-1", 50, False, 1, completed_at="yesterday"), "completed_at"),
        (submitted("AT-1", 50, False, 1, quiz_id=None), "quiz_id"),
        (submitted("AT-1", 50, False, 1, student="S" * 121), "subject"),
        (activities(("A-1", "2026-11-02T08:00:00Z", -5)), "duration_seconds"),
        (activities(("A-1", "not a time", 5)), "records[0].timestamp"),
        (activities(("A-1", "2026-11-02T08:00:00Z", 5), time_zone="Moon/Base"), "time_zone"),
        (
            Envelope(type="reports.certificate.rendered", producer="reports",
                     payload={"enrollment_id": "nope", "certificate_url": "https://x.example/c",
                              "issued_at": "2026-11-05T09:00:00Z"}),
            "enrollment_id",
        ),
        (
            Envelope(type="reports.certificate.rendered", producer="reports",
                     payload={"enrollment_id": "x", "certificate_url": "javascript:alert(1)",
                              "issued_at": "2026-11-05T09:00:00Z"}),
            "certificate_url",
        ),
    ],
)  # fmt: skip
def test_malformed_events_are_refused_naming_the_field_and_write_nothing(admin, app, event, field):
    publish_outline(admin)
    enroll(admin)
    before = row_counts(app)
    with pytest.raises((InvalidInput, ContractError)) as raised:
        apply(app, event)
    error = raised.value
    assert field in (error.fields if isinstance(error, InvalidInput) else str(error))
    assert row_counts(app) == before
