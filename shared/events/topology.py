"""Names and arguments of the exchanges and queues, in one place.

Every service consumes from one durable queue, ``stride.<service>``, bound to the
event types its handlers registry declares, and parks poison events in
``stride.<service>.dlq``. On RabbitMQ both are quorum queues; the main queue has a
delivery limit so a message that keeps killing its consumer is dead-lettered too.
Events no queue is bound to go to the exchange's alternate exchange,
``stride.unrouted``, instead of vanishing, and wait in ``stride.unrouted.recent``: the
newest ``UNROUTED_MAX_MESSAGES`` for at most ``UNROUTED_TTL_DAYS`` days (every event no
service subscribes to yet lands there, so it must not grow without bound). A failed
event waits out its retry delay in ``stride.<service>.retry.<ms>ms``, a quorum queue
whose messages expire after that delay and are dead-lettered (at least once) back to
``stride.<service>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kombu import Exchange, Queue, binding

EXCHANGE = "stride.events"
UNROUTED_EXCHANGE = "stride.unrouted"
UNROUTED_QUEUE = "stride.unrouted.recent"
UNROUTED_MAX_MESSAGES = 100_000
UNROUTED_TTL_DAYS = 14
UNROUTED_ARGUMENTS: dict[str, Any] = {
    "x-queue-type": "quorum",
    "x-max-length": UNROUTED_MAX_MESSAGES,
    "x-overflow": "drop-head",
    "x-message-ttl": UNROUTED_TTL_DAYS * 24 * 3600 * 1000,
}
EXCHANGE_ARGUMENTS: dict[str, Any] = {"alternate-exchange": UNROUTED_EXCHANGE}


def consumer_queue_name(consumer: str) -> str:
    return f"stride.{consumer}"


def dead_letter_queue_name(consumer: str) -> str:
    return f"stride.{consumer}.dlq"


def events_exchange() -> Exchange:
    return Exchange(EXCHANGE, type="topic", durable=True, arguments=EXCHANGE_ARGUMENTS)


def unrouted_exchange() -> Exchange:
    return Exchange(UNROUTED_EXCHANGE, type="fanout", durable=True)


def unrouted_queue() -> Queue:
    return Queue(
        UNROUTED_QUEUE,
        exchange=unrouted_exchange(),
        durable=True,
        queue_arguments=UNROUTED_ARGUMENTS,
    )


def consumer_queue(consumer: str, event_types: Iterable[str], delivery_limit: int) -> Queue:
    exchange = events_exchange()
    return Queue(
        consumer_queue_name(consumer),
        bindings=[binding(exchange, routing_key=key) for key in sorted(set(event_types))],
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": dead_letter_queue_name(consumer),
        },
    )


def retry_queue_name(consumer: str, delay_seconds: float) -> str:
    return f"stride.{consumer}.retry.{round(delay_seconds * 1000)}ms"


def retry_queue(consumer: str, delay_seconds: float) -> Queue:
    """Where a failed event waits ``delay_seconds`` before it returns to its queue."""
    name = retry_queue_name(consumer, delay_seconds)
    return Queue(
        name,
        exchange=Exchange(""),
        routing_key=name,
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-message-ttl": round(delay_seconds * 1000),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": consumer_queue_name(consumer),
            # Expired messages move only once the main queue confirms them.
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def dead_letter_queue(consumer: str) -> Queue:
    return Queue(
        dead_letter_queue_name(consumer),
        exchange=Exchange(""),
        routing_key=dead_letter_queue_name(consumer),
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )
