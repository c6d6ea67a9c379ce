"""The attempt lifecycle through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.integration.attempts.attempts_api_support import (
    answer,
    outbox_events,
    publish,
    start,
)

pytestmark = pytest.mark.integration


def test_a_student_takes_a_quiz_from_start_to_score(app, teacher, student):
    publish(teacher)
    attempt = start(student, device_info={"type": "desktop"}, environment="home")
    assert attempt["status"] == "in_progress" and attempt["attempt_number"] == 1
    assert answer(student, attempt["id"], "q1", "a").status_code == 200
    assert answer(student, attempt["id"], "q2", False).status_code == 200
    response = student.post(f"/attempts/{attempt['id']}/submission")
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["status"], body["score"], body["passed"]) == ("graded", 33.33, False)
    assert [e["type"] for e in outbox_events(app)] == [
        "attempts.attempt.started",
        "attempts.attempt.submitted",
    ]


def test_reading_an_attempt_is_audited(app, teacher, student):
    publish(teacher)
    attempt = start(student)
    response = student.get(f"/attempts/{attempt['id']}")
    assert response.status_code == 200, response.json
