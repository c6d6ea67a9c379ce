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
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.config import load_settings
from shared.db import Database, platform_metadata
from shared.events.broker import kombu_connection
from shared.events.consumer import EventConsumer
from tests.chaos.broker import rabbitmqctl_path
from tests.chaos.harness import build_registry, effects_metadata, event_type_for
from tests.chaos.ledger import EffectLedger, assert_applied_exactly_once, has_double_effects
from tests.chaos.processes import HarnessProcess, OutboxWriter
from tests.chaos.scenario import Backbone, Kill, prepare_database, recreate_queues

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
