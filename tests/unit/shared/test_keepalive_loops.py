"""A keep-alive worker's loops outlive one connection's failure (running or stopping), and
a worker whose loop thread ended stops, so that the arbiter replaces it whole."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from gunicorn.config import Config

from shared.serving import KeepAliveWorker, Loop, ThreadedKeepAliveWorker
from tests.support.worker_log import WorkerLog
from tests.unit.shared.test_http11 import echo_environ


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.create_server(("127.0.0.1", 0), backlog=16)
    yield sock
    sock.close()


def worker_on(
    listener: socket.socket, kind: type[KeepAliveWorker] = KeepAliveWorker, threads: int = 1
) -> KeepAliveWorker:
    worker = kind.__new__(kind)
    cfg = Config()
    cfg.set("threads", threads)
    worker.cfg = cfg
    worker.log = WorkerLog()
    worker.sockets = [listener]
    worker.wsgi = echo_environ
    worker.alive = True
    worker.nr = 0
    worker.max_requests = 1_000_000
    worker.ppid = os.getppid()
    worker.pid = os.getpid()
    worker.notify = lambda: None  # type: ignore[method-assign]
    worker.prepare()
    return worker


class FailingOn:
    """The worker's environ builder, failing as nothing in the worker expects for one
    path."""

    def __init__(self, environ: Any, url: bytes) -> None:
        self.environ = environ
        self.url = url

    def build(self, request: Any, connection: Any) -> dict[str, Any]:
        if request.url == self.url:
            raise RuntimeError("an unexpected failure")
        return dict(self.environ.build(request, connection))


def ask(listener: socket.socket, path: str) -> bytes:
    with socket.create_connection(listener.getsockname(), timeout=5) as client:
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := client.recv(65536):
            received += chunk
        return received


@contextmanager
def failing_loop(listener: socket.socket) -> Iterator[tuple[KeepAliveWorker, Loop]]:
    """A worker's one loop running in a thread, whose requests for ``/fail`` fail as
    nothing in the worker expects; on leaving, the worker is stopped, its loop must have
    ended, and the one error logged is that connection's."""
    worker = worker_on(listener)
    worker.environ = FailingOn(worker.environ, b"/fail")  # type: ignore[assignment]
    [loop] = worker.loops
    running = threading.Thread(target=loop.run)
    running.start()
    try:
        yield worker, loop
    finally:
        worker.alive = False
        running.join(10)
    assert not running.is_alive()
    log: WorkerLog = worker.log  # type: ignore[assignment]
    assert log.errors == ["Error serving a connection"]


def test_a_connection_that_fails_unexpectedly_is_closed_and_the_loop_serves_on(
    listener: socket.socket,
) -> None:
    with failing_loop(listener):
        assert ask(listener, "/fail") == b""  # closed without an answer
        assert ask(listener, "/after").startswith(b"HTTP/1.1 200 OK")


def test_a_connection_that_fails_while_the_loop_stops_is_closed_and_the_stop_ends(
    listener: socket.socket,
) -> None:
    with (
        failing_loop(listener) as (worker, loop),
        socket.create_connection(listener.getsockname(), timeout=5) as client,
    ):
        client.sendall(b"GET /kept HTTP/1.1\r\nHost: h\r\n\r\n")
        assert client.recv(65536).startswith(b"HTTP/1.1 200 OK")
        worker.alive = False
        deadline = time.monotonic() + 5
        while loop.listening and time.monotonic() < deadline:  # the loop is stopping
            time.sleep(0.01)
        # a request already on its way while the worker stops: it fails unexpectedly
        client.sendall(b"GET /fail HTTP/1.1\r\nHost: h\r\n\r\n")
        assert client.recv(65536) == b""  # closed, not left open


def test_a_worker_whose_loop_thread_ended_stops(listener: socket.socket) -> None:
    worker = worker_on(listener, ThreadedKeepAliveWorker, threads=3)
    assert len(worker.loops) == 3
    ended: Callable[[], None] = lambda: None  # noqa: E731
    worker.threads = [threading.Thread(target=ended) for _ in worker.loops[1:]]
    for thread in worker.threads:
        thread.start()
        thread.join()
    assert worker.heartbeat()
    assert not worker.alive
    log: WorkerLog = worker.log  # type: ignore[assignment]
    assert log.errors and "loop of the worker stopped" in log.errors[0]


def test_a_worker_whose_loops_all_run_goes_on(listener: socket.socket) -> None:
    worker = worker_on(listener, ThreadedKeepAliveWorker, threads=2)
    release = threading.Event()
    worker.threads = [threading.Thread(target=release.wait)]
    worker.threads[0].start()
    try:
        assert worker.heartbeat()
        assert worker.alive
    finally:
        release.set()
        worker.threads[0].join()
