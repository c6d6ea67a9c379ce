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
    files = os.listdir(tmp_path / "queue")
    assert len(files) == 1 and files[0].endswith(".whole.msg")
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
    assert list((tmp_path / "queue").glob("*.msg")) == []
    process.send_signal(signal.SIGKILL)
    process.wait()

    with connection_for(tmp_path) as connection:
        message = queue(connection.default_channel).get(no_ack=False)
        assert message is not None and message.payload == {"n": 7}
        message.ack()
        assert queue(connection.default_channel).get(no_ack=False) is None
    assert list((tmp_path / "unacked").rglob("*.msg")) == []
