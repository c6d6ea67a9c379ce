"""Outbox, relay, consumer and inbox on the real RabbitMQ and PostgreSQL, and on the
embedded broker with SQLite: the same code, the same guarantees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY

from shared.config import Settings
from shared.db import Database
from shared.events import outbox
from shared.events.consumer import ERROR_HEADER
from shared.events.publishers import OutgoingMessage, open_publisher
from tests.support import backbone
from tests.support.rabbitmq import rabbitmqctl

pytestmark = pytest.mark.integration


@pytest.fixture(params=["rabbitmq+postgresql", "embedded"])
def mode(
    request: pytest.FixtureRequest,
    settings_for: Callable[..., Settings],
    tmp_path: Any,
) -> tuple[Settings, Database]:
    if request.param == "embedded":
        settings = settings_for(
            STRIDE_CONSUMER_MAX_RETRIES="2", STRIDE_CONSUMER_RETRY_DELAYS="0.1,0.2"
        )
        return settings, backbone.prepare_database(f"sqlite:///{tmp_path}/probe.db")
    rabbitmq_url = request.getfixturevalue("rabbitmq_url")
    make_database = request.getfixturevalue("make_postgres_database")
    settings = settings_for(
        STRIDE_BROKER_URL=rabbitmq_url,
        STRIDE_CONSUMER_MAX_RETRIES="2",
        STRIDE_CONSUMER_RETRY_DELAYS="0.1,0.2",
    )
    return settings, backbone.prepare_database(make_database("probe"))


@pytest.fixture
def consumer(mode: tuple[Settings, Database]) -> Any:
    settings, database = mode
    consumer = backbone.new_consumer(backbone.fresh_consumer_name(), database, settings)
    yield consumer
    backbone.delete_queues(settings, consumer)


def _declare(settings: Settings, consumer: Any) -> None:
    from shared.events.broker import kombu_connection

    with kombu_connection(settings) as connection:
        consumer.declare(connection)


def test_every_committed_event_is_applied_exactly_once(mode, consumer):
    settings, database = mode
    _declare(settings, consumer)
    events = backbone.things(500)
    backbone.commit_events(database, events[:250])
    backbone.commit_events(database, events[250:])
    relay = backbone.new_relay("probe", database, settings)

    assert backbone.run_loops_until(
        [relay, consumer], lambda: len(backbone.effect_rows(database)) >= 500
    )
    rows = backbone.effect_rows(database)
    assert sorted(event_id for event_id, _n in rows) == sorted(e.id for e in events)
    with database.unit_of_work() as session:
        assert outbox.count_unsent(session) == 0
    applied = REGISTRY.get_sample_value(
        "stride_events_applied_total", {"consumer": consumer.registry.consumer}
    )
    assert applied == 500


def test_a_redelivered_event_changes_nothing(mode, consumer):
    settings, database = mode
    _declare(settings, consumer)
    [event] = backbone.things(1)
    publisher = open_publisher(settings)
    message = OutgoingMessage(event.id, event.type, event.to_json().encode())
    for _ in range(3):
        assert publisher.publish_batch([message]).confirmed == [event.id]
    publisher.close()

    backbone.run_loops_until([consumer], lambda: consumer.stats.duplicates >= 2, timeout=20)
    assert backbone.effect_rows(database) == [(event.id, 0)]
    assert consumer.stats.applied == 1


def test_a_failing_event_is_retried_then_parked_with_its_error(mode, consumer):
    settings, database = mode
    _declare(settings, consumer)
    good = backbone.things(20)
    [poison] = backbone.things(1, backbone.POISON)
    backbone.commit_events(database, [*good[:10], poison, *good[10:]])
    relay = backbone.new_relay("probe", database, settings)

    assert backbone.run_loops_until([relay, consumer], lambda: consumer.stats.parked >= 1)
    assert sorted(e for e, _ in backbone.effect_rows(database)) == sorted(e.id for e in good)
    assert consumer.stats.retried == settings.consumer_max_retries
    [parked] = backbone.drain_dead_letters(settings, consumer)
    assert parked.properties["message_id"] == poison.id
    assert "PoisonError: cannot apply" in parked.headers[ERROR_HEADER]


def test_a_message_that_is_not_an_event_is_parked_at_once(mode, consumer):
    settings, database = mode
    _declare(settings, consumer)
    publisher = open_publisher(settings)
    garbage = OutgoingMessage("not-an-event", backbone.HAPPENED, b'{"hello": "world"}')
    publisher.publish_batch([garbage])
    publisher.close()

    assert backbone.run_loops_until([consumer], lambda: consumer.stats.parked >= 1, timeout=20)
    [parked] = backbone.drain_dead_letters(settings, consumer)
    assert "malformed event" in parked.headers[ERROR_HEADER]
    assert consumer.stats.retried == 0
    assert backbone.effect_rows(database) == []


def test_two_relays_never_claim_the_same_event(make_postgres_database):
    database = backbone.prepare_database(make_postgres_database("probe"))
    backbone.commit_events(database, backbone.things(100))
    with database.unit_of_work() as first, database.unit_of_work() as second:
        claimed_first = {event.id for event in outbox.claim_unsent(first, 60)}
        claimed_second = {event.id for event in outbox.claim_unsent(second, 60)}
    assert len(claimed_first) == 60
    assert len(claimed_second) == 40
    assert not claimed_first & claimed_second


def test_parked_events_can_be_listed_and_replayed(mode, consumer):
    from shared.events.dead_letters import list_parked, replay_parked

    settings, database = mode
    _declare(settings, consumer)
    [poison] = backbone.things(1, backbone.POISON)
    backbone.commit_events(database, [poison])
    relay = backbone.new_relay("probe", database, settings)
    assert backbone.run_loops_until([relay, consumer], lambda: consumer.stats.parked >= 1)

    [parked] = list_parked(settings, consumer.registry.consumer)
    assert parked.message_id == poison.id and "PoisonError" in parked.error
    assert len(list_parked(settings, consumer.registry.consumer)) == 1  # listing keeps them

    # The cause is fixed: the handler now accepts the event.
    fixed = backbone.new_consumer(consumer.registry.consumer, database, settings, poison_fixed=True)
    assert replay_parked(settings, consumer.registry.consumer) == 1
    assert backbone.run_loops_until([fixed], lambda: fixed.stats.applied >= 1, timeout=20)
    assert backbone.effect_rows(database) == [(poison.id, 0)]
    assert list_parked(settings, consumer.registry.consumer) == []


def test_rabbitmq_queues_are_quorum_queues_with_a_delivery_limit(
    settings_for, rabbitmq_url, tmp_path
):
    import json

    from shared.events.broker import kombu_connection

    settings = settings_for(STRIDE_BROKER_URL=rabbitmq_url)
    database = backbone.prepare_database(f"sqlite:///{tmp_path}/q.db")
    consumer = backbone.new_consumer(backbone.fresh_consumer_name(), database, settings)
    with kombu_connection(settings) as connection:
        consumer.declare(connection)
    try:
        listing = rabbitmqctl("list_queues", "name", "type", "arguments", "--formatter", "json")
        queues = {queue["name"]: queue for queue in json.loads(listing.stdout)}
        main = queues[consumer.queue.name]
        assert main["type"] == "quorum"
        # rabbitmqctl lists arguments as [name, AMQP type, value] triples.
        arguments = {name: value for name, _type, value in main["arguments"]}
        assert arguments["x-delivery-limit"] == settings.queue_delivery_limit
        assert arguments["x-dead-letter-routing-key"] == consumer.dead_letters.name
        assert queues[consumer.dead_letters.name]["type"] == "quorum"
    finally:
        backbone.delete_queues(settings, consumer)


def test_the_consumer_reconnects_when_its_broker_connection_drops(
    settings_for, rabbitmq_url, make_postgres_database
):
    import socket
    import threading
    import time

    settings = settings_for(STRIDE_BROKER_URL=rabbitmq_url)
    database = backbone.prepare_database(make_postgres_database("probe"))
    consumer = backbone.new_consumer(backbone.fresh_consumer_name(), database, settings)
    _declare(settings, consumer)
    relay = backbone.new_relay("probe", database, settings)
    threads = [threading.Thread(target=loop.run, daemon=True) for loop in (relay, consumer)]
    for thread in threads:
        thread.start()
    try:
        first = backbone.things(50)
        backbone.commit_events(database, first)
        deadline = time.monotonic() + 30
        while len(backbone.effect_rows(database)) < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        dropped = consumer.connection
        assert dropped is not None
        dropped.connection.sock.shutdown(socket.SHUT_RDWR)  # the network goes away

        second = backbone.things(50)
        backbone.commit_events(database, second)
        deadline = time.monotonic() + 30
        while len(backbone.effect_rows(database)) < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert consumer.connection is not dropped
        assert sorted(e for e, _ in backbone.effect_rows(database)) == sorted(
            e.id for e in first + second
        )
        assert all(thread.is_alive() for thread in threads)
    finally:
        relay.stopping.set()
        consumer.stopping.set()
        for thread in threads:
            thread.join(timeout=30)
        backbone.delete_queues(settings, consumer)


def test_a_batch_handler_applies_many_events_per_call_and_isolates_a_poisoned_one(mode, consumer):
    settings, database = mode
    _declare(settings, consumer)
    backbone.batch_calls.clear()
    events = backbone.things(300, backbone.BATCHED)
    poisoned = backbone.Envelope(
        type=backbone.BATCHED, producer="probe", payload={"n": backbone.POISON_N}
    )
    backbone.commit_events(database, [*events[:150], poisoned, *events[150:]])
    relay = backbone.new_relay("probe", database, settings)

    assert backbone.run_loops_until(
        [relay, consumer],
        lambda: len(backbone.effect_rows(database)) >= 300 and consumer.stats.parked >= 1,
    )
    assert sorted(e for e, _ in backbone.effect_rows(database)) == sorted(e.id for e in events)
    assert max(backbone.batch_calls) > 1, "events were applied one call at a time"
    [parked] = backbone.drain_dead_letters(settings, consumer)
    assert parked.properties["message_id"] == poisoned.id


def test_the_consumer_waits_for_an_unreachable_broker_instead_of_exiting(settings_for, tmp_path):
    import threading
    import time

    settings = settings_for(STRIDE_BROKER_URL="amqp://guest:guest@127.0.0.1:1/%2F")
    database = backbone.prepare_database(f"sqlite:///{tmp_path}/down.db")
    consumer = backbone.new_consumer(backbone.fresh_consumer_name(), database, settings)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while consumer.stats.reconnects < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert thread.is_alive() and consumer.stats.reconnects >= 2
    consumer.stopping.set()
    thread.join(timeout=30)
    assert not thread.is_alive()


def test_an_idle_consumer_keeps_its_connection_with_heartbeats(
    settings_for, rabbitmq_url, tmp_path
):
    import threading
    import time

    settings = settings_for(STRIDE_BROKER_URL=rabbitmq_url, STRIDE_BROKER_HEARTBEAT="4")
    database = backbone.prepare_database(f"sqlite:///{tmp_path}/idle.db")
    consumer = backbone.new_consumer(backbone.fresh_consumer_name(), database, settings)
    _declare(settings, consumer)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        time.sleep(15)  # several heartbeat intervals with nothing to consume
        [event] = backbone.things(1)
        publisher = open_publisher(settings)
        publisher.publish_batch([OutgoingMessage(event.id, event.type, event.to_json().encode())])
        publisher.close()
        deadline = time.monotonic() + 20
        while consumer.stats.applied < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert consumer.stats.applied == 1
        assert consumer.stats.reconnects == 0, "RabbitMQ dropped the idle consumer"
    finally:
        consumer.stopping.set()
        thread.join(timeout=30)
        backbone.delete_queues(settings, consumer)
