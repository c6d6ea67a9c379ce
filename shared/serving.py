"""A gunicorn worker that serves kept-alive connections in its one thread.

gunicorn's ``gthread`` worker accepts and polls connections in its main thread and hands
each request to a pool thread: per request a futex wake-up, a pipe write and read, two
``epoll_ctl`` calls and switching the socket between blocking and non-blocking. Its
``sync`` worker has none of that, but closes the connection after every response, so
each request pays a TCP connect and close. ``KeepAliveWorker`` is the ``sync`` worker
with keep-alive: one thread, one selector holding the listening sockets and every open
connection, and a request served in that thread as soon as its connection is readable.
On this platform's 2-core machines, with ``shared.http11`` parsing, the server itself
costs 0.16-0.19 ms of CPU per request against gthread's 0.58 for an app that does next
to nothing (``bench/RESULTS.md``, "The keep-alive worker on httptools"; with gunicorn's
parser it took a fifth off the progress read's server CPU, "A worker without
hand-overs").

Like ``sync``, a worker serves one request at a time, so it belongs behind a proxy that
buffers whole requests (nginx, as deployed: ``proxy_request_buffering`` is on) and in
front of requests that are short: the progress and attempts APIs. A client that sends
half a request and stalls holds the worker for at most ``REQUEST_READ_TIMEOUT`` seconds,
and one that trickles it a byte at a time for at most ``REQUEST_DEADLINE`` seconds.
Run it with ``GUNICORN_WORKER_CLASS=shared.serving.KeepAliveWorker`` and
``deploy/gunicorn.conf.py``. It speaks HTTP/1.x without TLS (the gateway terminates TLS).

``ThreadedKeepAliveWorker`` runs ``threads`` such loops in one process, each a thread
with its own selector and connections: a request still never passes from one thread to
another, but requests of different connections overlap, for an app whose concurrent
requests share work (the activity API's group commit).

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
* new connections are spread evenly over the workers and over each worker's loops
  (``Spread``): a loop holding more connections than another loop of its worker, or in
  a worker holding more than another worker, lets the others take a new connection
  first. Kept-alive connections stay where they were accepted, so a client's pool
  opened in a burst would otherwise stay bound to whichever workers woke first (on
  2 cores, one of three activity API workers took up to 73% of the work, and in some
  runs one took none: bench/RESULTS.md);
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
import mmap
import os
import selectors
import socket
import threading
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
#: seconds a loop holding more than its share stops watching the listening sockets when
#: a connection waits, so that a loop or worker holding fewer takes it
DEFER = 0.005
#: seconds a waiting connection is left to the others at most: past it, a loop over its
#: share takes it (the others may be busy, or the shared counts out of date)
PATIENCE = 0.05


class Spread:
    """How many connections each worker of one arbiter holds, in memory the workers
    share: an anonymous shared mapping the arbiter makes before it forks them
    (``KeepAliveWorker.check_config``), inherited by each.

    A worker writes only its own slot (its ``age``, the arbiter's count of the workers
    it started, modulo ``SLOTS``): its pid, its open connections, and the last touch of
    its heartbeat (CLOCK_MONOTONIC, the same in every process, in ms). Each value is one
    aligned 8-byte word, written and read whole. A slot not touched for ``STALE``
    seconds (its worker exited, was killed, or is stuck) is not counted: only a live
    slot holding few connections can make the others wait, and then for at most
    ``PATIENCE`` per connection.
    """

    SLOTS = 64
    STALE = 3.0
    _WORDS = 3  # pid, connections, heartbeat (ms)

    def __init__(self) -> None:
        self.memory = mmap.mmap(-1, self.SLOTS * self._WORDS * 8)
        self.words = memoryview(self.memory).cast("q")

    def claim(self, age: int, pid: int, now: float) -> int | None:
        """The slot of the worker ``age`` (pid ``pid``), or None if a live worker holds
        it (more than ``SLOTS`` workers alive): that worker then takes connections
        without looking at the others."""
        slot = (age - 1) % self.SLOTS
        at = slot * self._WORDS
        holder = self.words[at]
        if holder not in (0, pid) and self._ms(now) - self.words[at + 2] < self.STALE * 1000:
            return None
        self.words[at + 1] = 0
        self.words[at + 2] = self._ms(now)
        self.words[at] = pid
        return slot

    def touch(self, slot: int, now: float) -> None:
        self.words[slot * self._WORDS + 2] = self._ms(now)

    def publish(self, slot: int, connections: int) -> None:
        self.words[slot * self._WORDS + 1] = connections

    def release(self, slot: int, pid: int) -> None:
        """Free ``slot`` as its worker exits (if it still holds it)."""
        if self.words[slot * self._WORDS] == pid:
            self.words[slot * self._WORDS] = 0

    def fewest_besides(self, slot: int, now: float) -> int | None:
        """The fewest connections a live worker other than ``slot``'s holds (None if
        there is none)."""
        words, fresh = self.words, self._ms(now) - self.STALE * 1000
        fewest: int | None = None
        for at in range(0, self.SLOTS * self._WORDS, self._WORDS):
            if at == slot * self._WORDS or words[at] == 0 or words[at + 2] < fresh:
                continue
            count = words[at + 1]
            if fewest is None or count < fewest:
                fewest = count
        return fewest

    @staticmethod
    def _ms(now: float) -> int:
        return int(now * 1000)


class KeepAliveWorker(base.Worker):
    """gunicorn's ``sync`` worker, keeping connections alive between requests."""

    # set by gunicorn's Worker
    alive: bool
    nr: int
    max_requests: int
    ppid: int
    sockets: list[socket.socket]

    #: whether ``threads`` loops run in the worker (``ThreadedKeepAliveWorker``)
    threaded = False
    #: the connections of the arbiter's workers, made in the arbiter before they fork
    spread: Spread | None = None
    #: this worker's slot in ``spread`` (None: it takes connections regardless)
    slot: int | None = None

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        """Called by the arbiter before it starts workers: the memory they share."""
        cls.spread = Spread()

    def init_process(self) -> None:
        if self.cfg.is_ssl:
            raise RuntimeError("KeepAliveWorker serves plain HTTP: terminate TLS in front of it")
        if self.cfg.accesslog:
            self.log.warning("KeepAliveWorker writes no access log: the app logs its requests")
        self.prepare()
        super().init_process()

    def prepare(self) -> None:
        """The worker's state before its loops run (from its ``cfg``)."""
        cfg = self.cfg
        self.heartbeat_at = 0.0
        #: the arbiter stops a worker silent for ``timeout`` seconds
        self.heartbeat_every = min(HEARTBEAT, cfg.timeout / 2)
        self.request_deadline = min(REQUEST_DEADLINE, cfg.timeout / 2)
        self.limits = Limits(
            cfg.limit_request_line, cfg.limit_request_field_size, cfg.limit_request_fields
        )
        count = max(1, cfg.threads) if self.threaded else 1
        self.environ = Environ(cfg, f"gunicorn/{__version__}", cfg.workers > 1, count > 1)
        self.date = HttpDate()
        self.counting = threading.Lock()
        connections = -(-cfg.worker_connections // count)  # the worker's, shared out
        self.loops = [Loop(self, connections) for _ in range(count)]
        #: the threads of ``loops[1:]``, once running
        self.threads: list[threading.Thread] = []

    def run(self) -> None:
        for listener in self.sockets:
            listener.setblocking(False)
        if self.spread is not None:
            self.slot = self.spread.claim(self.age, self.pid, time.monotonic())
            if self.slot is None:
                self.log.warning("More workers than Spread.SLOTS: this one takes any connection")
        self.threads = [
            threading.Thread(target=loop.run, name=f"loop-{index}", daemon=True)
            for index, loop in enumerate(self.loops[1:], start=1)
        ]
        for thread in self.threads:
            thread.start()
        try:
            self.loops[0].run()
            for thread in self.threads:
                thread.join()
        finally:
            if self.spread is not None and self.slot is not None:
                self.spread.release(self.slot, self.pid)

    def connections(self) -> int:
        """The connections open in all the worker's loops."""
        return sum(len(loop.connections) for loop in self.loops)

    def publish(self) -> None:
        """Tell the other workers how many connections this one holds (counted and
        written under a lock, so that two loops' counts are not written out of order)."""
        if self.spread is not None and self.slot is not None:
            with self.counting:
                self.spread.publish(self.slot, self.connections())

    def holds_fewest(self, now: float) -> bool:
        """Whether no other worker holds fewer connections than this one."""
        if self.spread is None or self.slot is None:
            return True
        fewest = self.spread.fewest_besides(self.slot, now)
        return fewest is None or self.connections() <= fewest

    def heartbeat(self) -> bool:
        """Touch the arbiter's heartbeat if ``heartbeat_every`` has passed; whether it
        did. Also stops the worker when its arbiter is gone."""
        now = time.monotonic()
        if now - self.heartbeat_at < self.heartbeat_every:
            return False
        self.notify()
        self.heartbeat_at = now
        if self.spread is not None and self.slot is not None:
            self.spread.touch(self.slot, now)
        if self.alive and self.ppid != os.getppid():
            self.log.info("Parent changed, shutting down: %s", self)
            self.alive = False
        if self.alive and not all(thread.is_alive() for thread in self.threads):
            # a loop that ended on its own left its connections unserved: the arbiter
            # starts a whole new worker in this one's place
            self.log.error("A loop of the worker stopped, shutting down: %s", self)
            self.alive = False
        return True

    def counted(self) -> bool:
        """Count a request; whether the worker goes on after it (``max_requests``)."""
        with self.counting:
            self.nr += 1
            if self.nr >= self.max_requests and self.alive:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
        return self.alive


class ThreadedKeepAliveWorker(KeepAliveWorker):
    """``KeepAliveWorker`` with ``threads`` loops in one process, each a thread with its
    own selector and connections, all watching the listening sockets: no request is
    handed from one thread to another, as gthread hands each one, while requests of
    different connections overlap in one process. For an app whose concurrent requests
    share work, as the activity API's single-record ``POST /logs`` share a commit
    (``shared.group_commit``)."""

    threaded = True


class Loop:
    """One thread's connections: a selector holding the listening sockets and every
    open connection, and a request served in this thread as soon as its connection is
    readable."""

    def __init__(self, worker: KeepAliveWorker, max_connections: int) -> None:
        self.worker = worker
        self.cfg = worker.cfg
        self.log = worker.log
        self.max_connections = max_connections
        self.selector = selectors.DefaultSelector()
        self.connections: dict[int, Connection] = {}
        self.listening = False
        self.checked_at = time.monotonic()
        #: when a loop that left a waiting connection to the others watches again
        self.resume_at: float | None = None
        #: since when it has been leaving waiting connections to the others, and when
        #: it last left one
        self.leaving_since: float | None = None
        self.left_at = 0.0

    # -- the loop ---------------------------------------------------------------------

    def run(self) -> None:
        worker = self.worker
        main = threading.current_thread() is threading.main_thread()
        every = worker.heartbeat_every
        self.listen(True)
        while worker.alive:
            if main:
                worker.heartbeat()
            now = time.monotonic()
            if now - self.checked_at >= every:
                self.checked_at = now
                self.close_idle(now - self.cfg.keepalive)
            wait = every
            if self.resume_at is not None:
                if now >= self.resume_at:
                    self.resume_at = None
                    self.listen(len(self.connections) < self.max_connections)
                else:
                    wait = min(wait, self.resume_at - now)
            for key, _ in self.selector.select(wait):
                if isinstance(key.data, Connection):
                    self.ready(key.data)
                else:
                    self.accept(key.fileobj)  # type: ignore[arg-type]
                if not worker.alive:
                    break
        self.stop(main)

    def stop(self, main: bool) -> None:
        """Serve what is already on its way to kept-alive connections, then close them."""
        self.listen(False)
        deadline = time.monotonic() + min(STOP_LINGER, self.cfg.keepalive or 0)
        every = self.worker.heartbeat_every
        while self.connections and (remaining := deadline - time.monotonic()) > 0:
            if main:
                self.worker.heartbeat()
            for key, _ in self.selector.select(min(remaining, every)):
                self.ready(key.data)
        for connection in list(self.connections.values()):
            self.close(connection)
        self.selector.close()

    def listen(self, on: bool) -> None:
        """Watch the listening sockets for new connections, or stop watching them."""
        if on:
            self.resume_at = None
        if on == self.listening:
            return
        for listener in self.worker.sockets:
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
        kept alive, to whichever worker woke first, while the others stay idle.

        A loop over its share (``fair_share``) leaves the connection to the others: it
        stops watching for ``DEFER`` seconds, then looks again; once a connection has
        waited ``PATIENCE`` it takes it anyway."""
        now = time.monotonic()
        if not self.fair_share(now):
            if self.leaving_since is None or now - self.left_at > PATIENCE:
                self.leaving_since = now  # a new wait, not the rest of the last one
            if now - self.leaving_since < PATIENCE:
                self.left_at = now
                self.listen(False)
                self.resume_at = now + DEFER
                return
        self.leaving_since = None
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
        connection = Connection(sock, client, listener.getsockname(), self.worker.limits)
        self.connections[sock.fileno()] = connection
        self.selector.register(sock, selectors.EVENT_READ, connection)
        self.worker.publish()
        if len(self.connections) >= self.max_connections:
            self.listen(False)

    def fair_share(self, now: float) -> bool:
        """Whether this loop may take a new connection without holding more than its
        share: no other loop of its worker holds fewer, and no other worker does."""
        mine = len(self.connections)
        if any(len(loop.connections) < mine for loop in self.worker.loops):
            return False
        return self.worker.holds_fewest(now)

    def close(self, connection: Connection) -> None:
        if self.connections.pop(connection.sock.fileno(), None) is None:
            return
        self.selector.unregister(connection.sock)
        util.close(connection.sock)
        self.worker.publish()
        if self.worker.alive and len(self.connections) < self.max_connections:
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
        """``connection`` is readable: a request, or the rest of a closing client's. One
        connection's unexpected failure closes that connection, not the loop (while it
        runs and while it stops)."""
        try:
            if connection.closing_until is None:
                self.serve(connection)
            else:
                self.drain(connection)
        except Exception:
            self.log.exception("Error serving a connection")
            self.close(connection)

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
            connection.until = time.monotonic() + self.worker.request_deadline
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
        worker = self.worker
        environ = worker.environ.build(request, connection)
        going_on = worker.counted()
        response = Response(connection, request, worker.date, close=not going_on)
        body: Any = None
        try:
            body = worker.wsgi(environ, response.start_response)
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
