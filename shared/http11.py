"""HTTP/1.1 on one connection, for ``shared.serving.KeepAliveWorker``.

Requests are parsed by httptools (the binding of llhttp, Node.js's parser): in C, strict
(a request with both ``Content-Length`` and ``Transfer-Encoding``, a duplicate
``Content-Length``, an obsolete folded header or a bad chunk is refused), and with
chunked bodies decoded. From each request the WSGI environ is built as gunicorn builds
it (PEP 3333, plus gunicorn's ``RAW_URI``, ``REMOTE_PORT`` and
``wsgi.input_terminated``), and the response is written with one ``sendall`` when the
app returns its body in one piece, as Flask does.

Through gunicorn's own parser and response writer (its configuration looked up two dozen
times per request, the peer's address parsed by ``ipaddress``, a regular expression per
header) the worker spent 0.63 M instructions of its own per progress read; with this
module 0.14 M (``bench/RESULTS.md``, "The keep-alive worker on httptools").

The request head is bounded by gunicorn's settings: a request target longer than
``limit_request_line`` is refused with 414, a header line longer than
``limit_request_field_size`` or more than ``limit_request_fields`` headers with 431.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote_to_bytes

import httptools
from gunicorn import util
from werkzeug.exceptions import BadRequest

from shared.http import PROBLEM_JSON, problem_body

#: bytes of a request body the app did not read that are received and dropped after the
#: response so that the connection can be kept; past it the connection is closed
#: instead (gunicorn's drain cap)
DRAIN_MAX_BYTES = 64 * 1024
#: bytes of a body received before the app is called (a malformed body of up to this
#: size is refused with 400 before the app sees it); the rest the app reads as it comes
PREREAD_BYTES = 64 * 1024
#: bytes asked of the socket per read
RECV_SIZE = 65536

#: headers that concern one connection (RFC 9110, 7.6.1); an app may not set them
#: (PEP 3333), except that its ``Connection: close`` is honoured
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


#: what gunicorn's own refusals say (its messages quote the request; these do not)
ERROR_DETAILS = {
    400: "the request is malformed",
    403: "the request is refused",
    414: "the request line is too long",
    417: "the expectation cannot be met",
    431: "a request header, or all of them together, is too long",
    500: "the server failed to handle the request",
    501: "the transfer coding is not supported",
}


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """A refusal of the server's own, as problem+json (shared/http.py's shape), with
    gunicorn's ``util.write_error`` signature: ``mesg`` quotes the request and is not
    sent. The keep-alive worker answers with it, and deploy/gunicorn.conf.py puts it in
    place of gunicorn's HTML error page in gunicorn's own workers."""
    code = reason.lower().replace(" ", "_").replace("-", "_")
    detail = ERROR_DETAILS.get(status_int, reason.lower())
    body = problem_body(status_int, reason, detail, code=code, request_id=None).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {PROBLEM_JSON}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-store\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


class RequestError(Exception):
    """A request the server refuses before the app sees it."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


class Limits:
    """What gunicorn's configuration allows of a request head."""

    __slots__ = ("field_size", "fields", "head", "line")

    def __init__(self, line: int, field_size: int, fields: int) -> None:
        # gunicorn's 0 means "no limit" for the line and the field size
        self.line = line or sys.maxsize
        self.field_size = field_size or sys.maxsize
        self.fields = fields
        self.head = self.line + (fields + 1) * min(self.field_size + 2, 1 << 20) + 4


class Request:
    """One request as it arrives: its head, then its body."""

    __slots__ = (
        "body",
        "complete",
        "discard",
        "dropped",
        "expect_continue",
        "head_complete",
        "headers",
        "keep_alive",
        "method",
        "url",
        "version",
    )

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.method = ""
        self.version = "1.1"
        self.keep_alive = True
        self.expect_continue = False
        self.head_complete = False
        self.complete = False
        #: the body received and not yet read by the app
        self.body = bytearray()
        #: set once the app is done: what still arrives of the body is dropped
        self.discard = False
        #: bytes of the body the app did not read
        self.dropped = 0


class Connection:
    """An accepted client connection: its socket, and the requests parsed from it.

    ``receive`` reads once from the socket and parses what arrived; the httptools
    callbacks (``on_*``) queue each request in ``requests`` as it begins. Several may
    be queued when a client pipelines them.
    """

    __slots__ = (
        "client",
        "closing_until",
        "error",
        "head_bytes",
        "idle_since",
        "limits",
        "parser",
        "receiving",
        "requests",
        "server",
        "sock",
        "until",
        "upgraded",
    )

    def __init__(self, sock: socket.socket, client: Any, server: Any, limits: Limits) -> None:
        self.sock = sock
        self.client = client
        self.server = server
        self.limits = limits
        self.parser = httptools.HttpRequestParser(self)
        self.requests: deque[Request] = deque()
        #: the request whose bytes are being parsed (the last one queued)
        self.receiving: Request | None = None
        #: bytes received since the request being parsed began, until its head is whole
        self.head_bytes = 0
        #: what made the parser stop: answered once the requests before it are
        self.error: RequestError | None = None
        #: an ``Upgrade`` or ``CONNECT`` request was parsed: nothing after it is HTTP
        self.upgraded = False
        #: no read after this ``time.monotonic()`` value: a request cannot take longer
        #: to arrive by sending a byte just before each read's timeout
        self.until = 0.0
        self.idle_since = time.monotonic()
        #: set once the server has said its last word: when to stop waiting for the
        #: client's close
        self.closing_until: float | None = None

    def buffered(self) -> bool:
        """Whether the client already sent (part of) its next request (pipelining)."""
        return bool(self.requests) or self.error is not None

    # -- reading ----------------------------------------------------------------------

    def receive(self) -> bool:
        """Read once from the socket and parse it; False when nothing more can come
        (the client closed, or parsing stopped at an error or an upgrade)."""
        if self.error is not None or self.upgraded:
            return False
        if time.monotonic() > self.until:
            raise TimeoutError("the request took too long to arrive")
        data = self.sock.recv(RECV_SIZE)
        if not data:
            return False
        receiving = self.receiving
        if receiving is None or receiving.complete or not receiving.head_complete:
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.upgraded = True
            if self.receiving is not None:
                self.receiving.complete = True
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            self.error = (
                cause if isinstance(cause, RequestError) else RequestError(400, "Bad Request")
            )
        except httptools.HttpParserError:
            self.error = RequestError(400, "Bad Request")
        receiving = self.receiving
        if (
            self.error is None
            and (receiving is None or receiving.complete or not receiving.head_complete)
            and self.head_bytes > self.limits.head
        ):
            self.error = RequestError(431, "Request Header Fields Too Large")
        return self.error is None

    def next_request(self) -> Request | None:
        """The next request whose head has arrived, reading as long as it takes; None
        when the client closed first. Raises the ``RequestError`` that stopped parsing
        once every request before it has been answered."""
        while not (self.requests and self.requests[0].head_complete):
            if self.requests and self.error is not None:
                # the error is in the head of the request at the front
                self.requests.clear()
            if not self.requests and self.error is not None:
                raise self.error
            if not self.receive() and self.error is None:
                return None
        return self.requests[0]

    def preread(self, request: Request) -> None:
        """Receive ``request``'s body up to ``PREREAD_BYTES`` before the app runs,
        unless the client waits to be told to send it (``Expect: 100-continue``)."""
        if not request.complete and request.version == "1.1":
            request.expect_continue = any(
                name.lower() == b"expect" and value.lower() == b"100-continue"
                for name, value in request.headers
            )
            if request.expect_continue:
                return
        while not request.complete and len(request.body) < PREREAD_BYTES:
            if not self.receive():
                break
        if not request.complete and self.error is not None and self.requests[0] is request:
            # the body itself is malformed, and small enough to tell before the app
            self.requests.clear()
            raise self.error

    def finish(self, request: Request) -> bool:
        """Drop what the app left of ``request``'s body (while at most
        ``DRAIN_MAX_BYTES`` of it were left, and within the connection's deadline);
        whether the next request can follow on this connection."""
        if request.expect_continue:
            # never told to send its body, the client may send it or the next request
            self.requests.popleft()
            return False
        request.discard = True
        request.dropped = len(request.body)
        request.body.clear()
        while not request.complete and request.dropped <= DRAIN_MAX_BYTES:
            if not self.receive():
                break
        self.requests.popleft()
        return request.complete and not self.upgraded

    # -- httptools callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        request = Request()
        self.requests.append(request)
        self.receiving = request
        self.head_bytes = 0

    def on_url(self, url: bytes) -> None:
        request = self.requests[-1]
        request.url += url
        if len(request.url) > self.limits.line:
            raise RequestError(414, "Request-URI Too Long")

    def on_header(self, name: bytes, value: bytes) -> None:
        request = self.requests[-1]
        if len(name) + len(value) + 2 > self.limits.field_size:
            raise RequestError(431, "Request Header Fields Too Large")
        request.headers.append((name, value))
        if len(request.headers) > self.limits.fields:
            raise RequestError(431, "Request Header Fields Too Large")

    def on_headers_complete(self) -> None:
        request = self.requests[-1]
        parser = self.parser
        request.method = parser.get_method().decode("latin-1")
        request.version = parser.get_http_version()
        request.keep_alive = parser.should_keep_alive()
        request.head_complete = True

    def on_body(self, body: bytes) -> None:
        request = self.requests[-1]
        if request.discard:
            request.dropped += len(body)
        else:
            request.body += body

    def on_message_complete(self) -> None:
        self.requests[-1].complete = True


class Input:
    """``wsgi.input``: the request's body, read from the connection as the app asks."""

    __slots__ = ("connection", "request")

    def __init__(self, connection: Connection, request: Request) -> None:
        self.connection = connection
        self.request = request

    def _fill(self, wanted: int | None, until: bytes | None = None) -> None:
        """Receive until ``wanted`` bytes (or a line ending with ``until``) are
        buffered, or the body is complete."""
        request = self.request
        if request.expect_continue and not request.complete:
            request.expect_continue = False
            self.connection.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        while not request.complete:
            buffered = request.body
            if wanted is not None and len(buffered) >= wanted:
                return
            if until is not None and until in buffered:
                return
            if not self.connection.receive():
                if self.connection.error is not None:
                    raise BadRequest("the request body is malformed")
                return  # the client closed: what arrived is all there is

    def _take(self, size: int) -> bytes:
        body = self.request.body
        data = bytes(body[:size])
        del body[:size]
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            self._fill(None)
            return self._take(len(self.request.body))
        self._fill(size)
        return self._take(size)

    def readline(self, size: int | None = -1) -> bytes:
        limit = None if size is None or size < 0 else size
        self._fill(limit, b"\n")
        body = self.request.body
        end = body.find(b"\n") + 1 or len(body)
        return self._take(end if limit is None else min(end, limit))

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines: list[bytes] = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


#: header names whose environ keys a worker remembers (the names its clients send)
HEADER_KEYS_KEPT = 256


def environ_key(name: bytes) -> str:
    """The environ key of a request header (PEP 3333), or "" for a name with an
    underscore, which is dropped as gunicorn's ``header_map = "drop"`` does: else
    ``X_Forwarded_For`` would arrive as ``X-Forwarded-For``."""
    key = name.decode("latin-1").upper()
    if "_" in key:
        return ""
    key = key.replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key


class Environ:
    """What every request's environ shares on one worker."""

    __slots__ = ("base", "keys", "script_name", "secure_headers", "trust_forwarded")

    def __init__(
        self, cfg: Any, server_software: str, multiprocess: bool, multithread: bool = False
    ) -> None:
        self.base: dict[str, Any] = {
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": multithread,
            "wsgi.multiprocess": multiprocess,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
            "SERVER_SOFTWARE": server_software,
        }
        allowed = cfg.forwarded_allow_ips
        self.trust_forwarded: Callable[[str], bool] = (
            (lambda _: True) if "*" in allowed else frozenset(allowed).__contains__
        )
        self.secure_headers = {
            "HTTP_" + name.upper().replace("-", "_"): value.lower()
            for name, value in cfg.secure_scheme_headers.items()
        }
        self.script_name = os.environ.get("SCRIPT_NAME", "")
        #: header name (as sent) -> environ key
        self.keys: dict[bytes, str] = {}

    def build(self, request: Request, connection: Connection) -> dict[str, Any]:
        environ = dict(self.base)
        keys = self.keys
        for name, value in request.headers:
            key = keys.get(name)
            if key is None:
                key = environ_key(name)
                if len(keys) < HEADER_KEYS_KEPT:
                    keys[name] = key
            if not key:
                continue
            text = value.decode("latin-1")
            if key in environ and key[0] == "H":
                environ[key] += "," + text
            else:
                environ[key] = text
        url = request.url
        path, _, query = url.partition(b"#")[0].partition(b"?")
        if not path.startswith(b"/"):
            try:
                path = httptools.parse_url(url).path or b"/"
            except httptools.HttpParserInvalidURLError:
                raise RequestError(400, "Bad Request") from None
        path_info = (unquote_to_bytes(path) if b"%" in path else path).decode("latin-1")
        script_name = self.script_name
        if script_name and path_info.startswith(script_name):
            path_info = path_info[len(script_name) :]
        environ["REQUEST_METHOD"] = request.method
        environ["RAW_URI"] = url.decode("latin-1")
        environ["PATH_INFO"] = path_info
        environ["SCRIPT_NAME"] = script_name
        environ["QUERY_STRING"] = query.decode("latin-1")
        environ["SERVER_PROTOCOL"] = "HTTP/" + request.version
        client = connection.client
        if isinstance(client, tuple):
            environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = client[0], str(client[1])
        else:
            environ["REMOTE_ADDR"] = str(client or "")
        server = connection.server
        if isinstance(server, tuple):
            environ["SERVER_NAME"], environ["SERVER_PORT"] = str(server[0]), str(server[1])
        else:
            environ["SERVER_NAME"], environ["SERVER_PORT"] = str(server or ""), ""
        scheme = "http"
        if self.secure_headers and self.trust_forwarded(environ["REMOTE_ADDR"]):
            for key, secure in self.secure_headers.items():
                if environ.get(key, "").lower() == secure:
                    scheme = "https"
        environ["wsgi.url_scheme"] = scheme
        environ["wsgi.input"] = Input(connection, request)
        return environ


class HttpDate:
    """The ``Date`` header's value, formatted once a second.

    Shared by a worker's loops (``shared.serving.ThreadedKeepAliveWorker``): the second
    and its text are replaced together, as one tuple, so that a thread never reads a new
    second with the old text (or, at the start, with none)."""

    __slots__ = ("current",)

    def __init__(self) -> None:
        self.current = (-1, "")

    def __call__(self) -> str:
        now = int(time.time())
        second, text = self.current
        if now != second:
            text = formatdate(now, usegmt=True)
            self.current = (now, text)
        return text


class Response:
    """The app's ``start_response`` and what follows it on the wire."""

    __slots__ = (
        "chunked",
        "close",
        "connection",
        "date",
        "head",
        "head_sent",
        "headers",
        "length",
        "no_body",
        "request",
        "sent",
        "status",
    )

    def __init__(
        self, connection: Connection, request: Request, date: HttpDate, close: bool
    ) -> None:
        self.connection = connection
        self.request = request
        self.date = date
        self.close = close or not request.keep_alive
        self.status = ""
        self.headers: list[tuple[str, str]] = []
        self.head = b""
        self.head_sent = False
        self.length: int | None = None
        self.chunked = False
        self.no_body = request.method == "HEAD"
        self.sent = 0

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            try:
                if self.head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status:
            raise AssertionError("start_response called a second time without exc_info")
        code = status[:3]
        if len(status) < 4 or not code.isdigit() or status[3] != " ":
            raise ValueError(f"invalid status line {status!r}")
        self.status = status
        self.headers = []
        self.length = None
        for name, value in headers:
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f"header {name!r} must be a pair of str")
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
                raise ValueError(f"invalid header {name!r}")
            lower = name.lower()
            if lower in HOP_BY_HOP:
                if lower == "connection" and "close" in value.lower():
                    self.close = True
                continue
            if lower == "content-length":
                self.length = int(value)
            self.headers.append((name, value))
        status_code = int(code)
        if status_code < 200 or status_code in (204, 304):
            self.no_body = True
        return self.write

    def _head(self) -> bytes:
        request = self.request
        lines = [f"HTTP/1.1 {self.status}\r\n"]
        lines += [f"{name}: {value}\r\n" for name, value in self.headers]
        if self.length is None and not self.no_body:
            if request.version == "1.1":
                self.chunked = True
                lines.append("Transfer-Encoding: chunked\r\n")
            else:
                self.close = True  # the body ends where the connection does
        lines.append(f"Date: {self.date()}\r\n")
        if self.close:
            lines.append("Connection: close\r\n\r\n")
        elif request.version == "1.0":
            lines.append("Connection: keep-alive\r\n\r\n")
        else:
            lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def write(self, data: bytes) -> None:
        if not self.status:
            raise AssertionError("the app wrote before start_response")
        if not isinstance(data, bytes):
            # before anything is sent, so that the app's error is still answered 500
            raise TypeError(f"the app's body is made of bytes, not {type(data).__name__}")
        out = b"" if self.head_sent else self._head()
        if data and not self.no_body:
            if self.length is not None:
                data = data[: max(self.length - self.sent, 0)]
            self.sent += len(data)
            if self.chunked:
                out += b"%x\r\n%s\r\n" % (len(data), data) if data else b""
            else:
                out += data
        self.head_sent = True
        if out:
            self.connection.sock.sendall(out)

    def finish(self) -> None:
        """The body is written: end it (a last chunk), or mark the connection for
        closing when the app sent less than its ``Content-Length``."""
        if not self.head_sent:
            self.write(b"")
        if self.chunked:
            self.connection.sock.sendall(b"0\r\n\r\n")
        elif self.length is not None and self.sent < self.length and not self.no_body:
            self.close = True

    def send(self, body: Iterable[bytes]) -> None:
        """Write the app's body; one ``sendall`` with the head when it is one piece."""
        if isinstance(body, list) and len(body) == 1:
            self.write(body[0])
        else:
            for chunk in body:
                if chunk:
                    self.write(chunk)
        self.finish()
