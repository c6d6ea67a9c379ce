"""The importer's HTTP client retries what is worth retrying, against a real local server;
waiting for the consumers needs several empty looks in a row."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.oulad.catchup import Backlog, NotCaughtUp, wait_until_caught_up
from shared.oulad.client import ApiClient, ApiError

pytestmark = pytest.mark.unit


class Scripted(BaseHTTPRequestHandler):
    """Answers each request with the next (status, body) of the server's script."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.seen.append((self.path, self.headers["Authorization"], self.rfile.read(length)))  # type: ignore[attr-defined]
        status, body = self.server.script.pop(0)  # type: ignore[attr-defined]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    httpd.script, httpd.seen = [], []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def client_of(server: ThreadingHTTPServer, slept: list[float]) -> ApiClient:
    host, port = server.server_address[:2]
    return ApiClient(f"http://{host!s}:{port}/", "TOKEN", attempts=4, sleep=slept.append)


def test_unavailable_answers_are_tried_again_and_counted(server):
    server.script += [(503, {}), (429, {}), (200, {"ok": True})]  # type: ignore[attr-defined]
    slept: list[float] = []
    client = client_of(server, slept)

    assert client.expect("POST", "/api/x", json={"a": 1}) == {"ok": True}
    assert (client.requests, client.retries) == (3, 2)
    assert slept == [0.5, 1.0]
    path, authorization, body = server.seen[-1]  # type: ignore[attr-defined]
    assert (path, authorization, json.loads(body)) == ("/api/x", "Bearer TOKEN", {"a": 1})


def test_a_refusal_is_not_retried_and_is_raised_with_its_body(server):
    server.script += [(422, {"errors": {"records.0.score": ["too high"]}})]  # type: ignore[attr-defined]
    client = client_of(server, [])

    with pytest.raises(ApiError, match=r"POST /api/x: 422 .*records.0.score") as refused:
        client.expect("POST", "/api/x", json={})
    assert (refused.value.status, client.requests) == (422, 1)


def test_a_platform_that_stays_unavailable_is_given_up_on(server):
    server.script += [(503, {})] * 4  # type: ignore[attr-defined]
    client = client_of(server, [])

    with pytest.raises(ApiError, match="503"):
        client.expect("POST", "/api/x", json={})
    assert client.requests == 4


def test_an_unreachable_platform_is_said_so():
    client = ApiClient("http://127.0.0.1:9", "TOKEN", attempts=2, sleep=lambda _: None)

    with pytest.raises(ApiError, match="unreachable"):
        client.expect("GET", "/api/x")


def fake_clock() -> tuple[list[float], Callable[[float], None], Callable[[], float]]:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    return now, sleep, lambda: now[0]


def test_caught_up_after_three_empty_looks_in_a_row():
    looks = iter(
        [Backlog(5, 0), Backlog(0, 0), Backlog(0, 2), Backlog(0, 0), Backlog(0, 0), Backlog(0, 0)]
    )
    _now, sleep, clock = fake_clock()

    waited = wait_until_caught_up(lambda: next(looks), sleep=sleep, clock=clock)

    assert waited == 5.0  # six looks, one second apart


def test_a_backlog_that_never_drains_is_reported():
    _now, sleep, clock = fake_clock()

    with pytest.raises(NotCaughtUp, match=r"3 event\(s\) still unsent by progress, 7 queued"):
        wait_until_caught_up(lambda: Backlog(3, 7), timeout=10, sleep=sleep, clock=clock)
