"""The consumer under hostile and unlucky input, on RabbitMQ with PostgreSQL and on the
embedded broker with SQLite: a message that cannot be read parks itself and nothing
else, errors are classified by what they are, retries wait, permanent errors do not
retry."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from shared.config import Settings
from shared.db import Database
from shared.events import Envelope
from shared.events.broker import kombu_connection
from shared.events.consumer import ATTEMPT_HEADER, ERROR_HEADER
from shared.events.publishers import OutgoingMessage, open_publisher
from tests.support import backbone

pytestmark = pytest.mark.integration

RETRY_DELAYS = (0.3, 0.6)


@pytest.fixture(params=["rabbitmq+postgresql", "embedded"])
def mode(
    request: pytest.FixtureRequest, settings_for: Callable[..., Settings], tmp_path: Any
) -> tuple[Settings, Database]:
    tuning = {
        "STRIDE_CONSUMER_MAX_RETRIES": "2",
        "STRIDE_CONSUMER_RETRY_DELAYS": ",".join(str(d) for d in RETRY_DELAYS),
    }
    if request.param == "embedded":
        settings = settings_for(**tuning)
        return settings, backbone.prepare_database(f"sqlite:///{tmp_path}/probe.db")
    rabbitmq_url = request.getfixturevalue("rabbitmq_url")
    make_database = request.getfixturevalue("make_postgres_database")
    settings = settings_for(STRIDE_BROKER_URL=rabbitmq_url, **tuning)
    return settings, backbone.prepare_database(make_database("probe"))


@pytest.fixture
def consumer(mode: tuple[Settings, Database]) -> Any:
    settings, database = mode
    consumer = backbone.new_consumer(backbone.fresh_consumer_name(), database, settings)
    with kombu_connection(settings) as connection:
        consumer.declare(connection)
    yield consumer
    backbone.delete_queues(settings, consumer)


def poison_messages() -> dict[str, OutgoingMessage]:
    """One message of every kind that once killed the consumer, by the reason expected."""
    valid = backbone.things(1)[0].to_dict()
    overflow = {**valid, "id": "00000000-0000-4000-8000-000000000001"}
    overflow["occurred_at"] = "0001-01-01T00:00:00+05:00"
    nested = b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    bad_attempt = backbone.things(1)[0]
    return {
        "not JSON": OutgoingMessage("poison-json", backbone.HAPPENED, b"{oops"),
        "out of range": OutgoingMessage(
            overflow["id"], backbone.HAPPENED, json.dumps(overflow).encode()
        ),
        "RecursionError": OutgoingMessage("poison-deep", backbone.HAPPENED, nested),
        ATTEMPT_HEADER: OutgoingMessage(
            bad_attempt.id,
            backbone.HAPPENED,
            bad_attempt.to_json().encode(),
            headers={ATTEMPT_HEADER: "three"},
        ),
        "must be a JSON object": OutgoingMessage("poison-list", backbone.HAPPENED, b"[1, 2]"),
    }


def publish(settings: Settings, messages: list[OutgoingMessage]) -> None:
    publisher = open_publisher(settings)
    try:
        result = publisher.publish_batch(messages)
        assert not result.failed
    finally:
        publisher.close()


def as_message(event: Envelope) -> OutgoingMessage:
    return OutgoingMessage(event.id, event.type, event.to_json().encode())


def test_poison_messages_park_themselves_and_never_their_neighbours(mode, consumer):
    settings, database = mode
    good = backbone.things(200)
    poison = poison_messages()
    mixed = [as_message(e) for e in good[:100]] + list(poison.values())
    mixed += [as_message(e) for e in good[100:]]
    publish(settings, mixed)

    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        assert backbone.run_loops_until(
            [],
            lambda: (
                len(backbone.effect_rows(database)) >= 200 and consumer.stats.parked >= len(poison)
            ),
            timeout=60,
        )
        assert thread.is_alive(), "the consumer died"
    finally:
        consumer.stopping.set()
        thread.join(timeout=30)
    assert sorted(e for e, _ in backbone.effect_rows(database)) == sorted(e.id for e in good)
    assert consumer.stats.retried == 0
    parked = backbone.drain_dead_letters(settings, consumer)
    reasons = [message.headers[ERROR_HEADER] for message in parked]
    assert len(parked) == len(poison)
    for expected in poison:
        assert any(expected in reason for reason in reasons), (expected, reasons)


def test_a_permanent_error_is_parked_on_its_first_failure(mode, consumer):
    settings, database = mode
    [refused] = backbone.things(1, backbone.REFUSED)
    good = backbone.things(10)
    publish(settings, [as_message(e) for e in [*good[:5], refused, *good[5:]]])

    assert backbone.run_loops_until(
        [consumer],
        lambda: consumer.stats.parked >= 1 and len(backbone.effect_rows(database)) >= 10,
        timeout=30,
    )
    assert consumer.stats.retried == 0
    [parked] = backbone.drain_dead_letters(settings, consumer)
    assert parked.properties["message_id"] == refused.id
    assert "PermanentEventError: no such thing: 0" in parked.headers[ERROR_HEADER]


def test_a_failed_event_waits_before_each_retry(mode, consumer):
    settings, database = mode
    flaky = Envelope(type=backbone.FLAKY, producer="probe", payload={"n": 1, "failures": 2})
    publish(settings, [as_message(flaky)])

    assert backbone.run_loops_until(
        [consumer], lambda: len(backbone.effect_rows(database)) >= 1, timeout=30
    )
    first, second, third = backbone.flaky_calls[flaky.id]
    assert second - first >= RETRY_DELAYS[0]
    assert third - second >= RETRY_DELAYS[1]
    assert consumer.stats.retried == 2 and consumer.stats.parked == 0
    assert backbone.effect_rows(database) == [(flaky.id, 1)]


def test_an_error_of_the_batch_itself_is_isolated_to_its_event(
    settings_for, rabbitmq_url, make_postgres_database
):
    """'stack depth limit exceeded' is an OperationalError, and not an outage."""
    settings = settings_for(
        STRIDE_BROKER_URL=rabbitmq_url,
        STRIDE_CONSUMER_MAX_RETRIES="1",
        STRIDE_CONSUMER_RETRY_DELAYS="0.1",
    )
    database = backbone.prepare_database(make_postgres_database("probe"))
    consumer = backbone.new_consumer(backbone.fresh_consumer_name(), database, settings)
    with kombu_connection(settings) as connection:
        consumer.declare(connection)
    try:
        good = backbone.things(50)
        [deep] = backbone.things(1, backbone.DEEP)
        publish(settings, [as_message(e) for e in [*good[:25], deep, *good[25:]]])
        assert backbone.run_loops_until([consumer], lambda: consumer.stats.parked >= 1)
        assert sorted(e for e, _ in backbone.effect_rows(database)) == sorted(e.id for e in good)
        [parked] = backbone.drain_dead_letters(settings, consumer)
        assert parked.properties["message_id"] == deep.id
        assert "stack depth limit exceeded" in parked.headers[ERROR_HEADER]
        assert consumer.stats.retried == 1
    finally:
        backbone.delete_queues(settings, consumer)
