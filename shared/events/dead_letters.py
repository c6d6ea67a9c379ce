"""Operating a service's dead-letter queue: see what is parked and why, and replay it.

A parked event keeps its body and carries its error in ``x-stride-error``. Once the
cause is fixed (a handler bug, a missing reference), ``replay`` sends the events back
to the service's queue with a fresh retry count; the inbox makes a replay of an event
that was in fact applied harmless.
"""

from __future__ import annotations

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


def list_parked(settings: Settings, consumer: str, limit: int = 100) -> list[ParkedEvent]:
    """Up to ``limit`` parked events, left in the queue."""
    found = []
    with kombu_connection(settings) as connection:
        channel = connection.channel()
        queue = topology.dead_letter_queue(consumer)(channel)
        queue.declare()
        for _ in range(limit):
            message = queue.get(no_ack=False)
            if message is None:
                break
            found.append(_parked(message))
        # Closing without acking returns every message to the queue, in order.
        channel.close()
    return found


def replay_parked(
    settings: Settings, consumer: str, limit: int = 100, event_id: str | None = None
) -> int:
    """Move parked events (all, or the one with ``event_id``) back to the service's queue."""
    replayed = 0
    with kombu_connection(settings) as connection:
        channel = connection.channel()
        producer = Producer(connection.channel())
        queue = topology.dead_letter_queue(consumer)(channel)
        queue.declare()
        for _ in range(limit):
            message = queue.get(no_ack=False)
            if message is None:
                break
            if event_id is not None and message.properties.get("message_id") != event_id:
                continue  # stays unacked, returned to the queue when the channel closes
            headers = {
                key: value
                for key, value in (message.headers or {}).items()
                if key not in {ATTEMPT_HEADER, "x-death"}
            }
            headers[REPLAYED_HEADER] = int(headers.get(REPLAYED_HEADER, 0)) + 1
            producer.publish(
                message.body,
                exchange="",
                routing_key=topology.consumer_queue_name(consumer),
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=message.properties.get("message_id"),
                headers=headers,
            )
            message.ack()
            replayed += 1
        channel.close()
    return replayed
