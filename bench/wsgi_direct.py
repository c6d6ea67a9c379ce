"""Calls into a service's WSGI entry point as a gunicorn worker makes them, in process.

What gunicorn hands the app per request (the environ of a parsed request, a
``start_response``, the body iterated and closed) without its sockets and parsing, so
``time.process_time`` around these calls is the app's own CPU per request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import re
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from shared.auth import KeyPair, development_keys
from shared.migrations import upgrade


class WsgiClient:
    """One app, called directly: ``call`` returns the status code and the raw body."""

    def __init__(self, wsgi_app: Callable[..., Any]) -> None:
        self.wsgi_app = wsgi_app

    def call(
        self, method: str, path: str, token: str, body: bytes | None = None
    ) -> tuple[int, bytes]:
        payload = body or b""
        path, _, query = path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "HTTP_X_REQUEST_ID": "bench",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(payload),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if body is not None:
            environ["CONTENT_TYPE"] = "application/json"
            environ["CONTENT_LENGTH"] = str(len(payload))
        statuses: list[int] = []

        def start_response(status: str, _headers: list[tuple[str, str]], *_exc: object) -> None:
            statuses.append(int(status.split(" ", 1)[0]))

        result = self.wsgi_app(environ, start_response)
        try:
            text = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return statuses[0], text

    def json(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        payload = None if body is None else json.dumps(body).encode()
        status, text = self.call(method, path, token, payload)
        return status, json.loads(text) if text else None


class WorkerClient(WsgiClient):
    """One app behind ``shared.serving.KeepAliveWorker``, called over a socket pair: each
    request is written as HTTP/1.1 bytes, parsed by the worker, answered by the app and
    written back, as under gunicorn but without its arbiter, the selector or TCP. What
    the worker adds to the app's own CPU per request is the difference between this
    client and ``WsgiClient``."""

    def __init__(self, app: Callable[..., Any]) -> None:
        from gunicorn.config import Config
        from gunicorn.glogging import Logger

        from shared.http11 import Connection
        from shared.serving import KeepAliveWorker

        super().__init__(app)
        worker = KeepAliveWorker.__new__(KeepAliveWorker)
        worker.cfg = Config()
        worker.log = Logger(worker.cfg)
        worker.wsgi = app
        worker.alive = True
        worker.nr = 0
        worker.max_requests = 1 << 62
        worker.prepare()
        self.worker = worker
        [self.loop] = worker.loops
        self.server, self.client = socket.socketpair()
        self.server.settimeout(5)
        self.connection = Connection(
            self.server, ("127.0.0.1", 40000), ("127.0.0.1", 8000), worker.limits
        )

    def call(
        self, method: str, path: str, token: str, body: bytes | None = None
    ) -> tuple[int, bytes]:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
            f"Authorization: Bearer {token}\r\nX-Request-Id: bench\r\n"
        )
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.client.sendall(head.encode("latin-1") + b"\r\n" + (body or b""))
        self.loop.serve(self.connection)
        received = b""
        while b"\r\n\r\n" not in received:
            received += self.client.recv(1 << 20)
        head_bytes, _, text = received.partition(b"\r\n\r\n")
        found = re.search(rb"\r\ncontent-length: (\d+)", head_bytes, re.IGNORECASE)
        if found is None:
            raise RuntimeError(f"no Content-Length in {head_bytes!r}")
        while len(text) < int(found.group(1)):
            text += self.client.recv(1 << 20)
        return int(head_bytes[9:12]), text


def client_for(app: Any, args: argparse.Namespace) -> WsgiClient:
    """The client ``--through-worker`` asks for: the app behind the keep-alive worker,
    or its WSGI entry point called directly."""
    if args.through_worker:
        return WorkerClient(app)
    return WsgiClient(app.wsgi_app)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every in-process script takes (``bench/instructions.py`` uses the last two)."""
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="write cProfile stats of one more round")
    parser.add_argument(
        "--through-worker",
        action="store_true",
        help="send each request as HTTP over a socket pair through the keep-alive worker",
    )
    parser.add_argument(
        "--no-calibration", action="store_true", help="(bench/instructions.py) skip it"
    )
    parser.add_argument(
        "--var-dir", type=Path, help="keys made there before (bench/instructions.py)"
    )


@dataclass(frozen=True)
class ServiceDatabase:
    """A fresh PostgreSQL database of one service, migrated, named in the environment the
    app reads; ``drop`` removes it."""

    server: str
    name: str
    url: str
    keys: KeyPair

    def drop(self) -> None:
        drop_database(self.server, self.name)


def service_database(service: str, migrations: Path, var_dir: Path | None) -> ServiceDatabase:
    server = os.environ.get(
        "STRIDE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"
    )
    var_dir = var_dir or Path(tempfile.mkdtemp(prefix="stride-bench-inprocess-"))
    keys = development_keys(var_dir / "var")
    os.environ.update(
        {
            "STRIDE_VAR_DIR": str(var_dir / "var"),
            "STRIDE_LOG_LEVEL": "WARNING",
            "STRIDE_AUTO_MIGRATE": "false",
            "STRIDE_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672/%2F",
        }
    )
    name = f"stride_bench_{service}_inprocess_{os.getpid()}"  # runs side by side: one each
    url = fresh_database(server, name)
    os.environ[f"STRIDE_{service.upper()}_DATABASE_URL"] = url
    upgrade(service, url, migrations)
    return ServiceDatabase(server, name, url, keys)


def fresh_database(server: str, name: str) -> str:
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server.replace('postgresql://', 'postgresql+psycopg://')}/{name}"


def drop_database(server: str, name: str) -> None:
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


#: one request of a round: method, path, bearer token, body (None: no body)
Planned = tuple[str, str, str, bytes | None]


def measure_rounds(
    client: WsgiClient,
    args: argparse.Namespace,
    plan: Callable[[], list[Planned]],
    *,
    label: str,
    expect: int = 200,
) -> None:
    """Calls ``plan()``'s requests, a warm-up round then ``args.rounds`` measured rounds,
    and prints the CPU time of this process per request (``time.process_time``: the waits
    for PostgreSQL are not in it) of each round and their median, the calibration loop of
    ``bench/activity.py`` beside them (unless ``--no-calibration``), and with
    ``--profile FILE`` one more round under cProfile. Every answer must be ``expect``."""

    def one_round() -> float:
        requests = plan()
        statuses: dict[int, int] = {}
        began = time.process_time()
        for method, path, token, body in requests:
            status, _ = client.call(method, path, token, body)
            statuses[status] = statuses.get(status, 0) + 1
        spent = (time.process_time() - began) * 1000 / len(requests)
        assert set(statuses) == {expect}, statuses
        return spent

    one_round()  # warm caches, pools, prepared statements and each caller's token
    rounds = [one_round() for _ in range(args.rounds)]
    if not args.no_calibration:
        from activity import calibration

        print(calibration())
    print(
        f"{label}: "
        + " / ".join(f"{r:.3f}" for r in rounds)
        + f" ms of CPU per request; median {statistics.median(rounds):.3f}"
    )
    if args.profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not the waits
        profiler.enable()
        one_round()
        profiler.disable()
        profiler.dump_stats(args.profile)
        print(f"profile: {args.profile}")
