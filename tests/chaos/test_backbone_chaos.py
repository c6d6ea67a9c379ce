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

Two more scenarios leave the broker running: poison messages of every kind sent among
10,000 good events must each be parked with its reason while one consumer process
lives through all of them; and a while of refused publishes (a full queue with
``reject-publish`` bound to the events) must end with every event applied once and
nothing left in the outbox.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from kombu import Queue, binding

from shared.config import load_settings
from shared.db import Database, outbox_table, platform_metadata
from shared.events.broker import kombu_connection
from shared.events.consumer import EventConsumer
from shared.events.dead_letters import list_parked
from shared.events.topology import events_exchange
from tests.chaos.broker import rabbitmqctl_path
from tests.chaos.harness import build_registry, effects_metadata, event_type_for
from tests.chaos.ledger import EffectLedger, assert_applied_exactly_once, has_double_effects
from tests.chaos.poison import PoisonSender, poison_messages
from tests.chaos.processes import HarnessProcess, OutboxWriter
from tests.chaos.scenario import Backbone, Kill, all_queues, prepare_database, recreate_queues

pytestmark = pytest.mark.chaos


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
            "STRIDE_CONSUMER_MAX_RETRIES": "2",
            "STRIDE_CONSUMER_RETRY_DELAYS": "0.2,0.5",
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
            for queue in all_queues(backbone.topology):
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


# -- poison among good events, the broker left running ---------------------------------
POISON_EVENTS = 10_000
POISON_ROUNDS = 3


@pytest.mark.timeout(300)
def test_poison_messages_park_themselves_and_the_consumer_lives_on(
    make_backbone: Callable[..., Backbone],
) -> None:
    started = time.monotonic()
    backbone = make_backbone("chaos_poison")
    poison = poison_messages(event_type_for("chaos_poison"))
    sender = PoisonSender(
        backbone.settings, backbone.topology.queue.name, poison, POISON_ROUNDS, interval=0.5
    )
    writer = OutboxWriter(
        backbone.producer_db, event_type_for("chaos_poison"), POISON_EVENTS, duration=15
    )
    backbone.start([])
    writer.start()
    sender.start()
    writer.finish(timeout=120)
    sender.join(timeout=120)
    assert sender.error is None and sender.sent == len(poison) * POISON_ROUNDS
    backbone.wait_until_drained(POISON_EVENTS)
    deadline = time.monotonic() + 60
    while backbone.dead_letters() < sender.sent and time.monotonic() < deadline:
        time.sleep(0.5)
    backbone.stop()

    ledger = EffectLedger.read(backbone.producer_db, backbone.consumer_db)
    print(backbone.report(ledger, time.monotonic() - started))
    assert len(ledger.expected) == POISON_EVENTS
    assert_applied_exactly_once(ledger)
    parked = list_parked(backbone.settings, "chaos_poison", limit=2 * sender.sent)
    assert len(parked) == sender.sent, [event.error for event in parked]
    for kind in poison:
        matching = [event for event in parked if kind.reason in event.error]
        assert len(matching) == POISON_ROUNDS, (kind.reason, [e.error for e in parked])
    assert backbone.consumer.incarnations == 1, "the consumer had to be started again"
    crashes = backbone.relay.crashes + backbone.consumer.crashes
    assert not crashes, "a process crashed:\n" + "\n".join(crashes)


# -- a while of refused publishes, the broker left running ------------------------------
REFUSED_EVENTS = 2_000


@pytest.mark.timeout(300)
def test_refused_publishes_duplicate_nothing_and_leave_nothing_stuck(
    make_backbone: Callable[..., Backbone],
) -> None:
    started = time.monotonic()
    backbone = make_backbone("chaos_refused")
    full = Queue(
        f"stride-test.{uuid.uuid4().hex[:10]}.full",
        bindings=[binding(events_exchange(), routing_key=event_type_for("chaos_refused"))],
        durable=True,
        queue_arguments={"x-max-length": 1, "x-overflow": "reject-publish"},
    )
    with kombu_connection(backbone.settings) as connection:
        full(connection.default_channel).declare()
        connection.Producer().publish(b"filler", exchange="", routing_key=full.name)
    try:
        writer = OutboxWriter(
            backbone.producer_db, event_type_for("chaos_refused"), REFUSED_EVENTS, duration=8
        )
        backbone.start([])
        writer.start()
        # Refused, waited out, and refused again: the backoff is at work.
        deadline = time.monotonic() + 60
        while _refused_rows(backbone.producer_db, times=2) < 100 and time.monotonic() < deadline:
            time.sleep(0.25)
        assert _refused_rows(backbone.producer_db, times=2) >= 100, backbone.diagnostics()
        with kombu_connection(backbone.settings) as connection:
            full(connection.default_channel).delete()  # the queue is no longer full
        writer.finish(timeout=120)
        backbone.wait_until_drained(REFUSED_EVENTS)
        backbone.stop()
    finally:
        with kombu_connection(backbone.settings) as connection:
            full(connection.default_channel).delete()

    ledger = EffectLedger.read(backbone.producer_db, backbone.consumer_db)
    print(backbone.report(ledger, time.monotonic() - started))
    assert len(ledger.expected) == REFUSED_EVENTS
    assert_applied_exactly_once(ledger)
    with backbone.producer_db.engine.connect() as connection:
        dead = connection.execute(
            sa.select(sa.func.count()).where(outbox_table.c.dead_at.is_not(None))
        ).scalar_one()
    assert dead == 0
    assert backbone.dead_letters() == 0
    crashes = backbone.relay.crashes + backbone.consumer.crashes
    assert not crashes, "a process crashed:\n" + "\n".join(crashes)


def _refused_rows(database: Database, times: int) -> int:
    query = sa.select(sa.func.count()).where(outbox_table.c.publish_attempts >= times)
    with database.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
