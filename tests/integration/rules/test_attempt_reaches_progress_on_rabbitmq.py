"""Across services on the real path: a student's submission to the attempts service
(its HTTP API) leaves through the attempts outbox and relay, crosses RabbitMQ, and is
applied by the progress consumer to the student's enrollment on PostgreSQL; the
teacher's later grading follows the same way. No event is built by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from shared.auth import mint_token
from shared.cli import registry_of
from shared.config import Settings
from shared.events import HandlerRegistry
from shared.events.broker import kombu_connection
from shared.events.consumer import EventConsumer
from shared.events.publishers import open_publisher
from shared.events.relay import OutboxRelay
from tests.support import backbone
from tests.support.stride_http import (
    ADMIN,
    OTHER_STUDENT,
    STUDENT,
    TEACHER,
    Caller,
    database_of,
    make_app,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def broker_settings(settings_for: Callable[..., Settings], rabbitmq_url: str) -> Settings:
    return settings_for(STRIDE_BROKER_URL=rabbitmq_url, STRIDE_CONSUMER_MAX_RETRIES="1")


@pytest.fixture
def apps(
    broker_settings: Settings, make_postgres_database: Callable[[str], str]
) -> Iterator[dict[str, Flask]]:
    built = {
        service: make_app(service, broker_settings, make_postgres_database(service))
        for service in ("progress", "attempts")
    }
    yield built
    for app in built.values():
        database_of(app).dispose()


@pytest.fixture
def progress_consumer(apps: dict[str, Flask], broker_settings: Settings) -> Iterator[EventConsumer]:
    """The progress service's own handlers, on a queue no other test run shares."""
    registry = HandlerRegistry(f"progressflow{uuid.uuid4().hex[:8]}")
    for event_type in registry_of("progress").event_types:
        batch = registry_of("progress").batch_handler_for(event_type)
        if batch is not None:
            registry.handles_batch(event_type)(batch)
        else:
            handler = registry_of("progress").handler_for(event_type)
            assert handler is not None
            registry.handles(event_type)(handler)
    consumer = EventConsumer(registry, database_of(apps["progress"]), broker_settings)
    with kombu_connection(broker_settings) as connection:
        consumer.declare(connection)
    yield consumer
    backbone.delete_queues(broker_settings, consumer)


def caller(app: Flask, settings: Settings, sub: str, role: str, **claims: Any) -> Caller:
    return Caller(app.test_client(), mint_token(settings, sub=sub, role=role, **claims))


def test_a_submission_and_its_grading_reach_the_enrollment_through_rabbitmq(
    apps: dict[str, Flask], progress_consumer: EventConsumer, broker_settings: Settings
):
    course = f"CRS-{uuid.uuid4().hex[:10].upper()}"
    quiz = f"QZ-{uuid.uuid4().hex[:10].upper()}"
    progress, attempts = apps["progress"], apps["attempts"]
    admin = caller(progress, broker_settings, ADMIN, "admin")
    outline = {
        "modules": [
            {
                "module_id": "MOD-1",
                "title": "Fractions",
                "items": [
                    {"item_id": "LSN-1", "kind": "lesson", "title": "Halves", "weight": 1},
                    {"item_id": quiz, "kind": "quiz", "title": "Check", "weight": 1},
                ],
            }
        ]
    }
    assert admin.put(f"/courses/{course}/outline", json=outline).status_code == 200
    enrolled = admin.post("/enrollments", json={"student_id": STUDENT, "course_id": course})
    assert enrolled.status_code == 201, enrolled.json
    enrollment_id = enrolled.json["id"]

    teacher = caller(attempts, broker_settings, TEACHER, "teacher", courses=[course])
    student = caller(attempts, broker_settings, STUDENT, "student")
    definition = {
        "course_id": course,
        "lesson_id": "LSN-1",
        "title": "Check",
        "passing_score": 60,
        "questions": [
            {"question_id": "q1", "type": "multiple_choice", "prompt": "1/2 of 4?",
             "points": 2, "options": ["2", "3"], "answer_key": "2"},
            {"question_id": "q2", "type": "true_false", "prompt": "2/4 = 1/2",
             "points": 2, "answer_key": True},
        ],
    }  # fmt: skip
    assert teacher.put(f"/quizzes/{quiz}", json=definition).status_code == 200
    started = student.post(f"/quizzes/{quiz}/attempts", json={})
    assert started.status_code == 201, started.json
    attempt_id = started.json["id"]
    assert (
        student.put(f"/attempts/{attempt_id}/answers/q1", json={"answer": "2"}).status_code == 200
    )
    assert (
        student.put(f"/attempts/{attempt_id}/answers/q2", json={"answer": False}).status_code == 200
    )
    submission = student.post(f"/attempts/{attempt_id}/submission", json={})
    assert submission.status_code == 200, submission.json
    assert (submission.json["score"], submission.json["passed"]) == (50.0, False)

    relay = OutboxRelay("attempts", database_of(attempts), open_publisher(broker_settings))
    reader = caller(progress, broker_settings, STUDENT, "student")

    def quiz_entry() -> dict[str, Any] | None:
        document = reader.get(f"/enrollments/{enrollment_id}").json
        entries = [q for q in document["completed_quizzes"] if q["quiz_id"] == quiz]
        return entries[0] if entries else None

    def submitted_seen() -> bool:
        entry = quiz_entry()
        return entry is not None and entry["best_score"] == 50.0

    assert backbone.run_loops_until([relay, progress_consumer], submitted_seen, timeout=60)
    entry = quiz_entry()
    assert entry is not None
    assert (entry["attempts"], entry["best_score"], entry["passed"]) == (1, 50.0, False)

    # the teacher gives q2 its points: the grading travels the same way
    feedback = teacher.post(
        f"/attempts/{attempt_id}/feedback", json={"feedback": "Right idea.", "points": {"q2": 2}}
    )
    assert feedback.status_code == 200, feedback.json
    assert feedback.json["score"] == 100.0
    # loops once stopped stay stopped: a new relay and consumer on the same queue
    relay = OutboxRelay("attempts", database_of(attempts), open_publisher(broker_settings))
    consumer = EventConsumer(progress_consumer.registry, database_of(progress), broker_settings)

    def graded_seen() -> bool:
        entry = quiz_entry()
        return entry is not None and entry["best_score"] == 100.0

    assert backbone.run_loops_until([relay, consumer], graded_seen, timeout=60)
    entry = quiz_entry()
    assert entry is not None
    assert (entry["attempts"], entry["best_score"], entry["passed"]) == (1, 100.0, True)
    assert progress_consumer.stats.parked == consumer.stats.parked == 0

    # what progress now shows is the student's: another student is refused as if absent
    other = caller(progress, broker_settings, OTHER_STUDENT, "student")
    assert other.get(f"/enrollments/{enrollment_id}").status_code == 404
