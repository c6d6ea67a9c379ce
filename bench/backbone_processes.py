"""The relay and consumer processes that ``bench/backbone.py`` starts and measures.

    python bench/backbone_processes.py relay --db URL
    python bench/backbone_processes.py consume --db URL [--profile FILE]

Both run Stride's own ``OutboxRelay`` and ``EventConsumer`` with the settings of the
environment (``STRIDE_BROKER_URL``, ``STRIDE_CONSUMER_*``, ``STRIDE_RELAY_*``), print
``ready`` on stdout once they can work, and stop on SIGTERM. ``--profile`` runs the
process under cProfile and writes the stats to FILE when it stops.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import signal
import sys
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.config import load_settings
from shared.db import Database
from shared.events import Envelope, HandlerRegistry
from shared.events.consumer import EventConsumer
from shared.events.publishers import PublishError, open_publisher
from shared.events.relay import OutboxRelay
from shared.observability import configure_logging

CONSUMER = "bench"
EVENT_TYPE = "bench.probe.recorded"

effects_metadata = sa.MetaData()

#: One row per event applied. ``produced_at`` is the producer's clock just before its
#: outbox transaction commits (carried in the payload); ``applied_at`` is PostgreSQL's
#: clock when the consumer writes the effect, inside the transaction that commits it.
effects_table = sa.Table(
    "bench_effects",
    effects_metadata,
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("produced_at", sa.Float(precision=53), nullable=False),
    sa.Column(
        "applied_at",
        sa.Float(precision=53),
        nullable=False,
        server_default=sa.text("extract(epoch from clock_timestamp())"),
    ),
)


def build_registry() -> HandlerRegistry:
    registry = HandlerRegistry(CONSUMER)

    @registry.handles(EVENT_TYPE)
    def record_effect(event: Envelope, session: Session) -> None:
        """One INSERT per event, like a typical projection; the inbox makes it idempotent."""
        session.execute(
            effects_table.insert().values(
                event_id=event.id, n=event.payload["n"], produced_at=event.payload["produced_at"]
            )
        )

    return registry


def _ready() -> None:
    print("ready", flush=True)


def run_relay(database_url: str) -> Callable[[], None]:
    settings = load_settings()
    publisher = open_publisher(settings)
    # Connect now, so the measurement does not include the first connection.
    with contextlib.suppress(PublishError):
        publisher.publish_batch([])
    relay = OutboxRelay(
        f"{CONSUMER}-producer",
        Database(database_url),
        publisher,
        batch_size=settings.relay_batch_size,
        poll_interval=settings.relay_poll_interval,
    )
    signal.signal(signal.SIGTERM, lambda _signum, _frame: relay.stopping.set())
    return relay.run


def run_consumer(database_url: str) -> Callable[[], None]:
    settings = load_settings()
    consumer = EventConsumer(build_registry(), Database(database_url), settings)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: consumer.stopping.set())
    return consumer.run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/backbone_processes.py")
    parser.add_argument("role", choices=("relay", "consume"))
    parser.add_argument("--db", required=True, help="SQLAlchemy database URL")
    parser.add_argument("--profile", metavar="FILE", help="write cProfile stats here on exit")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    loop = (run_relay if args.role == "relay" else run_consumer)(args.db)
    _ready()
    if not args.profile:
        loop()
        return 0
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        loop()
    finally:
        profiler.disable()
        profiler.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
