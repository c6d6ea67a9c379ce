"""Operating a service's dead-letter queue: see what is parked and why, and replay it.

A parked event keeps its body and carries its error in ``x-stride-error``. Once the
cause is fixed (a handler bug, a missing reference), ``replay`` sends the events back
to the service's queue with a fresh retry count; the inbox makes a replay of an event
that was in fact applied harmless. Reading the queue never returns a message unacked
(see ``_visit``), so listing it any number of times loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kombu import Producer

from shared.config import Settings
from shared.events import topology
from shared.events.broker import kombu_connection
from shared.events.consumer import ATTEMPT_HEADER, ERROR_HEADER, FAILED_AT_HEADER

REPLAYED_HEADER = "x-stride-replayed"


@dataclass(frozen=True)
class ParkedEvent:
    message_id: str | None
    routing_key: str | None
    error: str
    failed_at: str | None
    body: bytes


def _parked(message: Any) -> ParkedEvent:
    headers = message.headers or {}
    error = headers.get(ERROR_HEADER)
    if error is None and headers.get("x-death"):
        error = f"dead-lettered by the broker: {headers['x-death'][0].get('reason')}"
    return ParkedEvent(
        message_id=message.properties.get("message_id"),
        routing_key=headers.get("x-stride-routing-key"),
        error=str(error or "unknown"),
        failed_at=headers.get(FAILED_AT_HEADER),
        body=message.body,
    )


def _visit(
    settings: Settings, consumer: str, take: Callable[[Any], bool], bound: int | None = None
) -> list[Any]:
    """Go once through the dead-letter queue; return the messages ``take`` accepted.

    A message ``take`` accepts is the caller's: ``take`` publishes it where it belongs
    and acks it. Every other one is published again, with confirmation, to the tail of
    the dead-letter queue, and only then acked. A message is never
    returned unacked to the queue, so reading counts no delivery against it: on
    RabbitMQ 4 a quorum queue's delivery limit (20 by default) would otherwise drop
    what ``stride dlq list`` lists once it was listed that often.
    """
    taken = []
    name = topology.dead_letter_queue_name(consumer)
    with kombu_connection(settings) as connection:
        channel = connection.channel()
        queue = topology.dead_letter_queue(consumer)(channel)
        queue.declare()
        _name, depth, _consumers = queue.queue_declare(passive=True)
        producer = Producer(connection.channel())
        for _ in range(depth if bound is None else min(depth, bound)):
            message = queue.get(no_ack=False)
            if message is None:
                break
            if take(message):
                taken.append(message)
                continue
            producer.publish(
                message.body,
                exchange="",
                routing_key=name,
                content_type=message.content_type or "application/json",
                content_encoding=message.content_encoding or "utf-8",
                delivery_mode=2,
                message_id=message.properties.get("message_id"),
                headers=dict(message.headers or {}),
                retry=True,
            )
            message.ack()
        channel.close()
    return taken


def list_parked(settings: Settings, consumer: str, limit: int = 100) -> list[ParkedEvent]:
    """Up to ``limit`` parked events; all stay parked, in their order."""
    found: list[ParkedEvent] = []

    def note(message: Any) -> bool:
        if len(found) < limit:
            found.append(_parked(message))
        return False  # every message goes back to the queue's tail

    _visit(settings, consumer, note)
    return found


def replay_parked(
    settings: Settings, consumer: str, limit: int = 100, event_id: str | None = None
) -> int:
    """Move parked events (all, or the one with ``event_id``) back to the service's queue."""
    replayed = 0
    with kombu_connection(settings) as connection:
        producer = Producer(connection.channel())

        def replay(message: Any) -> bool:
            nonlocal replayed
            if replayed >= limit:
                return False
            if event_id is not None and message.properties.get("message_id") != event_id:
                return False
            headers = {
                key: value
                for key, value in (message.headers or {}).items()
                if key not in {ATTEMPT_HEADER, "x-death"}
            }
            headers[REPLAYED_HEADER] = int(headers.get(REPLAYED_HEADER, 0) or 0) + 1
            producer.publish(
                message.body,
                exchange="",
                routing_key=topology.consumer_queue_name(consumer),
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=message.properties.get("message_id"),
                headers=headers,
                retry=True,
            )
            message.ack()
            replayed += 1
            return True

        _visit(settings, consumer, replay)
    return replayed
