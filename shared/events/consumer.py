"""The event consumer: applies a service's handlers to the events in its queue.

Delivery is at least once and unordered. Idempotency rests on the inbox: each event's
id is recorded in the same transaction as its effect (see ``shared.events.inbox``),
and the message is acked only after that transaction commits.

Messages are applied in batches, one transaction per batch with a savepoint per
event, so a failing event does not undo its neighbours. A failing event is published
again with its attempt count, up to ``max_retries`` times, then parked in the
service's dead-letter queue with its error. A message that is not a Stride event is
parked at once. A database outage is not the event's fault: the batch is held and
retried until the database answers, without counting against the events.
"""

from __future__ import annotations

import gc
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from kombu import Connection, Consumer, Message, Producer
from kombu.exceptions import OperationalError as BrokerUnavailable
from sqlalchemy.exc import InterfaceError, OperationalError

from shared.config import Settings
from shared.db import Database
from shared.events import metrics, topology
from shared.events.broker import kombu_connection
from shared.events.envelope import Envelope, EnvelopeError, to_iso, utcnow
from shared.events.handlers import HandlerRegistry
from shared.events.inbox import record_first_deliveries, record_first_delivery
from shared.observability import Heartbeat

log = structlog.get_logger(__name__)

ATTEMPT_HEADER = "x-stride-attempt"
ERROR_HEADER = "x-stride-error"
ROUTING_KEY_HEADER = "x-stride-routing-key"
FAILED_AT_HEADER = "x-stride-failed-at"

INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError)


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    retried: int = 0
    parked: int = 0
    batches: int = 0
    reconnects: int = 0
    errors: list[str] = field(default_factory=list)


class EventConsumer:
    def __init__(
        self,
        registry: HandlerRegistry,
        database: Database,
        settings: Settings,
        *,
        heartbeat: Heartbeat | None = None,
        deduplicate: bool = True,
        max_wait: float = 0.02,
    ) -> None:
        self.registry = registry
        self.database = database
        self.settings = settings
        self.heartbeat = heartbeat or Heartbeat(None)
        self.deduplicate = deduplicate
        self.max_wait = max_wait
        self.batch_size = settings.consumer_batch_size
        self.prefetch = max(settings.consumer_prefetch, settings.consumer_batch_size)
        self.max_retries = settings.consumer_max_retries
        self.stopping = threading.Event()
        self.stats = ConsumerStats()
        self.connection: Connection | None = None
        self.queue = topology.consumer_queue(
            registry.consumer, registry.event_types, settings.queue_delivery_limit
        )
        self.dead_letters = topology.dead_letter_queue(registry.consumer)

    # -- the loop -------------------------------------------------------------------
    def run(self) -> None:
        """Consume until ``stopping`` is set, reconnecting when the broker goes away."""
        backoff = 0.0
        collect_garbage_less_often(self.settings.consumer_gc_threshold)
        log.info("consumer.started", consumer=self.registry.consumer)
        while not self.stopping.is_set():
            connection = kombu_connection(self.settings)
            # The transport's own error classes (py-amqp's, or the file broker's).
            recoverable = (
                OSError,
                BrokerUnavailable,
                *connection.connection_errors,
                *connection.channel_errors,
            )
            try:
                with connection:
                    connection.ensure_connection(max_retries=1)
                    backoff = 0.0
                    self.connection = connection
                    self._consume(connection)
            except recoverable as exc:
                self.stats.reconnects += 1
                backoff = min(max(backoff * 2, 0.2), 10.0)
                log.warning(
                    "consumer.reconnecting",
                    consumer=self.registry.consumer,
                    error=repr(exc),
                    backoff=backoff,
                )
                self.stopping.wait(backoff)
        log.info("consumer.stopped", consumer=self.registry.consumer, **self._stats_dict())

    def declare(self, connection: Connection) -> None:
        channel = connection.default_channel
        topology.events_exchange()(channel).declare()
        topology.unrouted_queue()(channel).declare()
        self.dead_letters(channel).declare()
        self.queue(channel).declare()

    def _consume(self, connection: Connection) -> None:
        self.declare(connection)
        buffer: list[Message] = []
        producer = Producer(connection.channel())
        consumer = Consumer(
            connection.channel(),
            queues=[self.queue],
            on_message=buffer.append,
            prefetch_count=self.prefetch,
            no_ack=False,
        )
        with consumer:
            while not self.stopping.is_set():
                self.heartbeat.beat()
                self._keep_alive()
                self._fill(connection, buffer)
                if buffer:
                    batch = list(buffer)
                    buffer.clear()
                    self.process(batch, producer)

    def _keep_alive(self) -> None:
        """Send AMQP heartbeats: without them RabbitMQ drops an idle or busy consumer.

        Called at least once a second by the loop and while a batch waits for the
        database; kombu sends a heartbeat only when one is due.
        """
        if self.connection is not None and self.connection.heartbeat:
            self.connection.heartbeat_check()

    def _fill(self, connection: Connection, buffer: list[Message]) -> None:
        deadline: float | None = None
        while len(buffer) < self.batch_size and not self.stopping.is_set():
            if deadline is None:
                timeout = 1.0
            else:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    return
            try:
                connection.drain_events(timeout=timeout)
            except TimeoutError:
                if buffer:
                    return
                if deadline is None:
                    return  # idle: let the caller beat the heartbeat
            if buffer and deadline is None:
                deadline = time.monotonic() + self.max_wait

    # -- one batch ------------------------------------------------------------------
    def process(self, messages: Sequence[Message], producer: Producer) -> None:
        events: list[tuple[Message, Envelope]] = []
        for message in messages:
            try:
                events.append((message, Envelope.from_json(message.body)))
            except EnvelopeError as exc:
                self._park(message, producer, f"malformed event: {exc}", None)
        with metrics.BATCH_SECONDS.labels(self.registry.consumer).time():
            errors = self._apply_until_durable(events)
        succeeded = []
        for (message, envelope), error in zip(events, errors, strict=True):
            if error is None:
                succeeded.append(message)
            else:
                self._retry_or_park(message, envelope, producer, error)
        self._ack(succeeded)
        self.stats.batches += 1

    def _ack(self, messages: list[Message]) -> None:
        """Ack after commit. On RabbitMQ one frame acks the batch: every earlier delivery
        of this channel is either in it or was already acked (retried or parked)."""
        if not messages:
            return
        if self.connection is not None and self.connection.transport.driver_type == "amqp":
            messages[-1].ack(multiple=True)
            return
        for message in messages:
            message.ack()

    def _apply_until_durable(self, events: list[tuple[Message, Envelope]]) -> list[str | None]:
        backoff = 0.0
        while True:
            try:
                return self._apply(events)
            except INFRASTRUCTURE_ERRORS as exc:
                backoff = min(max(backoff * 2, 0.2), 10.0)
                log.warning(
                    "consumer.database_unavailable",
                    consumer=self.registry.consumer,
                    error=str(exc).splitlines()[0],
                    backoff=backoff,
                )
                self._keep_alive()
                if self.stopping.wait(backoff):
                    raise

    def _apply(self, events: list[tuple[Message, Envelope]]) -> list[str | None]:
        """Apply a batch in one transaction; on any failure, again with one savepoint each.

        The fast path records the whole batch in the inbox with one statement and runs
        the handlers back to back. If a handler raises, that transaction is rolled back
        and the batch is applied again event by event, so only the failing events fail.
        """
        try:
            return self._apply_together(events)
        except INFRASTRUCTURE_ERRORS:
            raise
        except Exception:
            return self._apply_isolated(events)

    def _apply_together(self, events: list[tuple[Message, Envelope]]) -> list[str | None]:
        applied = duplicates = ignored = 0
        batches: dict[str, list[Envelope]] = {}
        with self.database.unit_of_work() as session:
            handled = [e for _m, e in events if self.registry.handler_for(e.type) is not None]
            if self.deduplicate:
                fresh = record_first_deliveries(session, self.registry.consumer, handled)
            else:
                fresh = {e.id for e in handled}
            for _message, envelope in events:
                handler = self.registry.handler_for(envelope.type)
                if handler is None:
                    ignored += 1
                elif envelope.id in fresh:
                    if self.deduplicate:
                        fresh.discard(envelope.id)  # a second copy in this batch is a duplicate
                    if self.registry.batch_handler_for(envelope.type) is not None:
                        batches.setdefault(envelope.type, []).append(envelope)
                    else:
                        handler(envelope, session)
                    applied += 1
                else:
                    duplicates += 1
            for event_type, envelopes in batches.items():
                batch_handler = self.registry.batch_handler_for(event_type)
                assert batch_handler is not None
                batch_handler(envelopes, session)
            session.commit()
        self._count(applied, duplicates, ignored)
        return [None] * len(events)

    def _apply_isolated(self, events: list[tuple[Message, Envelope]]) -> list[str | None]:
        errors: list[str | None] = []
        applied = duplicates = ignored = 0
        with self.database.unit_of_work() as session:
            for _message, envelope in events:
                handler = self.registry.handler_for(envelope.type)
                if handler is None:
                    ignored += 1
                    errors.append(None)
                    continue
                savepoint = session.begin_nested()
                try:
                    if self.deduplicate and not record_first_delivery(
                        session, self.registry.consumer, envelope
                    ):
                        savepoint.commit()
                        duplicates += 1
                        errors.append(None)
                        continue
                    handler(envelope, session)
                    savepoint.commit()
                    applied += 1
                    errors.append(None)
                except INFRASTRUCTURE_ERRORS:
                    raise
                except Exception as exc:
                    savepoint.rollback()
                    errors.append(_describe(exc))
            session.commit()
        self._count(applied, duplicates, ignored)
        return errors

    def _count(self, applied: int, duplicates: int, ignored: int) -> None:
        self.stats.applied += applied
        self.stats.duplicates += duplicates
        self.stats.ignored += ignored
        metrics.EVENTS_APPLIED.labels(self.registry.consumer).inc(applied)
        metrics.EVENTS_DUPLICATE.labels(self.registry.consumer).inc(duplicates)

    # -- failures -------------------------------------------------------------------
    def _retry_or_park(
        self, message: Message, envelope: Envelope, producer: Producer, error: str
    ) -> None:
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0)) + 1
        if attempt > self.max_retries:
            self._park(message, producer, error, envelope)
            return
        log.warning(
            "consumer.retrying",
            consumer=self.registry.consumer,
            event_id=envelope.id,
            event_type=envelope.type,
            attempt=attempt,
            error=error.splitlines()[-1],
        )
        self._republish(
            message,
            producer,
            routing_key=self.queue.name,
            headers={ATTEMPT_HEADER: attempt, ERROR_HEADER: error[-4000:]},
            envelope=envelope,
        )
        message.ack()
        self.stats.retried += 1
        metrics.EVENTS_RETRIED.labels(self.registry.consumer).inc()

    def _park(
        self, message: Message, producer: Producer, error: str, envelope: Envelope | None
    ) -> None:
        log.error(
            "consumer.parked",
            consumer=self.registry.consumer,
            event_id=envelope.id if envelope else None,
            queue=self.dead_letters.name,
            error=error.splitlines()[-1] if error else error,
        )
        self._republish(
            message,
            producer,
            routing_key=self.dead_letters.name,
            headers={ERROR_HEADER: error[-4000:], FAILED_AT_HEADER: to_iso(utcnow())},
            envelope=envelope,
        )
        message.ack()
        self.stats.parked += 1
        metrics.EVENTS_PARKED.labels(self.registry.consumer).inc()
        self.stats.errors.append(error)

    def _republish(
        self,
        message: Message,
        producer: Producer,
        *,
        routing_key: str,
        headers: dict[str, Any],
        envelope: Envelope | None,
    ) -> None:
        original = dict(message.headers or {})
        original.pop("x-death", None)
        original.setdefault(
            ROUTING_KEY_HEADER, message.delivery_info.get("routing_key", "") if message else ""
        )
        producer.publish(
            message.body,
            exchange="",
            routing_key=routing_key,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            message_id=envelope.id if envelope else message.properties.get("message_id"),
            headers={**original, **headers},
            retry=True,
            retry_policy={"max_retries": 5, "interval_start": 0.2, "interval_step": 0.5},
        )

    def _stats_dict(self) -> dict[str, int]:
        stats = self.stats
        return {
            "applied": stats.applied,
            "duplicates": stats.duplicates,
            "ignored": stats.ignored,
            "retried": stats.retried,
            "parked": stats.parked,
        }


def collect_garbage_less_often(threshold: int) -> None:
    """Collect the youngest generation after ``threshold`` allocations, not Python's 700.

    Applying a batch allocates a great many short-lived objects (rows, decoded JSON,
    domain values): at the default threshold the collector runs hundreds of times a
    batch, each time walking every object still alive. What was loaded before
    consuming (modules, mappings, compiled statements) is frozen out of collections.
    Reference cycles are still collected, less often. 0 keeps Python's thresholds.
    """
    if threshold <= 0:
        return
    gc.freeze()
    _young, middle, oldest = gc.get_threshold()
    gc.set_threshold(threshold, middle, oldest)


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
