"""The attempts events leave through the outbox and reach the real RabbitMQ; concurrent
starts on PostgreSQL are settled by the database's constraints."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from kombu import Queue

from services.attempts.app import create_app
from shared.config import Settings
from shared.events import topology
from shared.events.broker import kombu_connection
from shared.events.publishers import open_publisher
from shared.events.relay import OutboxRelay
from tests.integration.attempts.attempts_api_support import (
    COURSE,
    QUIZ,
    STUDENT,
    Caller,
    answer,
    count_rows,
    publish,
    question,
    quiz_definition,
    start,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def broker_settings(settings_for: Callable[..., Settings], rabbitmq_url: str) -> Settings:
    return settings_for(STRIDE_BROKER_URL=rabbitmq_url)


@pytest.fixture
def postgres_app(broker_settings: Settings, make_postgres_database: Callable[[str], str]) -> Flask:
    url = make_postgres_database("attempts")
    return create_app({"STRIDE_SETTINGS": broker_settings, "DATABASE_URL": url, "TESTING": True})


def test_the_lifecycle_events_reach_rabbitmq_with_their_payloads(
    postgres_app: Flask, broker_settings: Settings, token_for: Callable[..., str]
):
    client = postgres_app.test_client()
    teacher = Caller(client, token_for("teacher", "USR-TEA-1", courses=[COURSE]))
    student = Caller(client, token_for("student", STUDENT))
    queue = Queue(
        f"test.attempts.{id(postgres_app)}",
        exchange=topology.events_exchange(),
        routing_key="attempts.attempt.*",
        exclusive=True,
    )
    with kombu_connection(broker_settings) as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        publish(
            teacher,
            body=quiz_definition(question("true_false", "q1"), question("essay", "q2")),
        )
        attempt = start(student)
        answer(student, attempt["id"], "q1", True)
        answer(student, attempt["id"], "q2", "Because.")
        assert (
            student.post(
                f"/attempts/{attempt['id']}/integrity-flags",
                json={"type": "copy_paste", "timestamp": "2026-11-25T10:00:00Z"},
            )
        ).status_code == 200
        assert (student.post(f"/attempts/{attempt['id']}/submission")).status_code == 200
        graded = teacher.post(f"/attempts/{attempt['id']}/feedback", json={"points": {"q2": 1}})
        assert graded.status_code == 200

        database = postgres_app.extensions["stride"].database
        relay = OutboxRelay("attempts", database, open_publisher(broker_settings))
        try:
            assert relay.relay_once() == 4
        finally:
            relay.publisher.close()
        received: list[dict[str, Any]] = []
        while (message := bound.get(no_ack=True)) is not None:
            received.append(json.loads(message.body))

    by_type = {event["type"]: event for event in received}
    assert set(by_type) == {
        "attempts.attempt.started",
        "attempts.attempt.flagged",
        "attempts.attempt.submitted",
        "attempts.attempt.graded",
    }
    for event in received:
        assert (event["subject"], event["course_id"]) == (STUDENT, COURSE)
        assert event["payload"]["attempt_id"] == attempt["id"]
    submitted = by_type["attempts.attempt.submitted"]["payload"]
    assert (submitted["score"], submitted["pending_grading"], submitted["passed"]) == (
        None,
        True,
        False,
    )
    final = by_type["attempts.attempt.graded"]["payload"]
    assert (final["score"], final["points_earned"], final["passed"]) == (75.0, 3, True)
    assert final["quiz_id"] == QUIZ and final["time_spent"] >= 0


def test_concurrent_starts_of_one_student_open_one_attempt(
    postgres_app: Flask, token_for: Callable[..., str]
):
    teacher = Caller(
        postgres_app.test_client(), token_for("teacher", "USR-TEA-1", courses=[COURSE])
    )
    publish(teacher)
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def start_one() -> None:
        client = Caller(postgres_app.test_client(), token_for("student", STUDENT))
        barrier.wait()
        statuses.append(client.post(f"/quizzes/{QUIZ}/attempts", json={}).status_code)

    threads = [threading.Thread(target=start_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(statuses) == [201, 409, 409, 409, 409, 409]
    assert count_rows(postgres_app, "attempts") == 1
