"""The event consumer: applies a service's handlers to the events in its queue.

Delivery is at least once and unordered. Idempotency rests on the inbox: each event's
id is recorded in the same transaction as its effect (see ``shared.events.inbox``),
and the message is acked only after that transaction commits.

Messages are applied in batches, one transaction per batch; if that fails for a reason
of its own, again with a savepoint per event, so a failing event does not undo its
neighbours. A failing event waits in a retry queue (``STRIDE_CONSUMER_RETRY_DELAYS``)
and comes back with its attempt count, up to ``max_retries`` times, then is parked in
the service's dead-letter queue with its error. A message that cannot be read (not
JSON, not an envelope, a bad header, anything that raises while it is read) and an
event whose handler raises ``PermanentEventError`` (or ``shared.errors.InvalidInput``:
the data breaks a rule) are parked at once, with the reason.

Database errors are classified (``shared.events.failures``): an outage is not the
events' fault, so the batch is held and retried until the database answers without
counting against the events; serialization failures and deadlocks are retried a few
times; anything else counts against the event that raised it.
"""

from __future__ import annotations

import gc
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from kombu import Connection, Consumer, Message, Producer
from kombu.exceptions import OperationalError as BrokerUnavailable

from shared.config import Settings
from shared.db import Database
from shared.errors import InvalidInput
from shared.events import metrics, topology
from shared.events.broker import kombu_connection
from shared.events.envelope import Envelope, EnvelopeError, to_iso, utcnow
from shared.events.errors import PermanentEventError
from shared.events.failures import CONFLICT, OUTAGE, classify
from shared.events.handlers import BatchHandler, HandlerRegistry
from shared.events.inbox import record_first_deliveries, record_first_delivery
from shared.observability import Heartbeat

log = structlog.get_logger(__name__)

ATTEMPT_HEADER = "x-stride-attempt"
ERROR_HEADER = "x-stride-error"
ROUTING_KEY_HEADER = "x-stride-routing-key"
FAILED_AT_HEADER = "x-stride-failed-at"
#: on the file broker, how long a republished message stays invisible (milliseconds)
DELAY_HEADER = "x-stride-delay-ms"

#: times a batch that hit a serialization failure or a deadlock is tried again whole
CONFLICT_RETRIES = 3


@dataclass(frozen=True)
class Failure:
    """Why one event failed, and whether retrying could ever help."""

    reason: str
    permanent: bool = False


class DatabaseOutage(Exception):
    """The database stayed unreachable until the consumer was asked to stop."""


def is_permanent(exc: BaseException) -> bool:
    """Whether retrying cannot help: the event breaks its contract or a rule of its data."""
    return isinstance(exc, PermanentEventError | InvalidInput)


def attempt_of(message: Message) -> int:
    """The ``x-stride-attempt`` header: how many times the event failed before."""
    raw = (message.headers or {}).get(ATTEMPT_HEADER, 0)
    if isinstance(raw, bool) or not isinstance(raw, int | str | bytes):
        raise EnvelopeError(f"{ATTEMPT_HEADER} header {raw!r} is not a number")
    try:
        attempt = int(raw)
    except ValueError as exc:
        raise EnvelopeError(f"{ATTEMPT_HEADER} header {raw!r} is not a number") from exc
    if attempt < 0:
        raise EnvelopeError(f"{ATTEMPT_HEADER} header {raw!r} is negative")
    return attempt


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    retried: int = 0
    parked: int = 0
    batches: int = 0
    reconnects: int = 0
    database_waits: int = 0
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
        # Unacked messages return to the queue if the consumer dies: prefetching far
        # beyond a batch would expose them all to the queue's delivery limit. About two
        # (the default) let the next batch arrive while one is applied and acked.
        self.prefetch = max(settings.consumer_prefetch, settings.consumer_batch_size)
        self.max_retries = settings.consumer_max_retries
        self.retry_delays = settings.consumer_retry_delays
        self.stopping = threading.Event()
        self.stats = ConsumerStats()
        self.connection: Connection | None = None
        self.queue = topology.consumer_queue(
            registry.consumer, registry.event_types, settings.queue_delivery_limit
        )
        self.dead_letters = topology.dead_letter_queue(registry.consumer)
        self.retry_queues = [
            topology.retry_queue(registry.consumer, delay)
            for delay in sorted(set(self.retry_delays))
        ]

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
        if connection.transport.driver_type == "amqp":
            for retry_queue in self.retry_queues:
                retry_queue(channel).declare()

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
                    try:
                        self.process(batch, producer)
                    except DatabaseOutage:
                        return  # stopping: the unacked batch goes back to the queue

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
        events: list[tuple[Message, Envelope, int]] = []
        for message in messages:
            try:
                envelope = Envelope.from_json(message.body)
                attempt = attempt_of(message)
            except EnvelopeError as exc:
                self._park(message, producer, f"malformed event: {exc}", None)
            except Exception as exc:  # any failure to read one message parks that message
                self._park(message, producer, f"malformed event: {_describe(exc)}", None)
            else:
                events.append((message, envelope, attempt))
        with metrics.BATCH_SECONDS.labels(self.registry.consumer).time():
            failures = self._apply([envelope for _m, envelope, _a in events])
        succeeded = []
        for (message, envelope, attempt), failure in zip(events, failures, strict=True):
            if failure is None:
                succeeded.append(message)
            else:
                self._retry_or_park(message, envelope, attempt, producer, failure)
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

    def _apply(self, events: list[Envelope]) -> list[Failure | None]:
        """Apply a batch in one transaction; if it fails, again with one savepoint each.

        The fast path records the whole batch in the inbox with one statement and runs
        the handlers back to back. If that fails for its own reasons (not an outage),
        the batch is applied again event by event, so only the failing events fail. If
        even that transaction fails as a whole, each event gets a transaction of its own.
        """
        if not events:
            return []
        try:
            return self._durably(lambda: self._apply_together(events))
        except DatabaseOutage:
            raise
        except Exception as exc:
            if len(events) == 1:  # a savepoint would only repeat the same failure
                return [Failure(_describe(exc), permanent=is_permanent(exc))]
        try:
            return self._durably(lambda: self._apply_isolated(events))
        except DatabaseOutage:
            raise
        except Exception as exc:
            if len(events) == 1:
                return [Failure(_describe(exc), permanent=is_permanent(exc))]
        return [failure for envelope in events for failure in self._apply([envelope])]

    def _durably(self, work: Callable[[], list[Failure | None]]) -> list[Failure | None]:
        """Run ``work``: through database outages (waiting), and a few conflicts."""
        backoff = 0.0
        conflicts = 0
        while True:
            try:
                return work()
            except Exception as exc:
                kind = classify(exc)
                if kind == CONFLICT and conflicts < CONFLICT_RETRIES:
                    conflicts += 1
                    log.info(
                        "consumer.conflict", consumer=self.registry.consumer, error=_first(exc)
                    )
                    self.stopping.wait(0.05 * conflicts)
                    continue
                if kind != OUTAGE:
                    raise
                backoff = min(max(backoff * 2, 0.2), 10.0)
                self.stats.database_waits += 1
                log.warning(
                    "consumer.database_unavailable",
                    consumer=self.registry.consumer,
                    error=_first(exc),
                    backoff=backoff,
                )
                self._keep_alive()
                self.heartbeat.beat()
                if self.stopping.wait(backoff):
                    raise DatabaseOutage(_first(exc)) from exc

    def _apply_together(self, events: list[Envelope]) -> list[Failure | None]:
        applied = duplicates = ignored = 0
        # By handler, not by type: a handler of several types (an enrollment's states)
        # gets one call with all of them, in arrival order.
        batches: dict[BatchHandler, list[Envelope]] = {}
        with self.database.unit_of_work() as session:
            handled = [e for e in events if self.registry.handler_for(e.type) is not None]
            if self.deduplicate:
                fresh = record_first_deliveries(session, self.registry.consumer, handled)
            else:
                fresh = {e.id for e in handled}
            for envelope in events:
                handler = self.registry.handler_for(envelope.type)
                if handler is None:
                    ignored += 1
                elif envelope.id in fresh:
                    if self.deduplicate:
                        fresh.discard(envelope.id)  # a second copy in this batch is a duplicate
                    batch_handler = self.registry.batch_handler_for(envelope.type)
                    if batch_handler is not None:
                        batches.setdefault(batch_handler, []).append(envelope)
                    else:
                        handler(envelope, session)
                    applied += 1
                else:
                    duplicates += 1
            for batch_handler, envelopes in batches.items():
                batch_handler(envelopes, session)
            session.commit()
        self._count(applied, duplicates, ignored)
        return [None] * len(events)

    def _apply_isolated(self, events: list[Envelope]) -> list[Failure | None]:
        failures: list[Failure | None] = []
        applied = duplicates = ignored = 0
        with self.database.unit_of_work() as session:
            for envelope in events:
                handler = self.registry.handler_for(envelope.type)
                if handler is None:
                    ignored += 1
                    failures.append(None)
                    continue
                savepoint = session.begin_nested()
                try:
                    if self.deduplicate and not record_first_delivery(
                        session, self.registry.consumer, envelope
                    ):
                        savepoint.commit()
                        duplicates += 1
                        failures.append(None)
                        continue
                    handler(envelope, session)
                    savepoint.commit()
                    applied += 1
                    failures.append(None)
                except Exception as exc:
                    if classify(exc) == OUTAGE:
                        raise
                    savepoint.rollback()
                    permanent = is_permanent(exc)
                    failures.append(Failure(_describe(exc), permanent=permanent))
            session.commit()
        self._count(applied, duplicates, ignored)
        return failures

    def _count(self, applied: int, duplicates: int, ignored: int) -> None:
        self.stats.applied += applied
        self.stats.duplicates += duplicates
        self.stats.ignored += ignored
        metrics.EVENTS_APPLIED.labels(self.registry.consumer).inc(applied)
        metrics.EVENTS_DUPLICATE.labels(self.registry.consumer).inc(duplicates)

    # -- failures -------------------------------------------------------------------
    def _retry_or_park(
        self,
        message: Message,
        envelope: Envelope,
        attempt: int,
        producer: Producer,
        failure: Failure,
    ) -> None:
        attempt += 1
        if failure.permanent or attempt > self.max_retries:
            self._park(message, producer, failure.reason, envelope)
            return
        delay = self.retry_delays[min(attempt, len(self.retry_delays)) - 1]
        log.warning(
            "consumer.retrying",
            consumer=self.registry.consumer,
            event_id=envelope.id,
            event_type=envelope.type,
            attempt=attempt,
            delay=delay,
            error=failure.reason.splitlines()[0],
        )
        headers: dict[str, Any] = {ATTEMPT_HEADER: attempt, ERROR_HEADER: _shorten(failure.reason)}
        if self.connection is not None and self.connection.transport.driver_type == "amqp":
            routing_key = topology.retry_queue_name(self.registry.consumer, delay)
        else:
            routing_key = self.queue.name
            headers[DELAY_HEADER] = round(delay * 1000)
        self._republish(
            message, producer, routing_key=routing_key, headers=headers, envelope=envelope
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
            error=error.splitlines()[0] if error else error,
        )
        self._republish(
            message,
            producer,
            routing_key=self.dead_letters.name,
            headers={ERROR_HEADER: _shorten(error), FAILED_AT_HEADER: to_iso(utcnow())},
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
        for transient in (
            "x-death",
            "x-first-death-exchange",
            "x-first-death-queue",
            "x-first-death-reason",
            DELAY_HEADER,
        ):
            original.pop(transient, None)
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


def _first(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _shorten(reason: str, limit: int = 4000) -> str:
    """The reason as a header: its beginning (the error) and its end (the innermost cause)."""
    if len(reason) <= limit:
        return reason
    return f"{reason[: limit - 1000]}\n...\n{reason[-900:]}"
