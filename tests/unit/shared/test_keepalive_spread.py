"""New connections spread over the workers of one arbiter and over each worker's loops:
``Spread``, the counts the workers share, and a loop that holds more than its share
leaving a waiting connection to the others (``Loop.accept``)."""

from __future__ import annotations

import os
import socket
import time

import pytest

from shared import serving
from shared.serving import PATIENCE, KeepAliveWorker, Spread, ThreadedKeepAliveWorker
from tests.unit.shared.test_keepalive_loops import worker_on


def test_a_worker_sees_the_fewest_connections_of_the_other_live_workers() -> None:
    spread = Spread()
    now = time.monotonic()
    first, second, third = (spread.claim(age, 1000 + age, now) for age in (1, 2, 3))
    assert (first, second, third) == (0, 1, 2)
    spread.publish(0, 7)
    spread.publish(1, 4)
    spread.publish(2, 9)
    assert spread.fewest_besides(0, now) == 4
    assert spread.fewest_besides(1, now) == 7
    spread.release(1, 1002)
    assert spread.fewest_besides(0, now) == 9
    assert spread.fewest_besides(2, now) == 7


def test_a_slot_not_touched_for_a_while_is_not_counted() -> None:
    spread = Spread()
    now = time.monotonic()
    spread.claim(1, 101, now)
    spread.claim(2, 102, now)
    spread.publish(1, 0)  # a worker killed holding no connection
    later = now + Spread.STALE + 0.5
    spread.touch(0, later)
    assert spread.fewest_besides(0, now) == 0
    assert spread.fewest_besides(0, later) is None


def test_a_worker_whose_slot_a_live_worker_holds_gets_none() -> None:
    spread = Spread()
    now = time.monotonic()
    assert spread.claim(1, 101, now) == 0
    assert spread.claim(1 + Spread.SLOTS, 202, now) is None
    # once its holder is gone (silent past STALE), the slot is taken again
    assert spread.claim(1 + Spread.SLOTS, 202, now + Spread.STALE + 0.5) == 0


def test_release_frees_only_the_releasing_workers_slot() -> None:
    spread = Spread()
    now = time.monotonic()
    spread.claim(1, 101, now)
    spread.claim(2, 102, now)
    spread.publish(0, 3)
    spread.release(0, 999)  # not its holder: nothing happens
    assert spread.fewest_besides(1, now) == 3


def worker_with(
    listener: socket.socket, spread: Spread, *, threads: int, age: int
) -> KeepAliveWorker:
    """A threaded worker as ``run`` leaves it before its loops start, its slot claimed."""
    worker = worker_on(listener, ThreadedKeepAliveWorker, threads)
    worker.pid = os.getpid() + age
    worker.spread = spread
    worker.slot = spread.claim(age, worker.pid, time.monotonic())
    for loop in worker.loops:
        loop.listen(True)
    return worker


def close_all(worker: KeepAliveWorker) -> None:
    for loop in worker.loops:
        for connection in list(loop.connections.values()):
            loop.close(connection)


def test_a_loop_holding_more_than_another_loop_of_its_worker_leaves_the_connection(
    listener: socket.socket,
) -> None:
    worker = worker_with(listener, Spread(), threads=2, age=1)
    first, second = worker.loops
    clients = [socket.create_connection(listener.getsockname(), timeout=5) for _ in range(3)]
    try:
        first.accept(listener)
        assert len(first.connections) == 1
        first.accept(listener)  # the second loop holds none: left to it
        assert len(first.connections) == 1
        assert not first.listening and first.resume_at is not None
        second.accept(listener)
        assert len(second.connections) == 1
        first.listen(True)  # as its loop does once DEFER has passed
        first.accept(listener)
        assert len(first.connections) == 2
    finally:
        close_all(worker)
        for client in clients:
            client.close()


def test_a_worker_holding_more_than_another_leaves_the_connection_until_patience_runs_out(
    listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    spread = Spread()
    busy = worker_with(listener, spread, threads=1, age=1)
    idle = worker_with(listener, spread, threads=1, age=2)
    [loop] = busy.loops
    clients = [socket.create_connection(listener.getsockname(), timeout=5) for _ in range(2)]
    clock = [time.monotonic()]
    monkeypatch.setattr(serving.time, "monotonic", lambda: clock[0])
    try:
        loop.accept(listener)
        assert len(loop.connections) == 1
        assert spread.fewest_besides(idle.slot or 0, clock[0]) == 1
        loop.accept(listener)  # the idle worker holds none
        assert len(loop.connections) == 1 and not loop.listening
        clock[0] += PATIENCE / 2
        loop.listen(True)
        loop.accept(listener)  # still within patience: left again
        assert len(loop.connections) == 1
        clock[0] += PATIENCE * 0.9
        loop.listen(True)
        loop.accept(listener)  # the idle worker never took it: taken now
        assert len(loop.connections) == 2
    finally:
        close_all(busy)
        for client in clients:
            client.close()
