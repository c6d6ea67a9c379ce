"""The embedded broker: atomic writes, and no message lost when a consumer is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Queue

from shared.events import filebroker

pytestmark = pytest.mark.embedded


def connection_for(broker_dir: Path) -> Connection:
    return Connection(
        transport=filebroker.TRANSPORT_PATH,
        transport_options=filebroker.transport_options_for(broker_dir),
    )


def test_messages_appear_only_whole(tmp_path: Path):
    queue = Queue("whole", Exchange("whole", type="direct"), routing_key="whole")
    with connection_for(tmp_path) as connection:
        producer = connection.Producer()
        producer.publish({"n": 1}, exchange=queue.exchange, routing_key="whole", declare=[queue])
    files = os.listdir(tmp_path / "queue" / "whole")
    assert len(files) == 1 and files[0].endswith(".msg")
    assert not any(name.startswith(".") for name in files)


def test_a_killed_consumer_loses_no_message(tmp_path: Path):
    queue = Queue("survive", Exchange("survive", type="direct"), routing_key="survive")
    with connection_for(tmp_path) as connection:
        connection.Producer().publish(
            {"n": 7}, exchange=queue.exchange, routing_key="survive", declare=[queue]
        )

    taker = textwrap.dedent(
        f"""
        import os, sys, threading
        from kombu import Connection, Queue, Exchange
        from shared.events import filebroker
        connection = Connection(transport=filebroker.TRANSPORT_PATH,
                                transport_options=filebroker.transport_options_for(
                                    __import__("pathlib").Path({str(tmp_path)!r})))
        queue = Queue("survive", Exchange("survive", type="direct"), routing_key="survive")
        message = queue(connection.default_channel).get(no_ack=False)
        assert message is not None
        print("taken", flush=True)
        threading.Event().wait()  # holds the message, unacknowledged, until killed
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", taker], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "taken"
    assert list((tmp_path / "queue").rglob("*.msg")) == []
    process.send_signal(signal.SIGKILL)
    process.wait()

    with connection_for(tmp_path) as connection:
        message = queue(connection.default_channel).get(no_ack=False)
        assert message is not None and message.payload == {"n": 7}
        message.ack()
        assert queue(connection.default_channel).get(no_ack=False) is None
    assert list((tmp_path / "unacked").rglob("*.msg")) == []


def test_a_delayed_message_stays_invisible_until_its_time(tmp_path: Path):
    queue = Queue("later", Exchange("later", type="direct"), routing_key="later")
    with connection_for(tmp_path) as connection:
        producer = connection.Producer()
        producer.publish(
            {"n": 1},
            exchange=queue.exchange,
            routing_key="later",
            declare=[queue],
            headers={filebroker.DELAY_HEADER: 60_000},
        )
        producer.publish({"n": 2}, exchange=queue.exchange, routing_key="later")
        bound = queue(connection.default_channel)
        first = bound.get(no_ack=True)
        assert first is not None and first.payload == {"n": 2}
        assert bound.get(no_ack=True) is None  # the delayed one is not due for a minute
        [waiting] = os.listdir(tmp_path / "queue" / "later")
        assert filebroker._visible_at(waiting) > filebroker._now_ms() + 50_000


def test_each_queue_has_its_own_folder_and_unrouted_messages_are_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(filebroker, "UNROUTED_LIMIT", 5)
    monkeypatch.setattr(filebroker, "UNROUTED_CHECK_EVERY", 1)
    exchange = Exchange("topic", type="topic")
    live = Queue("live", exchange, routing_key="a.b")
    with connection_for(tmp_path) as connection:
        producer = connection.Producer()
        producer.publish({"n": 0}, exchange=exchange, routing_key="a.b", declare=[live])
        for n in range(12):
            producer.publish({"n": n}, exchange=exchange, routing_key="nobody.listens")
        assert len(os.listdir(tmp_path / "queue" / "live")) == 1
        assert len(os.listdir(tmp_path / "queue" / filebroker.UNROUTED_QUEUE)) == 5
        unrouted = Queue(filebroker.UNROUTED_QUEUE)(connection.default_channel)
        kept = [message.payload["n"] for message in iter(lambda: unrouted.get(no_ack=True), None)]
        assert kept == [7, 8, 9, 10, 11]  # the newest


def test_messages_published_within_one_millisecond_keep_their_order(tmp_path: Path):
    queue = Queue("fifo", Exchange("fifo", type="direct"), routing_key="fifo")
    with connection_for(tmp_path) as connection:
        producer = connection.Producer()
        for n in range(300):
            producer.publish({"n": n}, exchange=queue.exchange, routing_key="fifo", declare=[queue])
        bound = queue(connection.default_channel)
        received = [message.payload["n"] for message in iter(lambda: bound.get(no_ack=True), None)]
    assert received == list(range(300))


def test_a_file_that_is_not_a_message_is_set_aside(tmp_path: Path):
    queue = Queue("mixed", Exchange("mixed", type="direct"), routing_key="mixed")
    with connection_for(tmp_path) as connection:
        producer = connection.Producer()
        producer.publish({"n": 1}, exchange=queue.exchange, routing_key="mixed", declare=[queue])
        (tmp_path / "queue" / "mixed" / "000000000000000_garbage.msg").write_bytes(b"{not json")
        message = queue(connection.default_channel).get(no_ack=True)
        assert message is not None and message.payload == {"n": 1}
    assert [p.name for p in (tmp_path / "rejected").iterdir()] == [
        "mixed.000000000000000_garbage.msg"
    ]
