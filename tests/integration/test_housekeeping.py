"""Housekeeping runs where the data is: the events loop of every service purges its
inbox and outbox; each relay and consumer beats its own heartbeat, also while the
consumer waits for its database."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from shared.cli import main
from shared.db import Database, inbox_table, outbox_table
from shared.events.publishers import open_publisher
from shared.events.relay import INBOX_RETENTION, SENT_RETENTION, OutboxRelay
from shared.observability import Heartbeat
from shared.time import utcnow
from tests.support import backbone

pytestmark = pytest.mark.integration


def test_the_relay_purges_the_services_inbox_and_outbox(settings, tmp_path: Path):
    database = backbone.prepare_database(f"sqlite:///{tmp_path}/probe.db")
    now = utcnow()
    old_inbox, old_sent = now - INBOX_RETENTION - timedelta(hours=1), now - SENT_RETENTION
    with database.engine.begin() as connection:
        connection.execute(
            inbox_table.insert(),
            [
                {
                    "consumer": "c",
                    "event_id": "old",
                    "event_type": "a.b.c",
                    "processed_at": old_inbox,
                },
                {"consumer": "c", "event_id": "new", "event_type": "a.b.c", "processed_at": now},
            ],
        )
        connection.execute(
            outbox_table.insert(),
            [
                {
                    "id": "sent",
                    "event_type": "a.b.c",
                    "body": "{}",
                    "created_at": old_sent,
                    "sent_at": old_sent - timedelta(hours=1),
                },
                {
                    "id": "unsent",
                    "event_type": "a.b.c",
                    "body": "{}",
                    "created_at": old_sent,
                    "sent_at": None,
                },
            ],
        )
    relay = OutboxRelay("probe", database, open_publisher(settings))
    relay.purge_if_due()
    with database.engine.connect() as connection:
        assert connection.execute(sa.select(inbox_table.c.event_id)).scalars().all() == ["new"]
        assert connection.execute(sa.select(outbox_table.c.id)).scalars().all() == ["unsent"]


def test_a_consumer_waiting_for_its_database_still_beats(settings, tmp_path: Path):
    beats = tmp_path / "events.heartbeat"
    heartbeat = Heartbeat(beats, every_seconds=0.05)
    # A PostgreSQL server that does not answer, as while it restarts.
    database = Database("postgresql+psycopg://postgres@127.0.0.1:1/stride_down")
    consumer = backbone.new_consumer(backbone.fresh_consumer_name(), database, settings)
    consumer.heartbeat = heartbeat.of_loop("consumer-probe")
    publisher = open_publisher(settings)
    from shared.events.broker import kombu_connection

    with kombu_connection(settings) as connection:
        consumer.declare(connection)
    [event] = backbone.things(1)
    from shared.events.publishers import OutgoingMessage

    publisher.publish_batch([OutgoingMessage(event.id, event.type, event.to_json().encode())])
    publisher.close()
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    loop_file = tmp_path / "events.heartbeat.consumer-probe"
    try:
        assert backbone.run_loops_until([], lambda: consumer.stats.database_waits >= 1, 20)
        stale = time.time() - 100
        os.utime(loop_file, (stale, stale))
        waits = consumer.stats.database_waits
        assert backbone.run_loops_until(
            [], lambda: loop_file.stat().st_mtime > stale + 50, timeout=20
        ), "no heartbeat while waiting for the database"
        assert consumer.stats.database_waits > waits
        assert consumer.stats.applied == 0 and consumer.stats.parked == 0
        assert thread.is_alive()
    finally:
        consumer.stopping.set()
        thread.join(timeout=30)


def test_health_fails_when_one_loop_stops_beating(tmp_path: Path, capsys):
    base = tmp_path / "events.heartbeat"
    relay, consumer = (
        Heartbeat(base).of_loop("relay-progress"),
        Heartbeat(base).of_loop("consumer-progress"),
    )
    relay.beat()
    consumer.beat()
    assert main(["health", "--heartbeat", str(base), "--max-age", "60"]) == 0
    assert consumer.path is not None
    stale = time.time() - 120
    os.utime(consumer.path, (stale, stale))
    assert main(["health", "--heartbeat", str(base), "--max-age", "60"]) == 1
    assert "consumer-progress" in capsys.readouterr().err
