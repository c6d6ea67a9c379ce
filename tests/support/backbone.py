"""A tiny event-consuming service for testing the backbone: one effect row per event."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.db import Database, platform_metadata
from shared.events import Envelope, HandlerRegistry, record_events
from shared.events.broker import kombu_connection
from shared.events.consumer import EventConsumer
from shared.events.errors import PermanentEventError
from shared.events.publishers import OutgoingMessage, open_publisher
from shared.events.relay import OutboxRelay

metadata = sa.MetaData()
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
)

HAPPENED = "probe.thing.happened"
POISON = "probe.thing.poisoned"
BATCHED = "probe.things.counted"
REFUSED = "probe.thing.refused"
FLAKY = "probe.thing.flaky"
DEEP = "probe.thing.deep"
POISON_N = -99

#: how many times the batch handler was called, and with how many events in all
batch_calls: list[int] = []
#: when (time.monotonic()) the flaky handler was called, by event id
flaky_calls: dict[str, list[float]] = {}

#: a function that recurses until PostgreSQL's stack depth limit stops it
RECURSIVE_FUNCTION = """
CREATE OR REPLACE FUNCTION probe_recurse(depth integer) RETURNS integer AS $$
BEGIN
    RETURN probe_recurse(depth + 1);
END;
$$ LANGUAGE plpgsql
"""


class PoisonError(RuntimeError):
    """What the poisoned handler raises: the consumer must retry, then park, the event."""


def make_registry(consumer: str, *, poison_fixed: bool = False) -> HandlerRegistry:
    registry = HandlerRegistry(consumer)

    @registry.handles(HAPPENED)
    def apply_thing(event: Envelope, session: Session) -> None:
        session.execute(effects.insert().values(event_id=event.id, n=event.payload["n"]))

    @registry.handles(POISON)
    def refuse_thing(event: Envelope, session: Session) -> None:
        if poison_fixed:
            session.execute(effects.insert().values(event_id=event.id, n=event.payload["n"]))
            return
        session.execute(effects.insert().values(event_id=event.id, n=-1))
        raise PoisonError(f"cannot apply {event.payload}")

    @registry.handles(REFUSED)
    def refuse_for_good(event: Envelope, session: Session) -> None:
        raise PermanentEventError(f"no such thing: {event.payload['n']}")

    @registry.handles(FLAKY)
    def fail_at_first(event: Envelope, session: Session) -> None:
        calls = flaky_calls.setdefault(event.id, [])
        calls.append(time.monotonic())
        if len(calls) <= event.payload["failures"]:
            raise PoisonError(f"not yet: call {len(calls)}")
        session.execute(effects.insert().values(event_id=event.id, n=event.payload["n"]))

    @registry.handles(DEEP)
    def recurse(event: Envelope, session: Session) -> None:
        session.execute(sa.text("SELECT probe_recurse(1)"))

    @registry.handles_batch(BATCHED)
    def apply_things(events: Sequence[Envelope], session: Session) -> None:
        batch_calls.append(len(events))
        if any(event.payload["n"] == POISON_N for event in events):
            raise PoisonError("a poisoned event in the batch")
        session.execute(effects.insert(), [{"event_id": e.id, "n": e.payload["n"]} for e in events])

    return registry


def prepare_database(url: str) -> Database:
    database = Database(url)
    platform_metadata.create_all(database.engine)
    metadata.create_all(database.engine)
    if database.dialect == "postgresql":
        with database.engine.begin() as connection:
            connection.execute(sa.text(RECURSIVE_FUNCTION))
    return database


def things(count: int, event_type: str = HAPPENED) -> list[Envelope]:
    return [Envelope(type=event_type, producer="probe", payload={"n": i}) for i in range(count)]


def commit_events(database: Database, envelopes: Iterable[Envelope]) -> None:
    with database.unit_of_work() as session:
        record_events(session, list(envelopes))
        session.commit()


def effect_rows(database: Database) -> list[tuple[str, int]]:
    with database.engine.connect() as connection:
        rows = connection.execute(sa.select(effects.c.event_id, effects.c.n))
        return [(row.event_id, row.n) for row in rows]


def fresh_consumer_name() -> str:
    return f"probe{uuid.uuid4().hex[:8]}"


def new_consumer(
    consumer: str, database: Database, settings: Settings, *, poison_fixed: bool = False
) -> EventConsumer:
    return EventConsumer(make_registry(consumer, poison_fixed=poison_fixed), database, settings)


def service_consumer_on_own_queue(
    service_registry: HandlerRegistry, database: Database, settings: Settings
) -> EventConsumer:
    """A consumer with a service's handlers (batch and single) on a queue of its own,
    declared, so that parallel runs never share one; ``delete_queues`` removes it."""
    registry = HandlerRegistry(f"{service_registry.consumer}test{uuid.uuid4().hex[:8]}")
    for event_type in service_registry.event_types:
        batch = service_registry.batch_handler_for(event_type)
        if batch is not None:
            registry.handles_batch(event_type)(batch)
        else:
            handler = service_registry.handler_for(event_type)
            assert handler is not None, event_type
            registry.handles(event_type)(handler)
    consumer = EventConsumer(registry, database, settings)
    with kombu_connection(settings) as connection:
        consumer.declare(connection)
    return consumer


def publish_confirmed(settings: Settings, *events: Envelope) -> None:
    """Publish ``events`` to the exchange and check the broker confirmed every one (the
    order of confirms is the broker's)."""
    publisher = open_publisher(settings)
    try:
        messages = [OutgoingMessage(e.id, e.type, e.to_json().encode()) for e in events]
        assert sorted(publisher.publish_batch(messages).confirmed) == sorted(e.id for e in events)
    finally:
        publisher.close()


def delete_queues(settings: Settings, consumer: EventConsumer) -> None:
    with kombu_connection(settings) as connection:
        channel = connection.default_channel
        for queue in (consumer.queue, consumer.dead_letters, *consumer.retry_queues):
            queue(channel).delete()


def queue_depth(settings: Settings, queue: Any) -> int:
    with kombu_connection(settings) as connection:
        declared = queue(connection.default_channel)
        _name, count, _consumers = declared.queue_declare(passive=True)
        return int(count)


def drain_dead_letters(settings: Settings, consumer: EventConsumer) -> list[Any]:
    messages = []
    with kombu_connection(settings) as connection:
        queue = consumer.dead_letters(connection.default_channel)
        while (message := queue.get(no_ack=False)) is not None:
            messages.append(message)
            message.ack()
    return messages


def run_loops_until(loops: list[Any], done: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Run ``loops`` on threads until ``done()`` or ``timeout``; whether ``done()`` held.

    The loops are then stopped; a loop that does not stop within 30 s fails the test
    (AssertionError), rather than running on behind the tests that follow.
    """
    threads = [threading.Thread(target=loop.run, daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if done():
                return True
            time.sleep(0.05)
        return done()
    finally:
        for loop in loops:
            loop.stopping.set()
        for thread in threads:
            thread.join(timeout=30)
        running = [
            type(loop).__name__
            for loop, thread in zip(loops, threads, strict=True)
            if thread.is_alive()
        ]
        assert not running, f"loops still running 30 s after being stopped: {running}"


def new_relay(service: str, database: Database, settings: Settings) -> OutboxRelay:
    return OutboxRelay(service, database, open_publisher(settings), batch_size=200)


def service_on_rabbitmq(
    service: str, make_app: Callable[[Settings, str], Flask], registry: HandlerRegistry
) -> tuple[Any, Any, Any]:
    """The fixtures ``broker_settings``, ``pg_app`` and ``consumer`` of a test module
    that runs ``service`` on the real servers: its app on a PostgreSQL database of its
    own, and its handlers consuming from a RabbitMQ queue of their own (one retry)::

        broker_settings, pg_app, consumer = backbone.service_on_rabbitmq(
            "analytics", make_app, registry
        )
    """

    @pytest.fixture
    def broker_settings(settings_for: Callable[..., Settings], rabbitmq_url: str) -> Settings:
        return settings_for(STRIDE_BROKER_URL=rabbitmq_url, STRIDE_CONSUMER_MAX_RETRIES="1")

    @pytest.fixture
    def pg_app(
        broker_settings: Settings, make_postgres_database: Callable[[str], str]
    ) -> Iterator[Flask]:
        app = make_app(broker_settings, make_postgres_database(service))
        yield app
        app.extensions["stride"].database.dispose()

    @pytest.fixture
    def consumer(pg_app: Flask, broker_settings: Settings) -> Iterator[EventConsumer]:
        consumer = service_consumer_on_own_queue(
            registry, pg_app.extensions["stride"].database, broker_settings
        )
        yield consumer
        delete_queues(broker_settings, consumer)

    return broker_settings, pg_app, consumer
