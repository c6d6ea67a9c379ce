"""Publishing batches of events with confirmation from the broker.

A publisher takes a batch and answers which messages the broker has taken
responsibility for. ``PikaConfirmingPublisher`` keeps the whole batch in flight as a
window of unconfirmed messages on RabbitMQ (waiting for each confirm in turn caps
throughput near 1,700 msg/s on a small machine); ``KombuPublisher`` serves the
embedded file broker, where a write that returns is durable.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pika
from kombu import Producer
from pika.adapters.select_connection import SelectConnection
from pika.channel import Channel as PikaChannel

from shared.config import Settings
from shared.events import topology
from shared.events.broker import kombu_connection


class PublishError(RuntimeError):
    """The broker connection failed before the batch was confirmed."""


@dataclass(frozen=True)
class OutgoingMessage:
    id: str
    routing_key: str
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass
class PublishResult:
    confirmed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class Publisher(Protocol):
    def publish_batch(self, messages: Sequence[OutgoingMessage]) -> PublishResult: ...

    def close(self) -> None: ...


class KombuPublisher:
    """Publishes through kombu; used for the embedded file broker."""

    def __init__(self, settings: Settings) -> None:
        self._connection = kombu_connection(settings)
        self._producer: Producer | None = None

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            channel = self._connection.channel()
            topology.events_exchange()(channel).declare()
            topology.unrouted_queue()(channel).declare()
            self._producer = Producer(channel, exchange=topology.events_exchange())
        return self._producer

    def publish_batch(self, messages: Sequence[OutgoingMessage]) -> PublishResult:
        producer = self._ensure_producer()
        result = PublishResult()
        for message in messages:
            producer.publish(
                message.body,
                routing_key=message.routing_key,
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=message.id,
                headers=dict(message.headers),
                mandatory=True,
            )
            result.confirmed.append(message.id)
        return result

    def close(self) -> None:
        self._producer = None
        self._connection.release()


class PikaConfirmingPublisher:
    """Publishes to RabbitMQ with publisher confirms and ``mandatory=True``.

    pika's ``SelectConnection`` runs its I/O loop on a background thread; the caller's
    thread hands it a batch and waits until every message is acked, nacked or returned.
    A return (unroutable) arrives before the ack of the same message, so a returned
    message counts as failed even though the broker then acks it.
    """

    def __init__(self, url: str, *, confirm_timeout: float = 30.0) -> None:
        self._parameters = pika.URLParameters(url)
        self._confirm_timeout = confirm_timeout
        self._lock = threading.Lock()
        self._connection: SelectConnection | None = None
        self._channel: PikaChannel | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._done = threading.Event()
        self._failure: str | None = None
        self._next_tag = 0
        self._pending: dict[int, str] = {}
        self._nacked: dict[str, str] = {}
        self._returned: dict[str, str] = {}
        self._acked: list[str] = []

    # -- connection lifecycle (I/O thread) -------------------------------------------
    def _connect(self) -> None:
        self._ready.clear()
        self._failure = None
        self._connection = SelectConnection(
            self._parameters,
            on_open_callback=self._on_connection_open,
            on_open_error_callback=self._on_connection_error,
            on_close_callback=self._on_connection_closed,
        )
        connection = self._connection
        self._thread = threading.Thread(
            target=connection.ioloop.start, name="outbox-publisher", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout=15):
            self._teardown()
            raise PublishError("timed out connecting to RabbitMQ")
        if self._failure is not None:
            failure = self._failure
            self._teardown()
            raise PublishError(failure)

    def _on_connection_open(self, connection: SelectConnection) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_connection_error(self, _connection: SelectConnection, error: BaseException) -> None:
        self._fail(f"cannot connect to RabbitMQ: {error!r}")
        _connection.ioloop.stop()

    def _on_connection_closed(self, connection: SelectConnection, reason: BaseException) -> None:
        self._fail(f"RabbitMQ connection closed: {reason!r}")
        connection.ioloop.stop()

    def _on_channel_open(self, channel: PikaChannel) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.exchange_declare(
            topology.UNROUTED_EXCHANGE,
            exchange_type="fanout",
            durable=True,
            callback=lambda _frame: self._declare_unrouted_queue(channel),
        )

    def _declare_unrouted_queue(self, channel: PikaChannel) -> None:
        channel.queue_declare(
            topology.UNROUTED_QUEUE,
            durable=True,
            arguments=topology.UNROUTED_ARGUMENTS,
            callback=lambda _frame: channel.queue_bind(
                topology.UNROUTED_QUEUE,
                topology.UNROUTED_EXCHANGE,
                callback=lambda _frame: self._declare_events_exchange(channel),
            ),
        )

    def _declare_events_exchange(self, channel: PikaChannel) -> None:
        channel.exchange_declare(
            topology.EXCHANGE,
            exchange_type="topic",
            durable=True,
            arguments=topology.EXCHANGE_ARGUMENTS,
            callback=lambda _frame: channel.confirm_delivery(
                self._on_confirm, callback=lambda _frame: self._ready.set()
            ),
        )

    def _on_channel_closed(self, _channel: PikaChannel, reason: BaseException) -> None:
        self._fail(f"RabbitMQ channel closed: {reason!r}")
        if self._connection is not None and self._connection.is_open:
            self._connection.close()

    def _fail(self, reason: str) -> None:
        self._failure = reason
        self._ready.set()
        self._done.set()

    # -- publishing (I/O thread) ----------------------------------------------------
    def _publish_all(self, messages: Sequence[OutgoingMessage]) -> None:
        channel = self._channel
        if channel is None or not channel.is_open:
            self._fail("channel is not open")
            return
        for message in messages:
            channel.basic_publish(
                topology.EXCHANGE,
                message.routing_key,
                message.body,
                pika.BasicProperties(
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                    message_id=message.id,
                    headers=dict(message.headers),
                ),
                mandatory=True,
            )
            self._next_tag += 1
            self._pending[self._next_tag] = message.id
        if not self._pending:
            self._done.set()

    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        tag = method.delivery_tag
        tags = [t for t in self._pending if t <= tag] if method.multiple else [tag]
        acked = isinstance(method, pika.spec.Basic.Ack)
        for t in tags:
            message_id = self._pending.pop(t, None)
            if message_id is None:
                continue
            if acked:
                self._acked.append(message_id)
            else:
                self._nacked[message_id] = "nacked by the broker"
        if not self._pending:
            self._done.set()

    def _on_return(self, _channel: PikaChannel, method: Any, properties: Any, _body: bytes) -> None:
        self._returned[properties.message_id] = f"returned: {method.reply_text}"

    # -- public API (caller's thread) -----------------------------------------------
    def publish_batch(self, messages: Sequence[OutgoingMessage]) -> PublishResult:
        with self._lock:
            if self._connection is None or not self._connection.is_open:
                self._teardown()
                self._connect()
            connection = self._connection
            assert connection is not None
            self._done.clear()
            self._acked, self._nacked, self._returned = [], {}, {}
            connection.ioloop.add_callback_threadsafe(lambda: self._publish_all(messages))
            if not self._done.wait(timeout=self._confirm_timeout):
                self._teardown()
                raise PublishError("timed out waiting for publisher confirms")
            if self._failure is not None:
                failure = self._failure
                self._teardown()
                raise PublishError(failure)
            failed = {**self._nacked, **self._returned}
            return PublishResult(
                confirmed=[m for m in self._acked if m not in failed], failed=failed
            )

    def _teardown(self) -> None:
        connection, thread = self._connection, self._thread
        self._connection, self._channel, self._thread = None, None, None
        self._pending.clear()
        self._next_tag = 0
        if connection is not None:
            if connection.is_open:
                connection.ioloop.add_callback_threadsafe(connection.close)
            else:
                connection.ioloop.add_callback_threadsafe(connection.ioloop.stop)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def close(self) -> None:
        with self._lock:
            self._teardown()


def open_publisher(settings: Settings) -> Publisher:
    if settings.uses_file_broker:
        return KombuPublisher(settings)
    return PikaConfirmingPublisher(settings.broker_url)
