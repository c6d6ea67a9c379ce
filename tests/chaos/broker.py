"""RabbitMQ as a chaos test sees it: restarted with rabbitmqctl, its queues counted."""

from __future__ import annotations

import shutil
import subprocess
import time

from shared.config import Settings
from shared.events.broker import kombu_connection


def rabbitmqctl_path() -> str:
    executable = shutil.which("rabbitmqctl")
    if executable is None:
        raise AssertionError("rabbitmqctl is not on PATH: the chaos tests restart RabbitMQ with it")
    return executable


def rabbitmqctl(*args: str, timeout: float = 120.0) -> str:
    executable = rabbitmqctl_path()
    result = subprocess.run(
        [executable, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise AssertionError(f"rabbitmqctl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def restart_rabbitmq(
    settings: Settings, queue_name: str, downtime: float, timeout: float = 120.0
) -> None:
    """Stop RabbitMQ, keep it down ``downtime`` seconds, start it, wait until it answers.

    The downtime outlasts the processes' first reconnection attempts, as a real restart
    does, so those attempts meet a broker that refuses connections.
    """
    rabbitmqctl("stop_app")
    time.sleep(downtime)
    rabbitmqctl("start_app")
    wait_until_broker_answers(settings, queue_name, timeout)


def wait_until_broker_answers(settings: Settings, queue_name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            ready_messages(settings, queue_name)
            return
        except Exception as exc:  # any failure means "not yet"; the last one is reported
            last_error = exc
            time.sleep(0.5)
    raise AssertionError(f"RabbitMQ did not answer within {timeout}s: {last_error!r}")


def ready_messages(settings: Settings, queue_name: str) -> int:
    """Messages ready in ``queue_name`` (a passive declare: unacked ones are not counted)."""
    with kombu_connection(settings) as connection:
        declared = connection.default_channel.queue_declare(queue_name, passive=True)
        return int(declared.message_count)


def queue_depths() -> dict[str, tuple[int, int, int]]:
    """Every queue's (messages, ready, unacknowledged), as RabbitMQ itself counts them."""
    columns = ("name", "messages", "messages_ready", "messages_unacknowledged")
    output = rabbitmqctl("list_queues", "--quiet", "--no-table-headers", *columns)
    depths = {}
    for line in output.splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and all(p.isdigit() for p in parts[1:]):
            depths[parts[0]] = (int(parts[1]), int(parts[2]), int(parts[3]))
    return depths
