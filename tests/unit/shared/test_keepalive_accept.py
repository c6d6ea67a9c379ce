"""``KeepAliveWorker.accept`` takes one waiting connection per call, as gunicorn's own
workers do: a burst of new connections is spread over every worker watching the
listening socket instead of being bound to the first one that woke."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from gunicorn.config import Config

from shared.serving import KeepAliveWorker, Loop
from tests.support.worker_log import WorkerLog


@contextmanager
def idle_worker(
    listener: socket.socket, *, waiting: int, worker_connections: int
) -> Iterator[Loop]:
    """The loop of a worker as ``init_process`` leaves it, watching ``listener``,
    without running, with ``waiting`` clients connected and not yet accepted; everything
    closed after."""
    clients = [socket.create_connection(listener.getsockname(), timeout=5) for _ in range(waiting)]
    worker = KeepAliveWorker.__new__(KeepAliveWorker)
    cfg = Config()
    cfg.set("worker_connections", worker_connections)
    worker.cfg = cfg
    log = WorkerLog()
    worker.log = log
    worker.sockets = [listener]
    worker.prepare()
    worker.alive = True
    [loop] = worker.loops
    loop.listen(True)
    try:
        yield loop
        assert log.warnings == []
    finally:
        for connection in list(loop.connections.values()):
            loop.close(connection)
        for client in clients:
            client.close()


def test_each_call_takes_one_waiting_connection(listener: socket.socket) -> None:
    with idle_worker(listener, waiting=3, worker_connections=100) as loop:
        loop.accept(listener)
        assert len(loop.connections) == 1
        assert loop.listening  # two more wait: the listener stays watched
        loop.accept(listener)
        loop.accept(listener)
        assert len(loop.connections) == 3
        loop.accept(listener)  # none waits: nothing happens
        assert len(loop.connections) == 3


def test_the_listener_is_left_alone_at_the_connection_limit(listener: socket.socket) -> None:
    with idle_worker(listener, waiting=3, worker_connections=2) as loop:
        loop.accept(listener)
        assert loop.listening
        loop.accept(listener)
        assert len(loop.connections) == 2
        assert not loop.listening  # the third waits in the kernel's backlog
        loop.close(next(iter(loop.connections.values())))
        assert loop.listening
        loop.accept(listener)
        assert len(loop.connections) == 2
