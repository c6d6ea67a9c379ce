"""Parked messages are kept however often they are read: RabbitMQ 4's default delivery
limit of quorum queues (20) is emulated on RabbitMQ 3.10 with a policy that applies only
to this test's own queues, and removed afterwards."""

from __future__ import annotations

import pytest

from shared.events.dead_letters import list_parked, replay_parked
from shared.events.publishers import OutgoingMessage
from tests.support import backbone
from tests.support.rabbitmq import rabbitmqctl

pytestmark = pytest.mark.integration

DELIVERY_LIMIT = 20


@pytest.fixture
def limited_consumer(settings_for, rabbitmq_url, tmp_path):
    settings = settings_for(STRIDE_BROKER_URL=rabbitmq_url)
    database = backbone.prepare_database(f"sqlite:///{tmp_path}/probe.db")
    consumer = backbone.new_consumer(backbone.fresh_consumer_name(), database, settings)
    policy = f"stride-test-{consumer.registry.consumer}"
    pattern = f"^stride\\.{consumer.registry.consumer}\\."
    rabbitmqctl(
        "set_policy",
        "--apply-to",
        "queues",
        policy,
        pattern,
        f'{{"delivery-limit": {DELIVERY_LIMIT}}}',
    )
    try:
        yield settings, consumer
    finally:
        rabbitmqctl("clear_policy", policy)
        backbone.delete_queues(settings, consumer)


def park(settings, consumer, count: int) -> list[str]:
    from kombu import Producer

    from shared.events.broker import kombu_connection

    events = backbone.things(count)
    with kombu_connection(settings) as connection:
        consumer.declare(connection)
        producer = Producer(connection.channel())
        for event in events:
            message = OutgoingMessage(event.id, event.type, event.to_json().encode())
            producer.publish(
                message.body,
                exchange="",
                routing_key=consumer.dead_letters.name,
                message_id=event.id,
                content_type="application/json",
                delivery_mode=2,
                headers={"x-stride-error": "ValueError: parked for the test"},
            )
    return [event.id for event in events]


def test_listing_parked_events_again_and_again_loses_none(limited_consumer):
    settings, consumer = limited_consumer
    parked = park(settings, consumer, 3)
    for _ in range(DELIVERY_LIMIT + 5):
        listed = list_parked(settings, consumer.registry.consumer)
        assert [event.message_id for event in listed] == parked
    assert "parked for the test" in listed[0].error
    assert backbone.queue_depth(settings, consumer.dead_letters) == 3


def test_replaying_one_event_keeps_the_others(limited_consumer):
    settings, consumer = limited_consumer
    first, second, third = park(settings, consumer, 3)
    for _ in range(DELIVERY_LIMIT + 5):
        assert replay_parked(settings, consumer.registry.consumer, event_id="no-such-id") == 0
    assert replay_parked(settings, consumer.registry.consumer, event_id=second) == 1
    listed = [e.message_id for e in list_parked(settings, consumer.registry.consumer)]
    assert listed == [first, third]
    assert backbone.queue_depth(settings, consumer.queue) == 1


def test_unrouted_events_are_kept_in_a_bounded_queue(settings_for, rabbitmq_url):
    import json
    import random
    import string

    from shared.events import topology
    from shared.events.publishers import open_publisher

    settings = settings_for(STRIDE_BROKER_URL=rabbitmq_url)
    nobody = "".join(random.choices(string.ascii_lowercase, k=12))
    [event] = [backbone.Envelope(type=f"{nobody}.thing.happened", producer="probe", payload={})]
    from shared.events.broker import kombu_connection

    with kombu_connection(settings) as connection:
        topology.unrouted_queue()(connection.default_channel).declare()
    publisher = open_publisher(settings)
    try:
        before = backbone.queue_depth(settings, topology.unrouted_queue())
        result = publisher.publish_batch(
            [OutgoingMessage(event.id, event.type, event.to_json().encode())]
        )
        assert result.confirmed == [event.id]
    finally:
        publisher.close()
    assert backbone.queue_depth(settings, topology.unrouted_queue()) >= before + 1
    listing = rabbitmqctl("list_queues", "name", "arguments", "--formatter", "json")
    queues = {queue["name"]: queue for queue in json.loads(listing.stdout)}
    arguments = {name: value for name, _t, value in queues[topology.UNROUTED_QUEUE]["arguments"]}
    assert arguments["x-max-length"] == topology.UNROUTED_MAX_MESSAGES
    assert arguments["x-overflow"] == "drop-head"
    assert arguments["x-message-ttl"] > 0
