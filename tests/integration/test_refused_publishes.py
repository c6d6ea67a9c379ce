"""A publish the broker refuses (a full queue with ``reject-publish``) waits its turn
with backoff, never blocks newer events, and ends dead and reported after a cap."""

from __future__ import annotations

import random
import string

import pytest
import sqlalchemy as sa
from kombu import Queue, binding

from shared.cli import main
from shared.db import outbox_table
from shared.events import Envelope, outbox, topology
from shared.events.broker import kombu_connection
from shared.events.envelope import MAX_ENVELOPE_BYTES
from shared.events.outbox import EventTooLarge
from tests.support import backbone

pytestmark = pytest.mark.integration


def letters() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=12))


@pytest.fixture
def routes(settings_for, rabbitmq_url):
    """A full queue refusing ``<p>.thing.refused`` and a healthy one for both keys."""
    settings = settings_for(STRIDE_BROKER_URL=rabbitmq_url)
    prefix = letters()
    refused, healthy = f"{prefix}.thing.refused", f"{prefix}.thing.welcome"
    exchange = topology.events_exchange()
    full = Queue(
        f"stride-test.{prefix}.full",
        bindings=[binding(exchange, routing_key=refused)],
        durable=True,
        queue_arguments={"x-max-length": 1, "x-overflow": "reject-publish"},
    )
    open_queue = Queue(
        f"stride-test.{prefix}.open",
        bindings=[binding(exchange, routing_key=key) for key in (refused, healthy)],
        durable=True,
    )
    with kombu_connection(settings) as connection:
        channel = connection.default_channel
        exchange(channel).declare()
        for queue in (full, open_queue):
            queue(channel).declare()
        producer = connection.Producer(channel)
        producer.publish(b"filler", exchange="", routing_key=full.name)  # now full
    yield settings, refused, healthy, open_queue
    with kombu_connection(settings) as connection:
        for queue in (full, open_queue):
            queue(connection.default_channel).delete()


def test_a_refused_row_backs_off_and_newer_events_go_out(routes, make_postgres_database):
    settings, refused_key, healthy_key, open_queue = routes
    database = backbone.prepare_database(make_postgres_database("probe"))
    refused = [Envelope(type=refused_key, producer="probe", payload={"n": n}) for n in range(5)]
    welcome = [Envelope(type=healthy_key, producer="probe", payload={"n": n}) for n in range(5)]
    backbone.commit_events(database, refused)
    backbone.commit_events(database, welcome)
    relay = backbone.new_relay("probe", database, settings)
    try:
        assert relay.relay_once() == 5  # the welcome ones; the refused ones were nacked
        assert relay.relay_once() == 0  # nothing is due: the refused rows wait
        with database.engine.connect() as connection:
            rows = connection.execute(
                sa.select(outbox_table).where(outbox_table.c.event_type == refused_key)
            ).all()
        assert len(rows) == 5
        for row in rows:
            assert row.sent_at is None and row.dead_at is None
            assert row.publish_attempts == 1 and "nacked" in row.last_error
            assert row.next_attempt_at is not None
        assert backbone.queue_depth(settings, open_queue) == 10  # each event once
    finally:
        relay.publisher.close()


def test_a_row_refused_too_often_is_dead_listed_and_can_be_retried(
    routes, make_postgres_database, monkeypatch, capsys
):
    settings, refused_key, _healthy_key, _open_queue = routes
    url = make_postgres_database("probe")
    database = backbone.prepare_database(url)
    [event] = [Envelope(type=refused_key, producer="probe", payload={"n": 1})]
    backbone.commit_events(database, [event])
    relay = backbone.new_relay("probe", database, settings)
    relay.max_attempts = 1
    try:
        assert relay.relay_once() == 0
    finally:
        relay.publisher.close()
    with database.unit_of_work() as session:
        [dead] = outbox.list_dead(session)
        assert dead.id == event.id and dead.publish_attempts == 1
        assert outbox.claim_unsent(session, 10) == []

    monkeypatch.setenv("STRIDE_PROGRESS_DATABASE_URL", url)
    monkeypatch.setenv("STRIDE_VAR_DIR", str(settings.var_dir))
    assert main(["outbox", "list", "progress"]) == 1
    listing = capsys.readouterr().out
    assert event.id in listing and "1 dead" in listing
    assert main(["outbox", "retry", "progress", "--event-id", event.id]) == 0
    with database.unit_of_work() as session:
        assert [pending.id for pending in outbox.claim_unsent(session, 10)] == [event.id]


def test_an_event_too_large_for_any_consumer_is_refused_at_the_producer(make_postgres_database):
    database = backbone.prepare_database(make_postgres_database("probe"))
    huge = Envelope(
        type="probe.thing.happened", producer="probe", payload={"blob": "x" * MAX_ENVELOPE_BYTES}
    )
    with database.unit_of_work() as session, pytest.raises(EventTooLarge):
        outbox.record_events(session, [huge])
    with database.unit_of_work() as session:
        assert outbox.count_unsent(session) == 0
