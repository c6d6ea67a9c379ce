"""``shared.serving.KeepAliveWorker`` under a real gunicorn with deploy/gunicorn.conf.py:
connections kept and closed as HTTP says, errors answered, and the lifecycle (idle
connections, connection limit, max_requests, graceful stop, heartbeat) as gunicorn's
own workers keep it."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.gunicorn_server import ROOT, free_port, start_gunicorn, stop_gunicorn

pytestmark = pytest.mark.integration

WORKER = "shared.serving.KeepAliveWorker"
THREADED = "shared.serving.ThreadedKeepAliveWorker"


class Server:
    """gunicorn serving tests/support/wsgi_probe.py with one worker of class ``worker``
    (``threads`` loops for the threaded one)."""

    def __init__(self, *options: str, worker: str = WORKER, threads: int = 4) -> None:
        self.port = free_port()
        environment = {
            "GUNICORN_WORKER_CLASS": worker,
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": str(threads),
            "PYTHONPATH": str(ROOT / "tests" / "support"),
        }
        self.process = start_gunicorn(
            "wsgi_probe:app", self.port, environment, *options, ready_path="/peer"
        )

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def stop(self) -> int:
        return stop_gunicorn(self.process)


@pytest.fixture(params=[WORKER, THREADED], ids=["one loop", "threaded loops"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    running = Server(worker=request.param)
    yield running
    running.stop()


def get(connection: http.client.HTTPConnection, path: str, **headers: str) -> dict[str, Any]:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, body
    return dict(json.loads(body))


def receive_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_connection_is_kept_between_requests(server: Server):
    connection = server.connection()
    answers = [get(connection, "/peer") for _ in range(50)]
    assert len({answer["client_port"] for answer in answers}) == 1
    assert len({answer["pid"] for answer in answers}) == 1


def test_many_connections_are_served_in_turn(server: Server):
    connections = [server.connection() for _ in range(20)]
    ports: dict[int, set[int]] = {index: set() for index in range(20)}
    for _ in range(5):
        for index, connection in enumerate(connections):
            ports[index].add(get(connection, "/peer")["client_port"])
    assert all(len(seen) == 1 for seen in ports.values())
    assert len(set().union(*ports.values())) == 20


def test_a_client_that_asks_to_close_is_answered_then_closed(server: Server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /peer HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        received = receive_all(sock)
    assert received.startswith(b"HTTP/1.1 200 OK")
    assert received.count(b"HTTP/1.1") == 1


def test_pipelined_requests_are_all_answered_in_order(server: Server):
    requests = (
        b"GET /peer HTTP/1.1\r\nHost: t\r\n\r\n"
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nfirst"
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecond"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(requests)
        received = receive_all(sock)
    assert received.count(b"HTTP/1.1 200 OK") == 3
    assert received.index(b'"echo": "first"') < received.index(b'"echo": "second"')


def test_a_body_the_app_did_not_read_does_not_spill_into_the_next_request(server: Server):
    connection = server.connection()
    connection.request("POST", "/peer", body=b"x" * 10_000)
    first = connection.getresponse()
    assert first.status == 200
    port = json.loads(first.read())["client_port"]
    assert get(connection, "/peer")["client_port"] == port


def test_a_large_unread_body_closes_its_connection_after_the_answer(server: Server):
    """Past gunicorn's drain cap (64 KiB) the rest is not read: the connection closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /peer HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n")
        sock.sendall(b"x" * 200_000)
        received = receive_all(sock)
    assert received.startswith(b"HTTP/1.1 200 OK")
    assert received.count(b"HTTP/1.1") == 1
    assert "pid" in get(server.connection(), "/peer")


def test_an_app_error_is_a_500_problem_and_the_worker_serves_on(server: Server):
    connection = server.connection()
    connection.request("GET", "/boom")
    response = connection.getresponse()
    assert response.status == 500
    assert response.getheader("Content-Type") == "application/problem+json"
    assert json.loads(response.read())["status"] == 500
    assert "pid" in get(server.connection(), "/peer")


def test_a_malformed_request_is_a_400_problem(server: Server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        received = receive_all(sock)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"Content-Type: application/problem+json" in head
    assert json.loads(body)["status"] == 400
    assert "pid" in get(server.connection(), "/peer")


def test_a_half_sent_request_holds_the_worker_only_until_its_read_timeout():
    running = Server()
    try:
        with socket.create_connection(("127.0.0.1", running.port), timeout=30) as stalled:
            stalled.sendall(b"GET /peer HTTP/1.1\r\nHost: t\r\n")  # and never the rest
            # served once the stalled client is dropped (REQUEST_READ_TIMEOUT, 5 s)
            assert "pid" in get(running.connection(), "/peer")
            assert stalled.recv(1024) == b""  # closed by the server
    finally:
        running.stop()


def test_a_request_trickled_in_a_byte_at_a_time_is_cut_off_at_its_deadline():
    """Each byte comes well within the read timeout, so only the request's deadline
    (10 s) stops it; the worker then serves others, and the arbiter never had to kill it."""
    running = Server()
    try:
        before = get(running.connection(), "/peer")["pid"]
        head = b"GET /peer HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 60
        closed_after = None
        with socket.create_connection(("127.0.0.1", running.port), timeout=30) as slow:
            for sent in range(len(head)):
                try:
                    slow.sendall(head[sent : sent + 1])
                except OSError:
                    closed_after = sent
                    break
                time.sleep(0.5)  # a byte every half second: 30 s for the whole head
            else:
                closed_after = len(head) if slow.recv(1024) == b"" else None
        assert closed_after is not None and closed_after < len(head)
        assert get(running.connection(), "/peer")["pid"] == before
    finally:
        running.stop()


def test_an_idle_connection_is_closed_after_the_keepalive_time():
    running = Server("--keep-alive", "1")
    try:
        with socket.create_connection(("127.0.0.1", running.port), timeout=30) as sock:
            sock.sendall(b"GET /peer HTTP/1.1\r\nHost: t\r\n\r\n")
            received = receive_all(sock)  # until the server closes (or our timeout fails)
        assert received.startswith(b"HTTP/1.1 200 OK")
        assert received.count(b"HTTP/1.1") == 1
    finally:
        running.stop()


def test_connections_beyond_the_limit_wait_until_one_closes():
    running = Server("--worker-connections", "2")
    try:
        first, second = running.connection(), running.connection()
        get(first, "/peer"), get(second, "/peer")
        with socket.create_connection(("127.0.0.1", running.port), timeout=1) as third:
            third.sendall(b"GET /peer HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            with pytest.raises(TimeoutError):
                third.recv(65536)  # not accepted while two are open
            first.close()
            third.settimeout(10)
            assert receive_all(third).startswith(b"HTTP/1.1 200 OK")
        assert "pid" in get(second, "/peer")
    finally:
        running.stop()


def test_after_max_requests_a_fresh_worker_takes_over():
    running = Server("--max-requests", "5", "--max-requests-jitter", "0")
    try:
        pids = set()
        connection = running.connection()
        for _ in range(12):
            try:
                pids.add(get(connection, "/peer")["pid"])
            except (ConnectionError, http.client.RemoteDisconnected):
                # the old worker closed the connection after its last response
                connection = running.connection()
                pids.add(get(connection, "/peer")["pid"])
        assert len(pids) >= 2
    finally:
        running.stop()


def test_a_request_being_served_is_answered_through_a_graceful_stop(tmp_path: Path):
    running = Server()
    marker = tmp_path / "started"
    answer: dict[str, Any] = {}

    def slow_request() -> None:
        connection = running.connection()
        connection.request("GET", f"/sleep?seconds=2&mark={marker}")
        response = connection.getresponse()
        answer["status"] = response.status

    client = threading.Thread(target=slow_request)
    client.start()
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)  # polling interval until the worker is inside the request
    assert marker.exists()
    assert running.stop() == 0
    client.join(timeout=30)
    assert answer == {"status": 200}


@pytest.mark.parametrize("timeout", ["1", "2"])
def test_an_idle_worker_keeps_its_heartbeat(timeout: str):
    running = Server("--timeout", timeout)
    try:
        before = get(running.connection(), "/peer")["pid"]
        time.sleep(5)  # idle for longer than the arbiter's timeout
        assert get(running.connection(), "/peer")["pid"] == before
    finally:
        running.stop()


def test_threaded_loops_serve_other_connections_while_one_request_waits(tmp_path: Path):
    """One process: a request that sleeps holds its own loop only."""
    running = Server(worker=THREADED, threads=4)
    try:
        marker = tmp_path / "started"
        slow_answer: dict[str, Any] = {}

        def slow_request() -> None:
            slow_answer.update(get(running.connection(), f"/sleep?seconds=3&mark={marker}"))

        client = threading.Thread(target=slow_request)
        client.start()
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)  # polling interval until the worker is inside the request
        answers = [get(running.connection(), "/peer") for _ in range(5)]
        assert not slow_answer  # all five answered while the slow one still sleeps
        client.join(timeout=30)
        assert {answer["pid"] for answer in answers} == {slow_answer["pid"]}
    finally:
        running.stop()


def test_threaded_loops_stop_gracefully_and_recycle(tmp_path: Path):
    running = Server("--max-requests", "20", "--max-requests-jitter", "0", worker=THREADED)
    try:
        pids = set()
        for _ in range(60):
            try:
                pids.add(get(running.connection(), "/peer")["pid"])
            except (ConnectionError, http.client.RemoteDisconnected):
                pids.add(get(running.connection(), "/peer")["pid"])
        assert len(pids) >= 2
    finally:
        assert running.stop() == 0


def workers_of(server: Server, count: int, loops: int) -> list[int]:
    """The pids of the master's ``count`` workers, once that many serve: each has the app
    loaded and its ``loops`` threads running."""
    deadline = time.monotonic() + 30
    children_file = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    while time.monotonic() < deadline:
        children = [int(pid) for pid in children_file.read_text().split()]
        if len(children) == count and all(
            len(list(Path(f"/proc/{pid}/task").iterdir())) >= loops for pid in children
        ):
            return children
        time.sleep(0.05)  # polling interval while the arbiter starts its workers
    pytest.fail(f"gunicorn did not run {count} workers within 30 s")


def open_sockets(pid: int) -> int:
    """The sockets a process holds open."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):  # closed since the listing
            count += os.readlink(fd).startswith("socket:")
    return count


def answers_on(opened: list[socket.socket]) -> list[dict[str, Any]]:
    """Send one request on each connection, then read each answer, in order."""
    for sock in opened:
        sock.sendall(b"GET /peer HTTP/1.1\r\nHost: t\r\n\r\n")
    answers = []
    for sock in opened:
        received = b""
        while not received.endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk, "the server closed a connection without answering"
            received += chunk
        answers.append(json.loads(received.split(b"\r\n\r\n", 1)[1]))
    return answers


def served_by(server: Server, connections: int) -> list[dict[str, Any]]:
    """Open ``connections`` connections at once, as a client's pool does, then send one
    request on each; the answers (the connections are closed after)."""
    opened = [
        socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(connections)
    ]
    try:
        return answers_on(opened)
    finally:
        for sock in opened:
            sock.close()


def test_a_burst_of_connections_spreads_evenly_over_workers_and_their_loops():
    """A client's pool opens its connections at once and keeps them: each worker, and
    each loop of a worker, takes its share rather than whichever woke first taking most."""
    running = Server("--workers", "3", worker=THREADED, threads=4)
    try:
        pids = workers_of(running, 3, loops=4)
        answers = served_by(running, 36)
        per_worker = Counter(answer["pid"] for answer in answers)
        assert set(per_worker) == set(pids), per_worker
        assert max(per_worker.values()) - min(per_worker.values()) <= 2, per_worker
        per_loop = Counter((answer["pid"], answer["thread"]) for answer in answers)
        assert len(per_loop) == 12, per_loop
        assert max(per_loop.values()) <= 2 * 36 // 12, per_loop
    finally:
        running.stop()


def test_connections_are_still_taken_after_the_worker_holding_fewest_is_killed():
    """A worker killed outright (SIGKILL) leaves its count behind, the fewest of all: new
    connections are still all answered, by the other worker (which holds more, so waits
    ``PATIENCE`` before each) or by the victim's replacement."""
    running = Server("--workers", "2", worker=THREADED, threads=2)
    try:
        pids = workers_of(running, 2, loops=2)
        sockets_before = {pid: open_sockets(pid) for pid in pids}
        opened = [
            socket.create_connection(("127.0.0.1", running.port), timeout=10) for _ in range(8)
        ]
        try:
            served = [answer["pid"] for answer in answers_on(opened)]
            victim = min(served)
            for sock, pid in zip(opened, served, strict=True):
                if pid == victim:
                    sock.close()  # the victim's count falls to none before it dies
            deadline = time.monotonic() + 10
            while open_sockets(victim) > sockets_before[victim] and time.monotonic() < deadline:
                time.sleep(0.02)  # polling interval while the victim closes its side
            os.kill(victim, signal.SIGKILL)
            answers = served_by(running, 12)
            assert victim not in {answer["pid"] for answer in answers}
        finally:
            for sock in opened:
                sock.close()
    finally:
        running.stop()
