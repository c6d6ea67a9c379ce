"""Concurrent writers on PostgreSQL: nothing is lost or counted twice.

Attempt events racing with the enrollment's creation, and completions of one lesson
racing with each other, all end up counted exactly once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from services.progress.handlers import registry
from shared.config import Settings
from shared.events import Envelope
from tests.integration.progress.progress_api_support import (
    COURSE,
    Caller,
    make_app,
    outline_document,
)

pytestmark = pytest.mark.integration

WRITERS = 8


@pytest.fixture
def pg_app(settings: Settings, make_postgres_database: Callable[[str], str]) -> Iterator[Flask]:
    app = make_app(settings, make_postgres_database("progress"))
    yield app
    app.extensions["stride"].database.dispose()


def run_together(tasks: list[Callable[[], Any]]) -> list[BaseException]:
    """Start every task at the same moment; return the exceptions they raised."""
    barrier = threading.Barrier(len(tasks))
    errors: list[BaseException] = []

    def run(task: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            task()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a task never finished"
    return errors


def submitted(student_id: str, attempt_id: str) -> Envelope:
    return Envelope(
        type="attempts.attempt.submitted",
        producer="attempts",
        subject=student_id,
        course_id=COURSE,
        payload={
            "attempt_id": attempt_id,
            "quiz_id": "QZ-1",
            "completed_at": "2026-11-02T10:00:00Z",
            "time_spent": 1,
            "score": 50,
            "passed": False,
        },
    )


def apply_event(app: Flask, event: Envelope) -> None:
    handler = registry.handler_for(event.type)
    assert handler is not None
    with app.extensions["stride"].database.unit_of_work() as session:
        handler(event, session)
        session.commit()


def test_attempts_racing_with_the_enrollment_are_all_counted(pg_app, token_for):
    admin_token = token_for("admin", "USR-ADM-1")
    admin = Caller(pg_app.test_client(), admin_token)
    assert admin.put(f"/courses/{COURSE}/outline", json=outline_document()).status_code == 200
    for round_number in range(3):
        student_id = f"USR-STU-R{round_number}"

        def enroll(student_id: str = student_id) -> None:
            client = Caller(pg_app.test_client(), admin_token)
            response = client.post(
                "/enrollments", json={"student_id": student_id, "course_id": COURSE}
            )
            assert response.status_code == 201, response.json

        attempts = [
            (lambda n=n, s=student_id: apply_event(pg_app, submitted(s, f"AT-{n}")))
            for n in range(WRITERS)
        ]
        assert run_together([enroll, *attempts]) == []
        document = admin.get(f"/enrollments/by-key?student_id={student_id}&course_id={COURSE}")
        [quiz] = document.json["completed_quizzes"]
        assert quiz["attempts"] == WRITERS
        assert quiz["time_spent"] == WRITERS


def test_concurrent_completions_of_one_lesson_all_count(pg_app, token_for):
    token = token_for("student", "USR-STU-1")
    admin = Caller(pg_app.test_client(), token_for("admin", "USR-ADM-1"))
    assert (admin.put(f"/courses/{COURSE}/outline", json=outline_document())).status_code == 200
    enrollment_id = admin.post(
        "/enrollments", json={"student_id": "USR-STU-1", "course_id": COURSE}
    ).json["id"]
    path = f"/enrollments/{enrollment_id}/lessons/LSN-1/completion"

    def completion(key: str) -> Callable[[], None]:
        def post() -> None:
            response = Caller(pg_app.test_client(), token).post(
                path, json={"completion_id": key, "time_spent": 2}
            )
            assert response.status_code in {200, 201}, response.json

        return post

    # Each id twice: the duplicates race with their originals too.
    keys = [f"c-{n}" for n in range(WRITERS)]
    assert run_together([completion(key) for key in keys * 2]) == []
    [lesson] = admin.get(f"/enrollments/{enrollment_id}").json["completed_lessons"]
    assert lesson["attempts"] == WRITERS
    assert lesson["time_spent"] == 2 * WRITERS
