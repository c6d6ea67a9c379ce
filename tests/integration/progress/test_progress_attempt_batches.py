"""Attempt and activity events applied as one batch give what one at a time gives."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from flask import Flask

from services.progress.handlers import apply_activity_logs, apply_quiz_attempts, registry
from shared.errors import InvalidInput
from shared.events import Envelope
from tests.integration.progress.progress_api_support import (
    COURSE,
    enroll,
    outbox_events,
    publish_outline,
    row_counts,
)
from tests.integration.progress.test_progress_handlers import QUIZ_HISTORY, document, submitted

pytestmark = pytest.mark.integration


def apply_one_at_a_time(app: Flask, events: list[Envelope]) -> None:
    database = app.extensions["stride"].database
    for event in events:
        handler = registry.handler_for(event.type)
        assert handler is not None
        with database.unit_of_work() as session:
            handler(event, session)
            session.commit()


def apply_as_one_batch(app: Flask, events: list[Envelope]) -> None:
    with app.extensions["stride"].database.unit_of_work() as session:
        apply_quiz_attempts(events, session)
        session.commit()


def for_student(event: Envelope, student_id: str) -> Envelope:
    return Envelope(
        type=event.type,
        producer=event.producer,
        subject=student_id,
        course_id=event.course_id,
        payload=event.payload,
    )


def events_about(app: Flask, student_id: str) -> Counter[tuple[Any, ...]]:
    return Counter(
        (body["type"], body["payload"].get("from_status"), body["payload"].get("to_status"))
        for body in outbox_events(app)
        if body["payload"].get("student_id") == student_id
    )


def progress_of(admin: Any, student_id: str) -> dict[str, Any]:
    state = document(admin, student_id)
    fields = ("completed_quizzes", "status", "progress_percentage", "current_lesson_id")
    return {name: state[name] for name in fields}


def test_a_batch_leaves_the_enrollment_and_events_of_one_event_at_a_time(admin, app):
    publish_outline(admin)
    history = [*QUIZ_HISTORY, QUIZ_HISTORY[0]]
    for student_id in ("USR-STU-ONE", "USR-STU-BATCH"):
        enroll(admin, student_id=student_id)
    apply_one_at_a_time(app, [for_student(e, "USR-STU-ONE") for e in history])
    apply_as_one_batch(app, [for_student(e, "USR-STU-BATCH") for e in history])
    assert progress_of(admin, "USR-STU-BATCH") == progress_of(admin, "USR-STU-ONE")
    assert events_about(app, "USR-STU-BATCH") == events_about(app, "USR-STU-ONE")
    assert (
        events_about(app, "USR-STU-ONE")[("progress.status.changed", "not_started", "in_progress")]
        == 1
    )


def test_a_batch_counts_each_student_and_keeps_facts_of_students_not_enrolled(admin, app):
    publish_outline(admin)
    enroll(admin, student_id="USR-STU-A")
    apply_as_one_batch(
        app,
        [
            submitted("AT-1", 70, True, 1, student="USR-STU-A"),
            submitted("AT-2", 40, False, 2, student="USR-STU-B"),
            submitted("AT-3", 90, True, 3, student="USR-STU-A"),
        ],
    )
    [entry] = document(admin, "USR-STU-A")["completed_quizzes"]
    assert (entry["attempts"], entry["best_score"]) == (2, 90)
    created = enroll(admin, student_id="USR-STU-B")
    assert created["completed_quizzes"][0]["best_score"] == 40
    assert row_counts(app)["quiz_attempt_facts"] == 3


def test_a_batch_with_an_attempt_reported_under_another_quiz_writes_nothing(admin, app):
    publish_outline(admin)
    enroll(admin)
    apply_as_one_batch(app, [submitted("AT-1", 70, True, 1)])
    before = row_counts(app)
    with pytest.raises(InvalidInput) as raised:
        apply_as_one_batch(
            app, [submitted("AT-2", 80, True, 2), submitted("AT-1", 70, True, 1, quiz_id="QZ-9")]
        )
    assert "quiz_id" in raised.value.fields
    assert row_counts(app) == before


def test_activity_batches_leave_the_engagement_of_one_event_at_a_time(admin, app):
    publish_outline(admin)
    histories = {}
    for student_id in ("USR-STU-ONE", "USR-STU-BATCH", "USR-STU-LATE"):
        histories[student_id] = [
            logs(student_id, ("A-1", "2026-10-24T21:30:00Z", 600)),
            logs(
                student_id,
                ("A-1", "2026-10-24T21:30:00Z", 600),
                ("A-2", "2026-10-25T22:30:00Z", 300),
            ),
            logs(student_id, ("A-0", "2026-10-23T21:59:00Z", 60), time_zone="UTC"),
        ]
    for student_id in ("USR-STU-ONE", "USR-STU-BATCH"):
        enroll(admin, student_id=student_id)
    apply_one_at_a_time(app, histories["USR-STU-ONE"])
    with app.extensions["stride"].database.unit_of_work() as session:
        apply_activity_logs([*histories["USR-STU-BATCH"], *histories["USR-STU-LATE"]], session)
        session.commit()
    fields = ("login_streak", "last_streak_date", "total_time_spent", "last_accessed", "status")
    one, batch = document(admin, "USR-STU-ONE"), document(admin, "USR-STU-BATCH")
    assert {f: batch[f] for f in fields} == {f: one[f] for f in fields}
    assert one["total_time_spent"] == 16.0
    assert events_about(app, "USR-STU-BATCH") == events_about(app, "USR-STU-ONE")
    late = enroll(admin, student_id="USR-STU-LATE")
    assert late["total_time_spent"] == 16.0


def logs(student_id: str, *records: tuple[str, str, float], time_zone: str = "Europe/Berlin"):
    return Envelope(
        type="activity.logs.recorded",
        producer="activity",
        subject=student_id,
        payload={
            "records": [
                {
                    "id": activity_id,
                    "student_id": student_id,
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


def test_attempts_between_activity_batches_of_one_transaction_see_and_leave_their_changes(
    admin, app
):
    """The attempt batch reads what the activity batch left pending in the session, and
    the next activity batch reads what the attempt batch wrote, as in separate
    transactions."""
    publish_outline(admin)
    histories = {
        student_id: [
            logs(student_id, ("A-1", "2026-10-24T21:30:00Z", 600)),
            *(for_student(event, student_id) for event in QUIZ_HISTORY),
            logs(student_id, ("A-2", "2026-10-25T22:30:00Z", 300)),
        ]
        for student_id in ("USR-STU-ONE", "USR-STU-MIXED")
    }
    for student_id in histories:
        enroll(admin, student_id=student_id)
    apply_one_at_a_time(app, histories["USR-STU-ONE"])
    first, *attempts, last = histories["USR-STU-MIXED"]
    with app.extensions["stride"].database.unit_of_work() as session:
        apply_activity_logs([first], session)
        apply_quiz_attempts(attempts, session)
        apply_activity_logs([last], session)
        session.commit()
    fields = ("total_time_spent", "login_streak", "last_accessed")
    one, mixed = document(admin, "USR-STU-ONE"), document(admin, "USR-STU-MIXED")
    assert progress_of(admin, "USR-STU-MIXED") == progress_of(admin, "USR-STU-ONE")
    assert {f: mixed[f] for f in fields} == {f: one[f] for f in fields}
    assert events_about(app, "USR-STU-MIXED") == events_about(app, "USR-STU-ONE")
    assert one["completed_quizzes"] and one["status"] != "not_started"
