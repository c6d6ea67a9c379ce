"""``shared.http11`` through ``KeepAliveWorker.serve``, on a socket pair: requests parsed
strictly, the environ gunicorn would build, bodies read as they come, and responses
framed as HTTP/1.1 says."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.http import RequestParser
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.http.errors import ParseException
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import http11
from shared.http11 import Connection, HttpDate
from shared.serving import KeepAliveWorker
from tests.support.worker_log import WorkerLog

App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PEER = ("10.0.0.7", 41234)
LOCAL = ("127.0.0.1", 8000)


def echo_environ(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answers the environ's text values and the body it read."""
    seen = {key: value for key, value in environ.items() if isinstance(value, str)}
    seen["body"] = environ["wsgi.input"].read().decode("latin-1")
    body = json.dumps(seen).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class Served:
    """A worker serving ``app`` on one end of a socket pair; the test is the client."""

    def __init__(self, app: App = echo_environ, **settings: Any) -> None:
        cfg = Config()
        for name, value in settings.items():
            cfg.set(name, value)
        worker = KeepAliveWorker.__new__(KeepAliveWorker)
        worker.cfg = cfg
        worker.log = WorkerLog()
        worker.sockets = []
        worker.wsgi = app
        worker.alive = True
        worker.nr = 0
        worker.max_requests = 1_000_000
        worker.prepare()
        self.worker = worker
        self.server, self.client = socket.socketpair()
        self.server.settimeout(5)
        self.client.settimeout(5)
        self.connection = Connection(self.server, PEER, LOCAL, worker.limits)

    def exchange(self, raw: bytes) -> tuple[bytes, bool]:
        """Send ``raw``; everything answered, and whether the connection was kept."""
        sender = threading.Thread(target=self.client.sendall, args=(raw,))
        sender.start()
        self.connection.until = float("inf")
        keep = True
        while keep:
            keep = self.worker.loops[0].serve_one(self.connection)
            if not (keep and self.connection.buffered()):
                break
        sender.join()
        if not keep:
            self.server.shutdown(socket.SHUT_WR)
        return self.answer(closed=not keep), keep

    def answer(self, closed: bool) -> bytes:
        """What the server sent: until it closed, or, on a kept connection, until
        nothing more came for 0.2 s."""
        received = b""
        self.client.settimeout(5 if closed else 0.2)
        with contextlib.suppress(TimeoutError):
            while chunk := self.client.recv(65536):
                received += chunk
        return received

    def close(self) -> None:
        self.server.close()
        self.client.close()


def served_once(app: App, raw: bytes) -> tuple[bytes, bool]:
    """``raw`` sent to a worker serving ``app``, then closed: what it answered, and
    whether it kept the connection."""
    served = Served(app)
    try:
        return served.exchange(raw)
    finally:
        served.close()


@pytest.fixture
def served() -> Iterator[Served]:
    running = Served()
    yield running
    running.close()


def responses(raw: bytes) -> list[tuple[str, dict[str, str], bytes]]:
    """The responses in ``raw``, each as its status line, headers and body."""
    found = []
    rest = raw
    while rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines)
        if "Content-Length" in headers:
            length = int(headers["Content-Length"])
            body, rest = rest[:length], rest[length:]
        elif headers.get("Transfer-Encoding") == "chunked":
            body = b""
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line, 16)
                body, rest = body + rest[:size], rest[size + 2 :]
                if size == 0:
                    break
        else:
            body, rest = rest, b""
        found.append((status, headers, body))
    return found


def gunicorn_environ(raw: bytes) -> dict[str, str]:
    """The environ gunicorn's own parser and ``wsgi.create`` build for ``raw``."""
    cfg = Config()
    parser = RequestParser(cfg, iter([raw]), PEER)
    request = next(parser)
    _, environ = gunicorn_wsgi.create(request, None, PEER, LOCAL, cfg)
    seen = {key: value for key, value in environ.items() if isinstance(value, str)}
    seen["body"] = environ["wsgi.input"].read().decode("latin-1")
    return seen


# -- the environ ----------------------------------------------------------------------

PARITY = [
    b"GET /enrollments/abc HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer t\r\n\r\n",
    b"GET /logs?student_id=s%201&limit=100 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
    b"GET /caf%C3%A9/a%2Fb HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /x HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
    b"POST /logs HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
    b'Content-Length: 11\r\n\r\n{"a": true}',
    b"POST /logs HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: h\r\nAccept: a\r\nAccept: b\r\n\r\n",
    b"GET http://h.example/abs?q=1 HTTP/1.1\r\nHost: h.example\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: h\r\nX_Forwarded_For: spoofed\r\n\r\n",
]


@pytest.mark.parametrize("raw", PARITY, ids=range(len(PARITY)))
def test_the_environ_is_the_one_gunicorn_builds(served: Served, raw: bytes):
    answered, _ = served.exchange(raw)
    [(status, _, body)] = responses(answered)
    assert status == "HTTP/1.1 200 OK"
    ours = json.loads(body)
    theirs = gunicorn_environ(raw)
    assert ours == theirs


def test_a_header_with_an_underscore_is_dropped(served: Served):
    answered, _ = served.exchange(b"GET / HTTP/1.1\r\nHost: h\r\nX_Forwarded_For: 6.6.6.6\r\n\r\n")
    environ = json.loads(responses(answered)[0][2])
    assert not any("FORWARDED" in key for key in environ)


# -- refused before the app -----------------------------------------------------------

REFUSED = {
    "not http": (b"NOT HTTP AT ALL\r\n\r\n", 400),
    "content-length and chunked": (
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n",
        400,
    ),
    "two content-lengths": (
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        400,
    ),
    "a folded header": (b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400),
    "a bad chunk": (
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        400,
    ),
    "a control character in the path": (b"GET /a\x00b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    "a request line too long": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: h\r\n\r\n", 414),
    "a header line too long": (b"GET / HTTP/1.1\r\nX-Pad: " + b"a" * 90_000 + b"\r\n\r\n", 431),
    "too many headers": (
        b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % n for n in range(120)) + b"\r\n",
        431,
    ),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_bad_request_is_a_problem_and_the_app_never_sees_it(case: str):
    called: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        called.append(environ["PATH_INFO"])
        return echo_environ(environ, start_response)

    raw, status = REFUSED[case]
    answered, keep = served_once(app, raw)
    [(line, headers, body)] = responses(answered)
    assert line.startswith(f"HTTP/1.1 {status} ")
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["status"] == status
    assert not keep
    assert called == []
    assert b"aaaa" not in body


def test_gunicorn_refuses_the_same_heads():
    """gunicorn's own parser refuses each request ``test_a_bad_request...`` refuses."""
    for raw, _ in REFUSED.values():
        parser = RequestParser(Config(), iter([raw]), PEER)
        with pytest.raises(ParseException):
            request = next(parser)
            request.body.read()


def test_a_good_request_before_a_bad_one_is_answered_first(served: Served):
    answered, keep = served.exchange(
        b"GET /first HTTP/1.1\r\nHost: h\r\n\r\nBROKEN REQUEST\r\n\r\n"
    )
    first, second = responses(answered)
    assert first[0] == "HTTP/1.1 200 OK" and json.loads(first[2])["PATH_INFO"] == "/first"
    assert second[0].startswith("HTTP/1.1 400")
    assert not keep


# -- bodies ---------------------------------------------------------------------------


def test_pipelined_requests_with_bodies_are_answered_in_order(served: Served):
    answered, keep = served.exchange(
        b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\none"
        b"POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"
        b"GET /c HTTP/1.1\r\nHost: h\r\n\r\n"
    )
    bodies = [json.loads(body) for _, _, body in responses(answered)]
    assert [(b["PATH_INFO"], b["body"]) for b in bodies] == [
        ("/a", "one"),
        ("/b", "two"),
        ("/c", ""),
    ]
    assert keep


def test_a_body_larger_than_the_preread_is_streamed_to_the_app():
    body = bytes(range(256)) * 1024  # 256 KiB

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        stream = environ["wsgi.input"]
        received = stream.read(1000) + b"".join(iter(lambda: stream.read(65536), b""))
        start_response("200 OK", [("Content-Length", "64")])
        return [__import__("hashlib").sha256(received).hexdigest().encode()]

    served = Served(app)
    try:
        raw = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        answered, keep = served.exchange(raw)
    finally:
        served.close()
    [(_, _, digest)] = responses(answered)
    assert digest.decode() == __import__("hashlib").sha256(body).hexdigest()
    assert keep


def test_lines_are_read_as_they_come(served: Served):
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        lines = list(environ["wsgi.input"])
        body = json.dumps([line.decode() for line in lines]).encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    served.worker.wsgi = app
    answered, _ = served.exchange(
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nab\ncd\r\n4\r\n\n\nef\r\n0\r\n\r\n"
    )
    assert json.loads(responses(answered)[0][2]) == ["ab\n", "cd\n", "\n", "ef"]


def test_an_expected_continue_is_sent_when_the_app_reads_the_body(served: Served):
    served.client.sendall(
        b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"
    )
    served.connection.until = float("inf")
    server = threading.Thread(target=served.worker.loops[0].serve_one, args=(served.connection,))
    server.start()
    assert served.client.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    served.client.sendall(b"body")
    server.join(5)
    [(status, _, body)] = responses(served.answer(closed=False))
    assert status == "HTTP/1.1 200 OK" and json.loads(body)["body"] == "body"


# -- responses ------------------------------------------------------------------------


def streaming(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"one,"
    yield b""
    yield b"two"


def test_a_body_without_a_length_is_chunked_in_http_11():
    answered, keep = served_once(streaming, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    [(_, headers, body)] = responses(answered)
    assert headers["Transfer-Encoding"] == "chunked"
    assert body == b"one,two"
    assert keep


def test_a_body_without_a_length_ends_with_the_connection_in_http_10():
    answered, keep = served_once(
        streaming, b"GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n"
    )
    head, _, body = answered.partition(b"\r\n\r\n")
    assert b"Connection: close" in head and body == b"one,two"
    assert not keep


def test_http_10_is_kept_alive_only_when_asked(served: Served):
    answered, keep = served.exchange(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert responses(answered)[0][1]["Connection"] == "keep-alive" and keep
    answered, keep = served.exchange(b"GET / HTTP/1.0\r\n\r\n")
    assert responses(answered)[0][1]["Connection"] == "close" and not keep


def test_a_head_request_gets_no_body(served: Served):
    answered, keep = served.exchange(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
    head, _, rest = answered.partition(b"\r\n\r\n")
    assert b"Content-Length:" in head and rest == b""
    assert keep


def test_a_loop_reading_the_date_while_another_formats_it_gets_the_new_second(
    monkeypatch: pytest.MonkeyPatch,
):
    # Another loop of the worker asks for the date while this one is formatting the new
    # second's (simulated by asking from inside the formatting): it must get that
    # second's text, never the previous one's, nor the empty text of the start.
    date = HttpDate()
    seen: list[str] = []
    asked = False
    real = http11.formatdate

    def formatting(moment: float, usegmt: bool) -> str:
        nonlocal asked
        if not asked:
            asked = True
            seen.append(date())
        return real(moment, usegmt=usegmt)

    monkeypatch.setattr(http11, "formatdate", formatting)
    monkeypatch.setattr(http11.time, "time", lambda: 1_764_928_800.0)
    assert date() == "Fri, 05 Dec 2025 10:00:00 GMT"
    assert seen == ["Fri, 05 Dec 2025 10:00:00 GMT"]


def test_every_response_is_dated(served: Served):
    answered, _ = served.exchange(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert responses(answered)[0][1]["Date"].endswith(" GMT")


def answering(status: str, headers: list[tuple[str, str]], body: list[bytes]) -> App:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, headers)
        return body

    return app


@pytest.mark.parametrize(
    "headers",
    [[("X-Bad", "a\r\nSet-Cookie: x=1")], [("X-Bad\r\nY", "v")], [("Content-Length", "x")]],
    ids=["value", "name", "length"],
)
def test_a_response_header_that_would_split_the_response_is_a_500(headers: list[tuple[str, str]]):
    served = Served(answering("200 OK", headers, [b"x"]))
    try:
        answered, keep = served.exchange(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    finally:
        served.close()
    [(status, response_headers, _)] = responses(answered)
    assert status.startswith("HTTP/1.1 500")
    assert "Set-Cookie" not in response_headers
    assert not keep
    assert served.worker.log.errors  # type: ignore[attr-defined]


def test_the_app_cannot_set_hop_by_hop_headers_but_may_close(served: Served):
    served.worker.wsgi = answering(
        "200 OK",
        [("Content-Length", "1"), ("Transfer-Encoding", "chunked"), ("Connection", "close")],
        [b"x"],
    )
    answered, keep = served.exchange(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    [(_, headers, body)] = responses(answered)
    assert "Transfer-Encoding" not in headers and headers["Connection"] == "close"
    assert body == b"x" and not keep


def test_a_body_longer_than_its_length_is_cut_and_a_shorter_one_closes(served: Served):
    served.worker.wsgi = answering("200 OK", [("Content-Length", "3")], [b"abc", b"def"])
    answered, keep = served.exchange(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert answered.endswith(b"\r\n\r\nabc") and keep
    served.worker.wsgi = answering("200 OK", [("Content-Length", "9")], [b"abc"])
    answered, keep = served.exchange(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert answered.endswith(b"\r\n\r\nabc") and not keep


def test_an_app_error_after_the_head_was_sent_closes_without_a_second_status():
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial"
        raise RuntimeError("failed half way")

    answered, keep = served_once(app, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    assert answered.count(b"HTTP/1.1") == 1 and not keep


def test_the_body_iterable_is_closed():
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b"ok"

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Body:
        start_response("200 OK", [("Content-Length", "2")])
        return Body()

    served = Served(app)
    try:
        served.exchange(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    finally:
        served.close()
    assert closed == [True]


def test_a_body_the_app_did_not_ask_to_continue_closes_without_waiting(served: Served):
    served.worker.wsgi = answering("200 OK", [("Content-Length", "2")], [b"no"])
    answered, keep = served.exchange(
        b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"
    )
    assert b"100 Continue" not in answered and answered.endswith(b"\r\n\r\nno")
    assert not keep


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(
        [
            b"",
            b"GET / HTTP/1.1\r\nHost: h\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        ]
    ),
    junk=st.binary(max_size=300),
)
def test_whatever_arrives_the_worker_answers_or_closes_and_never_raises(prefix: bytes, junk: bytes):
    served = Served()
    try:
        served.client.sendall(prefix + junk)
        served.client.shutdown(socket.SHUT_WR)
        served.connection.until = float("inf")
        for _ in range(50):  # at most a request per few bytes
            if not served.worker.loops[0].serve_one(served.connection):
                break
        else:
            pytest.fail("the worker kept serving a closed connection")
        served.server.close()
        for status, _, _ in responses(served.answer(closed=True)):
            assert status.split(" ")[1] in {"200", "400", "414", "431"}, status
        assert served.worker.log.errors == []  # type: ignore[attr-defined]
    finally:
        served.client.close()


def test_a_body_of_text_instead_of_bytes_is_a_500_problem():
    text_body = answering("200 OK", [("Content-Length", "2")], ["no"])  # type: ignore[list-item]
    answered, keep = served_once(text_body, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    [(status, headers, _)] = responses(answered)
    assert status.startswith("HTTP/1.1 500")
    assert headers["Content-Type"] == "application/problem+json"
    assert not keep
