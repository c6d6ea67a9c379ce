"""The analytics service on the real RabbitMQ and PostgreSQL: events published in any order
and twice are applied by an EventConsumer running the analytics handlers and show in the
document; a malformed event is parked with its reason; the worker's refresh sends
analytics.risk.changed through the outbox relay."""

from __future__ import annotations

import uuid

import pytest
from kombu import Queue

from services.analytics import store, usecases
from services.analytics.handlers import registry as analytics_registry
from shared.events import Envelope
from shared.events.broker import kombu_connection
from shared.events.consumer import ERROR_HEADER
from shared.events.publishers import open_publisher
from shared.events.relay import OutboxRelay
from shared.events.topology import events_exchange
from tests.integration.analytics.analytics_api_support import Caller, make_app
from tests.support import backbone
from tests.unit.analytics.streams import (
    COURSE,
    STUDENT,
    activity,
    apply,
    at,
    enrolled,
    graded,
    record,
    submitted,
)

pytestmark = pytest.mark.integration


broker_settings, pg_app, consumer = backbone.service_on_rabbitmq(
    "analytics", make_app, analytics_registry
)


def test_events_in_any_order_and_twice_show_in_the_document(
    pg_app, consumer, broker_settings, token_for
):
    logs = activity(
        [record(f"R{n}", "lesson_start", at(n), duration=600, lesson_id="LSN-1") for n in range(3)]
    )
    events = [
        graded("AT-1", "QZ-1", at(2), 80.0),  # the grading before its submission
        submitted("AT-1", "QZ-1", at(1), None),
        logs,
        enrolled(at(0)),
    ]
    backbone.publish_confirmed(broker_settings, *events, *events[:2], logs)

    def applied() -> bool:
        return consumer.stats.applied + consumer.stats.duplicates >= 7

    assert backbone.run_loops_until([consumer], applied, timeout=60)
    admin = Caller(pg_app.test_client(), token_for("admin", "USR-ADM-1"))
    response = admin.get(f"/students/{STUDENT}/analytics?course_id={COURSE}&start_date=2026-11-02")
    assert response.status_code == 200, response.json
    document = response.json
    assert document["time_metrics"]["total_time"] == 30.0
    assert document["performance_metrics"]["quiz_average"] == 80.0
    assert document["engagement_metrics"]["session_count"] == 3  # one a day
    assert consumer.stats.parked == 0


def test_a_malformed_event_is_parked_with_its_reason_and_writes_nothing(
    pg_app, consumer, broker_settings
):
    poison = submitted("AT-9", "QZ-1", at(1), 140.0)
    backbone.publish_confirmed(broker_settings, poison)
    assert backbone.run_loops_until([consumer], lambda: consumer.stats.parked >= 1, timeout=60)
    [parked] = backbone.drain_dead_letters(broker_settings, consumer)
    assert parked.properties["message_id"] == poison.id
    assert "score" in parked.headers[ERROR_HEADER]
    with pg_app.extensions["stride"].database.unit_of_work() as session:
        assert store.facts_of(session, None, None) == {}


def test_a_risk_change_leaves_through_the_outbox_to_rabbitmq(pg_app, broker_settings):
    database = pg_app.extensions["stride"].database
    queue = Queue(
        f"analyticstest.{uuid.uuid4().hex[:8]}",
        events_exchange(),
        routing_key="analytics.risk.#",
        auto_delete=True,
        durable=False,
    )
    with kombu_connection(broker_settings) as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        with database.unit_of_work() as session:
            apply(session, [submitted("AT-1", "QZ-1", at(1), 20.0)])
            session.commit()
        with database.unit_of_work() as session:
            assert usecases.refresh_pending(session, at(2)) == 1
            session.commit()
        relay = OutboxRelay("analytics", database, open_publisher(broker_settings))
        assert relay.relay_once() >= 1
        message = bound.get(no_ack=True)
        assert message is not None
        change = Envelope.from_json(message.body)
        assert (change.type, change.subject, change.course_id) == (
            "analytics.risk.changed",
            STUDENT,
            COURSE,
        )
        assert change.payload["to_level"] == "high"
        bound.delete()
