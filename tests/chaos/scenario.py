"""A chaos run: kills aimed at the relay and the consumer, a broker restart, and the
wait for the backbone to drain, with what to show when it does not."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from shared.config import Settings
from shared.db import Database
from shared.events.broker import kombu_connection
from shared.events.consumer import EventConsumer
from shared.events.topology import UNROUTED_QUEUE
from tests.chaos.broker import queue_depths, ready_messages, restart_rabbitmq
from tests.chaos.ledger import EffectLedger, distinct_effects, outbox_errors, unsent_events
from tests.chaos.processes import HarnessProcess

#: Seconds a harness holds a risky window open so an aimed kill lands inside it.
LINGER = 1.5
#: Announcement that opens each aimed window, by aim.
WINDOW_OPENED_BY = {"after-commit": "committed", "after-publish": "published", "mid-batch": "batch"}
DRAIN_TIMEOUT = 180.0
#: Seconds RabbitMQ stays stopped: longer than a reconnection attempt with its retry.
BROKER_DOWNTIME = 5.0


@dataclass(frozen=True)
class Kill:
    role: str  # "consumer", "relay" or "rabbitmq"
    aim: str  # "after-commit", "mid-batch", "after-publish", "anytime" or "restart"


@dataclass
class Backbone:
    """One chaos run: the producer's and the consumer's databases, the consumer's queues,
    and the relay and consumer processes with the kills performed on them."""

    settings: Settings
    producer_db: Database
    consumer_db: Database
    topology: EventConsumer
    relay: HarnessProcess
    consumer: HarnessProcess
    performed: list[tuple[Kill, bool]] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    # -- chaos ----------------------------------------------------------------------
    def start(self, plan: list[Kill]) -> None:
        self.relay.start(self._linger_before(plan, "relay", 0))
        self.consumer.start(self._linger_before(plan, "consumer", 0))

    def run(
        self,
        plan: list[Kill],
        *,
        mandatory: int | None = None,
        enough: Callable[[], bool] | None = None,
    ) -> None:
        """Perform ``plan``; past its first ``mandatory`` kills, only until ``enough()``.

        Ends with neither process lingering, so the backlog drains at full speed.
        """
        for index, kill in enumerate(plan):
            if mandatory is not None and enough is not None and index >= mandatory and enough():
                break
            self.perform(kill, plan, index)
        for process in (self.relay, self.consumer):
            if process.linger:
                process.stop()
                process.start()

    def perform(self, kill: Kill, plan: list[Kill], index: int) -> None:
        time.sleep(self.rng.uniform(0.2, 1.0))
        if kill.role == "rabbitmq":
            restart_rabbitmq(self.settings, self.topology.queue.name, BROKER_DOWNTIME)
            self.performed.append((kill, True))
            return
        process = self.consumer if kill.role == "consumer" else self.relay
        hit = True
        if kill.aim in WINDOW_OPENED_BY:
            hit = process.next_announcement(WINDOW_OPENED_BY[kill.aim], timeout=30) is not None
        if kill.aim == "mid-batch":
            time.sleep(self.rng.uniform(0.0, 0.03))  # somewhere between fetch and ack
        process.kill()
        self.performed.append((kill, hit))
        process.start(self._linger_before(plan, kill.role, index + 1))

    @staticmethod
    def _linger_before(plan: list[Kill], role: str, start: int) -> float:
        """Linger only in an incarnation whose kill is aimed at a lingering window."""
        upcoming = next((kill for kill in plan[start:] if kill.role == role), None)
        lingering_aims = {"after-commit", "after-publish"}
        return LINGER if upcoming is not None and upcoming.aim in lingering_aims else 0.0

    def kills_of(self, role: str) -> int:
        return sum(1 for kill, _hit in self.performed if kill.role == role)

    def missed_aims(self) -> list[Kill]:
        return [kill for kill, hit in self.performed if not hit]

    # -- the end --------------------------------------------------------------------
    def wait_until_drained(self, expected: int) -> None:
        """Until the outbox is sent, every event applied and the queue empty (not even
        unacked messages), or fail after DRAIN_TIMEOUT with what was left."""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            self.relay.check_alive()
            self.consumer.check_alive()
            try:
                if self._drained(expected):
                    return
            except Exception as exc:  # the broker may be restarting: not drained yet
                last_error = exc
            time.sleep(1.0)
        pytest.fail(
            f"not drained after {DRAIN_TIMEOUT:.0f}s (last error while polling: "
            f"{last_error!r})\n{self.diagnostics()}",
            pytrace=False,
        )

    def _drained(self, expected: int) -> bool:
        queue = self.topology.queue.name
        return (
            unsent_events(self.producer_db) == 0
            and distinct_effects(self.consumer_db) >= expected
            and ready_messages(self.settings, queue) == 0
            and queue_depths().get(queue, (-1,))[0] == 0
        )

    def dead_letters(self) -> int:
        return ready_messages(self.settings, self.topology.dead_letters.name)

    def stop(self) -> None:
        self.relay.stop()
        self.consumer.stop()

    def report(self, ledger: EffectLedger, seconds: float) -> str:
        return (
            f"{ledger.summary()}; {self.kills_of('consumer')} consumer kills, "
            f"{self.kills_of('relay')} relay kills, {self.kills_of('rabbitmq')} RabbitMQ "
            f"restart(s), {len(self.missed_aims())} aimed kill(s) that found no window; "
            f"{self.relay.total('published')} messages published for "
            f"{len(ledger.expected)} events, {self.consumer.total('batch', 1)} redelivered "
            f"to the consumer; {seconds:.0f} s"
        )

    def diagnostics(self) -> str:
        names = (self.topology.queue.name, self.topology.dead_letters.name, UNROUTED_QUEUE)
        try:
            depths = queue_depths()
            queues = ", ".join(f"{name}={depths.get(name)}" for name in names)
        except AssertionError as exc:  # rabbitmqctl failed; report everything else
            queues = f"unknown ({exc})"
        return "\n".join(
            [
                EffectLedger.read(self.producer_db, self.consumer_db).summary(),
                f"outbox unsent: {unsent_events(self.producer_db)}",
                f"outbox errors: {outbox_errors(self.producer_db)}",
                f"queues (messages, ready, unacked): {queues}",
                f"kills: {[(kill.role, kill.aim, hit) for kill, hit in self.performed]}",
                *self.relay.crashes,
                *self.consumer.crashes,
                self.relay.log_tail(),
                self.consumer.log_tail(),
            ]
        )


def prepare_database(url: str, *metadatas: sa.MetaData) -> Database:
    database = Database(url)
    for metadata in metadatas:
        metadata.create_all(database.engine)
    return database


def recreate_queues(settings: Settings, topology: EventConsumer) -> None:
    with kombu_connection(settings) as connection:
        channel = connection.default_channel
        for queue in all_queues(topology):
            queue(channel).delete()
        topology.declare(connection)


def all_queues(topology: EventConsumer) -> list[Any]:
    """The consumer's queue, its dead-letter queue and its retry queues."""
    return [topology.queue, topology.dead_letters, *topology.retry_queues]
