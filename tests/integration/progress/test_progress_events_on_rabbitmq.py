"""The progress service on the real RabbitMQ and PostgreSQL: events the test publishes are
applied by an EventConsumer running the progress handlers, a malformed one is parked in
the dead-letter queue, and the service's own events leave through the outbox relay."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kombu import Queue

from services.progress.handlers import registry as progress_registry
from shared.events import Envelope
from shared.events.broker import kombu_connection
from shared.events.consumer import ERROR_HEADER
from shared.events.publishers import open_publisher
from shared.events.relay import OutboxRelay
from shared.events.topology import events_exchange
from tests.integration.progress.progress_api_support import (
    COURSE,
    STUDENT,
    Caller,
    enroll,
    make_app,
    outline_document,
    row_counts,
)
from tests.support import backbone

pytestmark = pytest.mark.integration


broker_settings, pg_app, consumer = backbone.service_on_rabbitmq(
    "progress", make_app, progress_registry
)


def attempt(event_type: str, attempt_id: str, **payload: Any) -> Envelope:
    return Envelope(
        type=event_type,
        producer="attempts",
        subject=STUDENT,
        course_id=COURSE,
        payload={"attempt_id": attempt_id, "quiz_id": "QZ-1", **payload},
    )


def test_events_published_on_rabbitmq_update_the_enrollment(
    pg_app, consumer, broker_settings, token_for
):
    admin = Caller(pg_app.test_client(), token_for("admin", "USR-ADM-1"))
    assert (admin.put(f"/courses/{COURSE}/outline", json=outline_document())).status_code == 200
    enrollment_id = enroll(admin)["id"]
    graded = attempt(
        "attempts.attempt.graded", "AT-1", graded_at="2026-11-03T10:00:00Z", score=92, passed=True
    )
    submitted = attempt(
        "attempts.attempt.submitted",
        "AT-1",
        completed_at="2026-11-02T10:00:00Z",
        time_spent=20,
        score=None,
        passed=False,
        pending_grading=True,
    )
    logs = Envelope(
        type="activity.logs.recorded",
        producer="activity",
        subject=STUDENT,
        payload={
            "records": [
                {"id": f"LOG-{n}", "student_id": STUDENT, "course_id": COURSE,
                 "timestamp": f"2026-11-0{n}T18:00:00Z", "activity_type": "lesson_view",
                 "details": {"duration": 300}}
                for n in (1, 2, 3)
            ],
            "time_zone": "America/New_York",
        },
    )  # fmt: skip
    rendered = Envelope(
        type="reports.certificate.rendered",
        producer="reports",
        payload={
            "enrollment_id": enrollment_id,
            "certificate_url": "https://certs.example/1.pdf",
            "issued_at": "2026-11-05T09:00:00Z",
        },
    )
    # The grading before its submission, and everything twice: same result.
    backbone.publish_confirmed(broker_settings, graded, submitted, logs, rendered, graded, logs)

    def applied() -> bool:
        return consumer.stats.applied + consumer.stats.duplicates >= 6

    assert backbone.run_loops_until([consumer], applied, timeout=60)
    document = admin.get(f"/enrollments/{enrollment_id}").json
    [quiz] = document["completed_quizzes"]
    assert (quiz["attempts"], quiz["best_score"], quiz["passed"]) == (1, 92, True)
    assert (document["login_streak"], document["total_time_spent"]) == (3, 15.0)
    assert document["last_streak_date"] == "2026-11-03"
    assert document["certificate_url"] == "https://certs.example/1.pdf"
    assert consumer.stats.parked == 0


def test_a_malformed_event_is_parked_with_its_error_and_writes_nothing(
    pg_app, consumer, broker_settings, token_for
):
    admin = Caller(pg_app.test_client(), token_for("admin", "USR-ADM-1"))
    assert (admin.put(f"/courses/{COURSE}/outline", json=outline_document())).status_code == 200
    enroll(admin)
    before = row_counts(pg_app)
    poison = attempt(
        "attempts.attempt.submitted",
        "AT-9",
        completed_at="2026-11-02T10:00:00Z",
        time_spent=-3,
        score=50,
        passed=False,
    )
    backbone.publish_confirmed(broker_settings, poison)

    assert backbone.run_loops_until([consumer], lambda: consumer.stats.parked >= 1, timeout=60)
    [parked] = backbone.drain_dead_letters(broker_settings, consumer)
    assert parked.properties["message_id"] == poison.id
    assert "time_spent" in parked.headers[ERROR_HEADER]
    assert row_counts(pg_app) == before


def test_progress_events_leave_through_the_outbox_to_rabbitmq(pg_app, broker_settings, token_for):
    admin = Caller(pg_app.test_client(), token_for("admin", "USR-ADM-1"))
    assert (admin.put(f"/courses/{COURSE}/outline", json=outline_document())).status_code == 200
    queue = Queue(
        f"progresstest.{uuid.uuid4().hex[:8]}",
        events_exchange(),
        routing_key="progress.#",
        auto_delete=True,
        durable=False,
    )
    with kombu_connection(broker_settings) as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        enroll(admin)
        relay = OutboxRelay(
            "progress", pg_app.extensions["stride"].database, open_publisher(broker_settings)
        )
        assert relay.relay_once() == 2
        received = [bound.get(no_ack=True) for _ in range(2)]
        assert all(message is not None for message in received)
        envelopes = {
            message.delivery_info["routing_key"]: Envelope.from_json(message.body)
            for message in received
        }
        assert set(envelopes) == {"progress.outline.published", "progress.enrolled"}
        assert envelopes["progress.enrolled"].subject == STUDENT
        assert envelopes["progress.outline.published"].subject == COURSE
        bound.delete()
