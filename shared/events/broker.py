"""Connections to the broker named by ``STRIDE_BROKER_URL``, whichever it is.

``amqp://`` is RabbitMQ; ``filesystem://`` is the embedded broker under
``<var>/broker`` (see ``shared.events.filebroker``). Both are reached through kombu,
except the outbox relay's publisher on RabbitMQ, which uses pika's asynchronous
connection to keep a window of unconfirmed messages (``shared.events.publishers``).
"""

from __future__ import annotations

from typing import Any

from kombu import Connection

from shared.config import Settings
from shared.events import filebroker


def kombu_connection(settings: Settings, *, confirm_publish: bool = True) -> Connection:
    if settings.uses_file_broker:
        return Connection(
            transport=filebroker.TRANSPORT_PATH,
            transport_options=filebroker.transport_options_for(settings.broker_dir),
        )
    options: dict[str, Any] = {"confirm_publish": confirm_publish}
    return Connection(
        settings.broker_url, transport_options=options, heartbeat=settings.broker_heartbeat
    )


def celery_broker_options(settings: Settings) -> dict[str, Any]:
    """Celery configuration that points a Celery app at the same broker."""
    if settings.uses_file_broker:
        return {
            "broker_url": "filesystem://",
            "broker_transport": filebroker.TRANSPORT_PATH,
            "broker_transport_options": filebroker.transport_options_for(settings.broker_dir),
        }
    return {
        "broker_url": settings.broker_url,
        "broker_transport_options": {"confirm_publish": True},
    }
