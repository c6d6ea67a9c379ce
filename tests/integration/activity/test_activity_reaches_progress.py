"""End to end on the real PostgreSQL and RabbitMQ: activity posted for a student through
the gateway's paths leaves the activity outbox through the relay, and the progress
consumer moves that student's last access, time spent and streak."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from kombu import Queue
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from services.progress.handlers import registry as progress_registry
from shared.config import Settings
from shared.events import Envelope, HandlerRegistry
from shared.events.broker import kombu_connection
from shared.events.consumer import EventConsumer
from shared.events.topology import events_exchange
from tests.integration.activity import activity_api_support as activity_support
from tests.integration.progress import progress_api_support as progress_support
from tests.support import backbone

pytestmark = pytest.mark.integration

STUDENT = progress_support.STUDENT
COURSE = progress_support.COURSE


@pytest.fixture
def broker_settings(settings_for: Callable[..., Settings], rabbitmq_url: str) -> Settings:
    return settings_for(STRIDE_BROKER_URL=rabbitmq_url, STRIDE_CONSUMER_MAX_RETRIES="1")


@pytest.fixture
def apps(
    broker_settings: Settings, make_postgres_database: Callable[[str], str]
) -> Iterator[tuple[Flask, Flask]]:
    activity = activity_support.make_app(broker_settings, make_postgres_database("activity"))
    progress = progress_support.make_app(broker_settings, make_postgres_database("progress"))
    yield activity, progress
    for app in (activity, progress):
        app.extensions["stride"].database.dispose()


@pytest.fixture
def progress_consumer(apps, broker_settings: Settings) -> Iterator[EventConsumer]:
    """The progress handlers on a queue of their own, so parallel runs never share one."""
    registry = HandlerRegistry(f"progresstest{uuid.uuid4().hex[:8]}")
    for event_type in progress_registry.event_types:
        handler = progress_registry.handler_for(event_type)
        assert handler is not None
        registry.handles(event_type)(handler)
    consumer = EventConsumer(registry, apps[1].extensions["stride"].database, broker_settings)
    with kombu_connection(broker_settings) as connection:
        consumer.declare(connection)
    yield consumer
    backbone.delete_queues(broker_settings, consumer)


def call(client: Client, method: str, path: str, token: str, **kwargs) -> tuple[int, dict]:
    response = client.open(
        path, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs
    )
    return response.status_code, response.get_json()


def test_activity_posted_for_a_student_moves_their_progress(
    apps, progress_consumer, broker_settings, token_for
):
    activity, progress = apps
    gateway = Client(
        DispatcherMiddleware(
            Flask("gateway"), {"/api/activity": activity, "/api/progress": progress}
        )
    )
    admin, student = token_for("admin", "USR-ADM-1"), token_for("student", STUDENT)
    status, _ = call(gateway, "PUT", f"/api/progress/courses/{COURSE}/outline", admin,
                     json=progress_support.outline_document())  # fmt: skip
    assert status == 200
    status, enrollment = call(gateway, "POST", "/api/progress/enrollments", admin,
                              json={"student_id": STUDENT, "course_id": COURSE})  # fmt: skip
    assert status == 201
    before = call(gateway, "GET", f"/api/progress/enrollments/{enrollment['id']}", admin)[1]
    assert (before["login_streak"], before["total_time_spent"]) == (0, 0)

    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    days = [noon - timedelta(days=n) for n in (3, 2, 1)]
    records = [
        activity_support.record(student_id=STUDENT, course_id=COURSE, timestamp=day.isoformat(),
                                details={"duration": 300})
        for day in days
    ]  # fmt: skip
    status, body = call(gateway, "POST", "/api/activity/logs", student,
                        json={"records": records, "time_zone": "UTC"})  # fmt: skip
    assert status == 202, body

    relay = backbone.new_relay("activity", activity.extensions["stride"].database, broker_settings)

    def applied() -> bool:
        return progress_consumer.stats.applied >= 1

    assert backbone.run_loops_until([relay, progress_consumer], applied, timeout=90)
    after = call(gateway, "GET", f"/api/progress/enrollments/{enrollment['id']}", admin)[1]
    assert after["login_streak"] == 3
    assert after["total_time_spent"] == 15.0
    assert datetime.fromisoformat(after["last_accessed"]) == days[-1]
    assert progress_consumer.stats.parked == 0


def test_one_message_per_student_per_batch_reaches_the_broker(apps, broker_settings, token_for):
    activity, _progress = apps
    queue = Queue(
        f"activitytest.{uuid.uuid4().hex[:8]}",
        events_exchange(),
        routing_key="activity.logs.recorded",
        auto_delete=True,
        durable=False,
    )
    service = activity_support.Caller(activity.test_client(), token_for("service", "SVC-1"))
    records = [activity_support.record(student_id=f"USR-STU-{n % 3}") for n in range(30)]
    with kombu_connection(broker_settings) as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        assert service.post("/logs", json={"records": records}).status_code == 202
        relay = backbone.new_relay(
            "activity", activity.extensions["stride"].database, broker_settings
        )
        assert relay.relay_once() == 3
        messages = [bound.get(no_ack=True) for _ in range(3)]
        assert bound.get(no_ack=True) is None
        envelopes = [Envelope.from_json(message.body) for message in messages]
        assert sorted((e.subject, len(e.payload["records"])) for e in envelopes) == [
            ("USR-STU-0", 10), ("USR-STU-1", 10), ("USR-STU-2", 10),
        ]  # fmt: skip
        bound.delete()
