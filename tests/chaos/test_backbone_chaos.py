"""Chaos: the event backbone loses nothing and double-counts nothing while its
processes are killed and the broker restarts.

Events are committed to an outbox in small transactions while a relay process and a
consumer process (``tests.chaos.harness``) are SIGKILLed and restarted and RabbitMQ
is restarted. The consumer's handler writes one row per application into a table
with no unique constraint, so an event applied twice shows as two rows. Some kills
are aimed at the two windows that force redeliveries (effects committed but not
acked; batch confirmed but not marked sent), the rest land mid-batch or anywhere.

The second test runs the same harness with the inbox bypassed and must observe
double counting: the proof that the first test's checks are able to fail.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from shared.config import Settings, load_settings
from shared.db import Database, platform_metadata
from shared.events.broker import kombu_connection
from shared.events.consumer import EventConsumer
from tests.chaos.harness import build_registry, effects_metadata, event_type_for
from tests.chaos.rig import (
    EffectLedger,
    HarnessProcess,
    OutboxWriter,
    assert_applied_exactly_once,
    distinct_effects,
    has_double_effects,
    outbox_errors,
    queue_depths,
    rabbitmqctl_path,
    ready_messages,
    restart_rabbitmq,
    unsent_events,
)

pytestmark = pytest.mark.chaos

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
        names = (self.topology.queue.name, self.topology.dead_letters.name, "stride.unrouted")
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
        for queue in (topology.queue, topology.dead_letters):
            queue(channel).delete()
        topology.declare(connection)


@pytest.fixture
def make_backbone(
    make_postgres_database: Callable[[str], str], rabbitmq_url: str, tmp_path: Path
) -> Iterator[Callable[..., Backbone]]:
    built: list[Backbone] = []

    def build(consumer_name: str, *, inbox: bool = True) -> Backbone:
        rabbitmqctl_path()  # fail now, not after the first kills, if it is missing
        environ = {
            "STRIDE_BROKER_URL": rabbitmq_url,
            "STRIDE_VAR_DIR": str(tmp_path / "var"),
            "STRIDE_LOG_LEVEL": "WARNING",
            # A prefetch far above the batch keeps many messages unacked at any moment,
            # so every consumer kill returns some to the queue.
            "STRIDE_CONSUMER_PREFETCH": "1000",
            "STRIDE_CONSUMER_BATCH_SIZE": "100",
            "STRIDE_RELAY_BATCH_SIZE": "200",
        }
        settings = load_settings(environ)
        producer_url = make_postgres_database("chaos_producer")
        consumer_url = make_postgres_database("chaos_consumer")
        producer_db = prepare_database(producer_url, platform_metadata)
        consumer_db = prepare_database(consumer_url, platform_metadata, effects_metadata)
        topology = EventConsumer(build_registry(consumer_name), consumer_db, settings)
        recreate_queues(settings, topology)
        child_env = {**os.environ, **environ}
        named = ["--consumer", consumer_name]
        backbone = Backbone(
            settings=settings,
            producer_db=producer_db,
            consumer_db=consumer_db,
            topology=topology,
            relay=HarnessProcess(
                "relay",
                ["--db", producer_url, *named],
                child_env,
                tmp_path,
                "--linger-after-publish",
            ),
            consumer=HarnessProcess(
                "consume",
                ["--db", consumer_url, *named, *([] if inbox else ["--no-inbox"])],
                child_env,
                tmp_path,
                "--linger-after-commit",
            ),
        )
        built.append(backbone)
        return backbone

    yield build
    for backbone in built:
        backbone.stop()
        with kombu_connection(backbone.settings) as connection:
            for queue in (backbone.topology.queue, backbone.topology.dead_letters):
                queue(connection.default_channel).delete()
        backbone.producer_db.dispose()
        backbone.consumer_db.dispose()


# -- the scenario of the product issue -----------------------------------------------
EVENTS = 10_000
MIN_CONSUMER_KILLS = 10
MIN_RELAY_KILLS = 5


def chaos_plan() -> list[Kill]:
    """12 consumer kills, 6 relay kills and one RabbitMQ restart, interleaved."""
    consumer_kills = [Kill("consumer", aim) for aim in ("after-commit", "mid-batch") * 6]
    relay_kills = [Kill("relay", aim) for aim in ("after-publish", "anytime") * 3]
    plan: list[Kill] = []
    for index, kill in enumerate(consumer_kills):
        plan.append(kill)
        if index % 2 == 1:
            plan.append(relay_kills[index // 2])
        if index == 5:
            plan.append(Kill("rabbitmq", "restart"))
    return plan


@pytest.mark.timeout(360)
def test_killed_processes_and_a_restarted_broker_lose_and_double_count_nothing(
    make_backbone: Callable[..., Backbone],
) -> None:
    started = time.monotonic()
    backbone = make_backbone("chaos")
    plan = chaos_plan()
    writer = OutboxWriter(backbone.producer_db, event_type_for("chaos"), EVENTS, duration=30)
    backbone.start(plan)
    writer.start()
    backbone.run(plan)
    writer.finish(timeout=120)
    backbone.wait_until_drained(EVENTS)
    backbone.stop()

    ledger = EffectLedger.read(backbone.producer_db, backbone.consumer_db)
    print(backbone.report(ledger, time.monotonic() - started))
    assert backbone.kills_of("consumer") >= MIN_CONSUMER_KILLS
    assert backbone.kills_of("relay") >= MIN_RELAY_KILLS
    assert backbone.kills_of("rabbitmq") == 1
    assert len(ledger.expected) == EVENTS
    assert_applied_exactly_once(ledger)
    assert backbone.dead_letters() == 0, "events were parked in stride.chaos.dlq"
    crashes = backbone.relay.crashes + backbone.consumer.crashes
    assert not crashes, "a process crashed instead of riding out the chaos:\n" + "\n".join(crashes)
    # The chaos must really have produced the duplicates the inbox is there to absorb.
    assert backbone.consumer.total("batch", 1) > 0, "no message was ever redelivered"
    assert backbone.relay.total("published") > EVENTS, "the relay never republished a batch"


# -- the same harness without the inbox must catch double counting -------------------
NO_INBOX_EVENTS = 3_000
MAX_EXTRA_KILLS = 4


@pytest.mark.timeout(300)
def test_without_the_inbox_the_same_chaos_double_counts(
    make_backbone: Callable[..., Backbone],
) -> None:
    started = time.monotonic()
    backbone = make_backbone("chaos_noinbox", inbox=False)
    aimed = [
        Kill("consumer", "after-commit"),
        Kill("relay", "after-publish"),
        Kill("consumer", "mid-batch"),
        Kill("consumer", "after-commit"),
    ]
    # Aimed kills make redeliveries certain; should they still show no double effect,
    # aim again while the writer is producing, a bounded number of times.
    plan = aimed + [Kill("consumer", "after-commit")] * MAX_EXTRA_KILLS
    writer = OutboxWriter(
        backbone.producer_db, event_type_for("chaos_noinbox"), NO_INBOX_EVENTS, duration=15
    )
    backbone.start(plan)
    writer.start()
    backbone.run(
        plan,
        mandatory=len(aimed),
        enough=lambda: _double_effects_within(backbone.consumer_db, seconds=3.0),
    )
    writer.finish(timeout=120)
    backbone.wait_until_drained(NO_INBOX_EVENTS)
    backbone.stop()

    ledger = EffectLedger.read(backbone.producer_db, backbone.consumer_db)
    print(backbone.report(ledger, time.monotonic() - started))
    assert not ledger.missing, ledger.summary()
    assert ledger.applied_twice, f"no double counting detected: {ledger.summary()}"
    assert ledger.total > ledger.distinct == NO_INBOX_EVENTS
    with pytest.raises(AssertionError, match="applied more than once"):
        assert_applied_exactly_once(ledger)


def _double_effects_within(database: Database, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if has_double_effects(database):
            return True
        time.sleep(0.25)
    return has_double_effects(database)
