"""The relay and the consumer of the chaos tests, as processes a test can kill.

Run from the repository root, with the broker named by ``STRIDE_BROKER_URL``::

    python -m tests.chaos.harness relay --db URL --consumer NAME
    python -m tests.chaos.harness consume --db URL --consumer NAME [--no-inbox]

Both run Stride's own ``OutboxRelay`` and ``EventConsumer`` unchanged. The harness only
adds what a test needs to aim its kills: each process announces on stdout, one line
at a time, the moments that matter (logs go to stderr), and can linger in the two
windows where a kill forces a redelivery:

* ``relay --linger-after-publish S``: the broker confirmed a batch, the outbox rows
  are not yet marked sent (``published <count>``). A kill here republishes the batch.
* ``consume --linger-after-commit S``: the effects of a batch are committed, the
  messages are not yet acked (``committed <applied>``). A kill here redelivers them.

The consumer also announces every batch it takes (``batch <messages> <redelivered>``).
SIGTERM stops either process gracefully.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import structlog
from kombu import Message, Producer
from sqlalchemy.orm import Session

from shared.config import load_settings
from shared.db import Database
from shared.events import Envelope, HandlerRegistry
from shared.events.consumer import EventConsumer
from shared.events.errors import PermanentEventError
from shared.events.publishers import (
    OutgoingMessage,
    Publisher,
    PublishError,
    PublishResult,
    open_publisher,
)
from shared.events.relay import OutboxRelay
from shared.observability import configure_logging

effects_metadata = sa.MetaData()

#: One row per application of an event. There is deliberately no unique constraint on
#: ``event_id``: an event applied twice leaves two rows, which is what the tests count.
effects_table = sa.Table(
    "effects",
    effects_metadata,
    sa.Column("row_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column(
        "applied_at",
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.text("clock_timestamp()"),
    ),
)


def event_type_for(consumer: str) -> str:
    """Each consumer gets its own event type, so two tests never feed each other's queue."""
    return f"{consumer}.probe.recorded"


def announce(*words: object) -> None:
    print(*words, flush=True)


def build_registry(consumer: str, applied: list[int] | None = None) -> HandlerRegistry:
    """A registry with one handler that writes one effect row per event applied."""
    registry = HandlerRegistry(consumer)

    @registry.handles(event_type_for(consumer))
    def record_effect(event: Envelope, session: Session) -> None:
        """Not idempotent on its own, on purpose: only the inbox prevents double rows.

        A payload ``{"refuse": reason}`` is refused for good (``PermanentEventError``);
        one without ``n`` fails as a handler bug would (``KeyError``, retried).
        """
        if "refuse" in event.payload:
            raise PermanentEventError(f"refused: {event.payload['refuse']}")
        session.execute(effects_table.insert().values(event_id=event.id, n=event.payload["n"]))
        if applied is not None:
            applied[0] += 1

    return registry


class AnnouncingPublisher:
    """Announces each confirmed batch, then optionally holds it before the relay commits."""

    def __init__(self, publisher: Publisher, linger: float) -> None:
        self._publisher = publisher
        self._linger = linger

    def publish_batch(self, messages: Sequence[OutgoingMessage]) -> PublishResult:
        result = self._publisher.publish_batch(messages)
        if result.confirmed:
            announce("published", len(result.confirmed))
            if self._linger:
                time.sleep(self._linger)
        return result

    def close(self) -> None:
        self._publisher.close()


class AnnouncingConsumer(EventConsumer):
    """The platform's consumer, announcing each batch and how many are redeliveries."""

    def process(self, messages: Sequence[Message], producer: Producer) -> None:
        redelivered = sum(1 for m in messages if m.delivery_info.get("redelivered"))
        announce("batch", len(messages), redelivered)
        super().process(messages, producer)


def _stop_on_sigterm(stopping: threading.Event) -> None:
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.set())


def run_relay(args: argparse.Namespace) -> None:
    settings = load_settings()
    publisher = open_publisher(settings)
    # Connect before announcing readiness, so "ready" means the broker answered; if it
    # is down, the relay's own loop retries with backoff.
    with contextlib.suppress(PublishError):
        publisher.publish_batch([])
    relay = OutboxRelay(
        f"{args.consumer}-producer",
        Database(args.db),
        AnnouncingPublisher(publisher, args.linger_after_publish),
        batch_size=settings.relay_batch_size,
        poll_interval=settings.relay_poll_interval,
    )
    _stop_on_sigterm(relay.stopping)
    announce("ready")
    relay.run()


def run_consumer(args: argparse.Namespace) -> None:
    settings = load_settings()
    database = Database(args.db)
    applied_in_transaction = [0]
    consumer = AnnouncingConsumer(
        build_registry(args.consumer, applied_in_transaction),
        database,
        settings,
        deduplicate=not args.no_inbox,
    )

    def after_commit(_session: Session) -> None:
        # The effects are durable and the messages not yet acked: the window in which
        # a crash makes the broker deliver events that were already applied.
        if applied_in_transaction[0]:
            announce("committed", applied_in_transaction[0])
            applied_in_transaction[0] = 0
            if args.linger_after_commit:
                time.sleep(args.linger_after_commit)

    def after_rollback(_session: Session) -> None:
        applied_in_transaction[0] = 0

    sa.event.listen(database.session_factory, "after_commit", after_commit)
    sa.event.listen(database.session_factory, "after_rollback", after_rollback)
    _stop_on_sigterm(consumer.stopping)
    announce("ready")
    consumer.run()


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.harness")
    commands = parser.add_subparsers(dest="command", required=True)
    relay = commands.add_parser("relay", help="publish the outbox of --db")
    consume = commands.add_parser("consume", help="apply the queued events into --db")
    for command in (relay, consume):
        command.add_argument("--db", required=True, help="SQLAlchemy database URL")
        command.add_argument("--consumer", required=True, help="the consumer under test")
    relay.add_argument("--linger-after-publish", type=float, default=0.0, metavar="SECONDS")
    consume.add_argument("--linger-after-commit", type=float, default=0.0, metavar="SECONDS")
    consume.add_argument(
        "--no-inbox", action="store_true", help="bypass the inbox (the negative test)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    configure_logging("WARNING")
    # stdout carries the announcements the test parses; logs must not interleave there.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
    runners: dict[str, Any] = {"relay": run_relay, "consume": run_consumer}
    runners[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
