"""A gunicorn worker that serves kept-alive connections in its one thread.

gunicorn's ``gthread`` worker accepts and polls connections in its main thread and hands
each request to a pool thread: per request a futex wake-up, a pipe write and read, two
``epoll_ctl`` calls and switching the socket between blocking and non-blocking. Its
``sync`` worker has none of that, but closes the connection after every response, so
each request pays a TCP connect and close. ``KeepAliveWorker`` is the ``sync`` worker
with keep-alive: one thread, one selector holding the listening sockets and every open
connection, and a request served in that thread as soon as its connection is readable.
On this platform's 2-core machines that halves what the server itself costs per request
(0.16-0.20 ms of CPU against gthread's 0.29-0.43 for an app that does nothing), and
takes a fifth off the progress read's server CPU (``bench/RESULTS.md``, "A worker
without hand-overs").

Like ``sync``, a worker serves one request at a time, so it belongs behind a proxy that
buffers whole requests (nginx, as deployed: ``proxy_request_buffering`` is on) and in
front of requests that are short: the progress and attempts APIs. A client that sends
half a request and stalls holds the worker for at most ``REQUEST_READ_TIMEOUT`` seconds,
and one that trickles it a byte at a time for at most ``REQUEST_DEADLINE`` seconds.
Run it with ``GUNICORN_WORKER_CLASS=shared.serving.KeepAliveWorker`` and
``deploy/gunicorn.conf.py``. It speaks HTTP/1.x without TLS (the gateway terminates TLS).

Requests are parsed, and responses written, by ``shared.http11`` (httptools) instead of
gunicorn's Python parser and writer; the environ is the one gunicorn builds (a test
compares them). It writes no gunicorn access log (the apps log every request) and does
not call the ``pre_request`` and ``post_request`` hooks (deploy/gunicorn.conf.py sets
neither); gunicorn's limits on the request line and headers apply.

Lifecycle, as gunicorn's own workers:

* kept-alive connections idle longer than ``keepalive`` seconds are closed;
* at most ``worker_connections`` connections are open at once: beyond that the
  listening sockets are left alone (the kernel's backlog holds new connections) until
  one closes;
* ``max_requests``: after that many requests the worker closes each connection after
  its current response and exits; the arbiter starts a fresh one;
* SIGTERM (graceful stop): no new connections; a request that is being served is
  answered; kept-alive connections are served for ``STOP_LINGER`` seconds more (a
  request may already be on its way), each closed after its response;
* a connection the server closes (``Connection: close``, a body too large to drain, an
  error) is half-closed and read for ``CLOSE_LINGER`` seconds before it is closed, in
  the loop, without holding the worker;
* the arbiter's heartbeat is touched, and idle connections looked for, once a second
  (or every half ``timeout`` when that is shorter), not once per request.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import time
from typing import Any

from gunicorn import __version__, util
from gunicorn.workers import base

from shared.http11 import (
    Connection,
    Environ,
    HttpDate,
    Limits,
    Request,
    RequestError,
    Response,
    write_problem,
)

#: seconds a readable connection may take to deliver the rest of its request, and a
#: client to take a response; past it the connection is closed
REQUEST_READ_TIMEOUT = 5.0
#: seconds a request (its head and the body the app reads) may take to arrive in all,
#: however steadily it trickles in (at most half of gunicorn's ``timeout``, so that the
#: arbiter never has to kill the worker for it)
REQUEST_DEADLINE = 10.0
#: seconds a stopping worker keeps serving its kept-alive connections
STOP_LINGER = 2.0
#: seconds a connection the server closes is read (and what arrives discarded) after
#: its last response, so that unread request bytes do not turn the close into a reset
#: that could destroy the response before the client read it (RFC 9112, 9.6)
CLOSE_LINGER = 2.0
#: seconds between two touches of the arbiter's heartbeat (at most half of ``timeout``)
HEARTBEAT = 1.0


class KeepAliveWorker(base.Worker):
    """gunicorn's ``sync`` worker, keeping connections alive between requests."""

    # set by gunicorn's Worker
    alive: bool
    nr: int
    max_requests: int
    ppid: int
    sockets: list[socket.socket]

    def init_process(self) -> None:
        if self.cfg.is_ssl:
            raise RuntimeError("KeepAliveWorker serves plain HTTP: terminate TLS in front of it")
        if self.cfg.accesslog:
            self.log.warning("KeepAliveWorker writes no access log: the app logs its requests")
        self.prepare()
        super().init_process()

    def prepare(self) -> None:
        """The worker's state before its loop runs (from its ``cfg``)."""
        self.selector = selectors.DefaultSelector()
        self.connections: dict[int, Connection] = {}
        self.listening = False
        self.heartbeat_at = 0.0
        #: the arbiter stops a worker silent for ``timeout`` seconds
        self.heartbeat_every = min(HEARTBEAT, self.cfg.timeout / 2)
        self.request_deadline = min(REQUEST_DEADLINE, self.cfg.timeout / 2)
        cfg = self.cfg
        self.limits = Limits(
            cfg.limit_request_line, cfg.limit_request_field_size, cfg.limit_request_fields
        )
        self.environ = Environ(cfg, f"gunicorn/{__version__}", cfg.workers > 1)
        self.date = HttpDate()

    # -- the loop ---------------------------------------------------------------------

    def run(self) -> None:
        for listener in self.sockets:
            listener.setblocking(False)
        self.listen(True)
        while self.alive:
            if self.heartbeat():
                self.close_idle(time.monotonic() - self.cfg.keepalive)
                if self.ppid != os.getppid():
                    self.log.info("Parent changed, shutting down: %s", self)
                    break
            for key, _ in self.selector.select(self.heartbeat_every):
                if isinstance(key.data, Connection):
                    self.ready(key.data)
                else:
                    self.accept(key.fileobj)  # type: ignore[arg-type]
                if not self.alive:
                    break
        self.alive = False
        self.stop()

    def stop(self) -> None:
        """Serve what is already on its way to kept-alive connections, then close them."""
        self.listen(False)
        deadline = time.monotonic() + min(STOP_LINGER, self.cfg.keepalive or 0)
        while self.connections and (remaining := deadline - time.monotonic()) > 0:
            self.heartbeat()
            for key, _ in self.selector.select(min(remaining, self.heartbeat_every)):
                self.ready(key.data)
        for connection in list(self.connections.values()):
            self.close(connection)
        self.selector.close()

    def heartbeat(self) -> bool:
        """Touch the arbiter's heartbeat if ``heartbeat_every`` has passed; whether it did."""
        now = time.monotonic()
        if now - self.heartbeat_at < self.heartbeat_every:
            return False
        self.notify()
        self.heartbeat_at = now
        return True

    def listen(self, on: bool) -> None:
        """Watch the listening sockets for new connections, or stop watching them."""
        if on == self.listening:
            return
        for listener in self.sockets:
            if on:
                self.selector.register(listener, selectors.EVENT_READ, None)
            else:
                self.selector.unregister(listener)
        self.listening = on

    # -- connections -------------------------------------------------------------------

    def accept(self, listener: socket.socket) -> None:
        """Take one waiting connection (as gunicorn's own workers do). The listening
        socket stays readable while more wait, and every worker watching it is woken:
        taking them all would bind a burst of new connections, for as long as they are
        kept alive, to whichever worker woke first, while the others stay idle."""
        try:
            sock, client = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            if exc.errno in (errno.ECONNABORTED, errno.EMFILE, errno.ENFILE, errno.ENOBUFS):
                self.log.warning("Cannot accept a connection: %s", exc)
                return
            raise
        sock.settimeout(REQUEST_READ_TIMEOUT)
        util.close_on_exec(sock)
        connection = Connection(sock, client, listener.getsockname(), self.limits)
        self.connections[sock.fileno()] = connection
        self.selector.register(sock, selectors.EVENT_READ, connection)
        if len(self.connections) >= self.cfg.worker_connections:
            self.listen(False)

    def close(self, connection: Connection) -> None:
        if self.connections.pop(connection.sock.fileno(), None) is None:
            return
        self.selector.unregister(connection.sock)
        util.close(connection.sock)
        if self.alive and len(self.connections) < self.cfg.worker_connections:
            self.listen(True)

    def close_idle(self, idle_before: float) -> None:
        """Close the kept-alive connections idle since before ``idle_before``, and those
        whose lingering close has lasted long enough."""
        now = time.monotonic()
        for connection in list(self.connections.values()):
            if connection.closing_until is None:
                if connection.idle_since < idle_before:
                    self.close(connection)
            elif connection.closing_until < now:
                self.close(connection)

    def linger(self, connection: Connection) -> None:
        """Close ``connection`` after its last response: send FIN now, and close once the
        client has closed its side (``drain``) or ``CLOSE_LINGER`` has passed."""
        try:
            connection.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close(connection)
            return
        connection.closing_until = time.monotonic() + CLOSE_LINGER

    def drain(self, connection: Connection) -> None:
        """Discard what a lingering connection still receives; close it at its end."""
        try:
            received = connection.sock.recv(65536)
        except OSError:
            received = b""
        if not received:
            self.close(connection)

    # -- requests ----------------------------------------------------------------------

    def ready(self, connection: Connection) -> None:
        """``connection`` is readable: a request, or the rest of a closing client's."""
        if connection.closing_until is None:
            self.serve(connection)
        else:
            self.drain(connection)

    def serve(self, connection: Connection) -> None:
        """Answer the requests the readable ``connection`` holds; close it unless it is
        kept alive."""
        keep = True
        while keep:
            keep = self.serve_one(connection)
            if not (keep and connection.buffered()):
                break
        if keep:
            connection.idle_since = time.monotonic()
        else:
            self.linger(connection)

    def serve_one(self, connection: Connection) -> bool:
        """One request of ``connection``; whether the connection stays open."""
        request = None
        try:
            connection.until = time.monotonic() + self.request_deadline
            request = connection.next_request()
            if request is None:
                return False
            connection.preread(request)
            keep = self.handle_request(request, connection)
            connection.until = time.monotonic() + REQUEST_READ_TIMEOUT
            return connection.finish(request) and keep
        except RequestError as exc:
            write_problem(connection.sock, exc.status, exc.reason, "")
            return False
        except TimeoutError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                self.log.exception("Socket error processing request.")
            return False

    def handle_request(self, request: Request, connection: Connection) -> bool:
        """Run the app for ``request`` and write its response; whether the connection
        may stay open."""
        environ = self.environ.build(request, connection)
        self.nr += 1
        if self.nr >= self.max_requests and self.alive:
            self.log.info("Autorestarting worker after current request.")
            self.alive = False
        response = Response(connection, request, self.date, close=not self.alive)
        body: Any = None
        try:
            body = self.wsgi(environ, response.start_response)
            response.send(body)
        except OSError:
            raise
        except Exception:
            self.log.exception("Error handling request %s", environ.get("RAW_URI", ""))
            if not response.head_sent:
                write_problem(connection.sock, 500, "Internal Server Error", "")
            return False
        finally:
            if hasattr(body, "close"):
                body.close()
        return not response.close
