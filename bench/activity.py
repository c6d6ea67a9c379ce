"""Activity service benchmark on the real PostgreSQL and RabbitMQ, the app under gunicorn.

Measures over HTTP (keep-alive connections, bearer tokens, audit and outbox included):

* batches of 500 records (``POST /logs``) end to end: records per second from the first
  request until every record is durable in PostgreSQL and every batch event has been
  published to RabbitMQ (confirmed) by the outbox relay (``stride relay activity``);
* single-record POSTs at a fixed arrival rate (open loop: a request's latency runs from
  the moment it was due, so a server that falls behind is charged for the queueing),
  with the CPU each request cost the gunicorn processes, the PostgreSQL backends, the
  relay and the load generator (utime + stime from /proc over the measure: on this
  machine they all share the same cores, so their sum bounds the rate), and each
  gunicorn worker's share of the workers' CPU (how evenly the connections spread);
* a student's last 100 records (``GET /logs?student_id=...&limit=100``) at a fixed rate
  with ``--seed`` records stored (COPY, spread over the current month's partition);
* the batch throughput again with that month's partition full, as a share of the
  throughput on the empty store;
* the resident memory of the gunicorn processes (master and workers), sampled every
  second through the whole run: first sample, last sample and peak.

Each server is waited for until every gunicorn worker has loaded the app and runs its
loops (``quiet.wait_until_serving``), and each fixed-rate load is preceded by one
unmeasured second of the same requests, so that every worker is warm when the measure
starts. An offered rate counts as kept up when the answers end within 1% of the planned
time (``KEPT_UP``).

    .venv/bin/python bench/activity.py [--runs 3] [--batches 200] [--single-rate 1500]
        [--read-rate 500] [--seconds 20] [--seed 10000000] [--phases single,read]
        [--keep-seed]

``--phases`` runs only some of the measures (``batch``: both batch measures' empty-store
half and the warm-up, ``single``, ``read``, ``full``, ``soak``; all by default). The
seeded records are COPYed once into a template database (``stride_bench_activity_seed``,
2-8 minutes for 10,000,000 on this machine), vacuumed as autovacuum would after so many
inserts, and each run that reads them works on a copy of it
(``CREATE DATABASE ... TEMPLATE``, well under a minute), on a gunicorn and relay
restarted for it; ``--keep-seed`` keeps the template for the next invocation, which
reuses it if it holds the same seed (by default it is dropped at the end).

A calibration first times fixed work on this machine (a pure-Python loop, and the
msgspec and marshmallow validation of one batch) so runs on a loaded machine can be
told apart. Each figure is the median of the runs.

Servers: ``STRIDE_BENCH_POSTGRES_URL`` (default postgresql+psycopg://postgres@127.0.0.1:5432;
the database ``stride_bench_activity`` is dropped and created for each run) and
``STRIDE_BENCH_AMQP_URL`` (default amqp://guest:guest@127.0.0.1:5672/%2F; the benchmark
binds a queue of its own to ``activity.logs.recorded`` and deletes it at the end).
Gunicorn runs with ``deploy/gunicorn.conf.py``. Before each run the script waits (up to
15 min) while another benchmark runs and uses CPU.
"""

from __future__ import annotations

import argparse
import http.client
import io
import itertools
import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import psycopg
from kombu import Connection, Queue

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from quiet import (  # noqa: E402
    child_pids,
    gunicorn_as_deployed,
    other_benchmarks,
    process_cpu,
    tree_cpu,
    wait_until_quiet,
    wait_until_serving,
)

from services.activity.app import MIGRATIONS  # noqa: E402
from services.activity.domain import month_of  # noqa: E402
from services.activity.schemas import ActivityLogInSchema, parse_ingest_body  # noqa: E402
from shared.auth import development_keys, mint_token  # noqa: E402
from shared.config import load_settings  # noqa: E402
from shared.events.topology import events_exchange  # noqa: E402
from shared.migrations import upgrade  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
DATABASE = "stride_bench_activity"
#: the seeded records, copied for each run that reads them
SEED_DATABASE = "stride_bench_activity_seed"
PHASES = ("batch", "single", "read", "full", "soak")
BATCH = 500
OTHER_BENCHMARKS = "bench/(backbone|progress|attempts)"
TARGETS = {
    "batch records/s": 10_000.0,
    "single POSTs/s": 1_500.0,
    "single p95 ms": 30.0,
    "read p95 ms": 10.0,
    "full/empty ingestion": 0.75,
}
#: an offered rate is met when the answers end at most 1% after the last request was
#: due: the achieved rate runs to the last answer, so even a server that answers every
#: request at once achieves a hair under the rate offered (1,499.6/s for 1,500)
KEPT_UP = 0.99


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def lag_line(lags_ms: Sequence[float]) -> str:
    return (
        f"client's own lateness p95 {percentile(lags_ms, 0.95):.2f} ms, "
        f"p99 {percentile(lags_ms, 0.99):.2f} ms"
    )


def summary(name: str, latencies_ms: Sequence[float]) -> str:
    return (
        f"{name}: n={len(latencies_ms)} p50={percentile(latencies_ms, 0.5):.2f} ms "
        f"p95={percentile(latencies_ms, 0.95):.2f} ms p99={percentile(latencies_ms, 0.99):.2f} ms"
    )


def now_iso(offset_seconds: float = 0.0) -> str:
    return (datetime.now(UTC) - timedelta(seconds=offset_seconds)).isoformat()


def sample_record(student: str, n: int) -> dict[str, Any]:
    return {
        "id": f"LOG-{uuid.uuid4().hex}",
        "student_id": student,
        "timestamp": now_iso(n % 3600),
        "activity_type": "video_play",
        "course_id": "CRS-BENCH-1",
        "lesson_id": f"LSN-{n % 40}",
        "resource_id": f"RES-{n % 200}",
        "session_id": f"SES-{student}",
        "details": {
            "duration": n % 600,
            "progress": n % 100,
            "input_method": "mouse",
            "page_url": "https://lms.example/courses/1/lessons/2?utm_source=mail",
            "load_time": 120,
        },
        "device_info": {"type": "desktop", "browser": "Firefox", "connection_type": "wifi"},
        "success": True,
    }


# -- calibration ------------------------------------------------------------------------
def calibration() -> str:
    """Fixed work timed on this machine now: how fast one core is at the moment."""
    began = time.perf_counter()
    total = 0
    for number in range(2_000_000):
        total += number % 7
    loop_ms = (time.perf_counter() - began) * 1000
    batch = {"records": [sample_record(f"USR-STU-{n % 50}", n) for n in range(BATCH)]}
    body = json.dumps(batch).encode()
    now = datetime.now(UTC)
    began = time.perf_counter()
    for _ in range(10):
        parse_ingest_body(body, now=now, oldest=now - timedelta(days=1095))
    fast = 10 * BATCH / (time.perf_counter() - began)
    schema = ActivityLogInSchema()
    began = time.perf_counter()
    schema.load(batch["records"], many=True)
    slow = BATCH / (time.perf_counter() - began)
    return (
        f"calibration: 2,000,000-step Python loop {loop_ms:.0f} ms; one core validates "
        f"{fast:,.0f} records/s with msgspec (hot path), {slow:,.0f} with marshmallow"
    )


# -- processes --------------------------------------------------------------------------
class Http:
    """One keep-alive connection to the app."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, token: str, body: bytes | None = None) -> int:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        response.read()
        return response.status


def driver_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def fresh_database(postgres_url: str, template: str | None = None) -> str:
    """The run's database, empty or a copy of ``template``."""
    with psycopg.connect(f"{driver_url(postgres_url)}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        connection.execute(f'CREATE DATABASE "{DATABASE}"{copy}')
    return f"{postgres_url}/{DATABASE}"


def seeded_template(postgres_url: str, records: int, students: int) -> str:
    """The template database holding ``records`` seeded records (made if it does not
    hold exactly these: its comment names the seed and the migrations' head)."""
    admin = f"{driver_url(postgres_url)}/postgres"
    label = (
        f"seed {records} records, {students} students, month {month_of(datetime.now(UTC))}, "
        f"migrations {migrations_head()}, vacuumed"
    )
    with psycopg.connect(admin, autocommit=True) as connection:
        row = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (SEED_DATABASE,),
        ).fetchone()
        if row is not None and row[0] == label:
            return SEED_DATABASE
        connection.execute(f'DROP DATABASE IF EXISTS "{SEED_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{SEED_DATABASE}"')
    url = f"{postgres_url}/{SEED_DATABASE}"
    began = time.monotonic()
    upgrade("activity", url, MIGRATIONS)
    seed(driver_url(url), records, students)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"COMMENT ON DATABASE \"{SEED_DATABASE}\" IS '{label}'")
    print(f"  seeded {records:,} records in {time.monotonic() - began:.0f} s", flush=True)
    return SEED_DATABASE


def migrations_head() -> str:
    """The newest migration of the activity service (a template made before it is stale)."""
    return max(path.stem for path in (MIGRATIONS / "versions").glob("*.py"))


def drop_database(postgres_url: str, name: str) -> None:
    with psycopg.connect(f"{driver_url(postgres_url)}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def service_env(url: str, amqp: str, var_dir: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "STRIDE_ACTIVITY_DATABASE_URL": url,
        "STRIDE_BROKER_URL": amqp,
        "STRIDE_VAR_DIR": str(var_dir),
        "STRIDE_LOG_LEVEL": "WARNING",
        "STRIDE_BIND": f"127.0.0.1:{port}",
        "GUNICORN_LOG_LEVEL": "warning",
        "STRIDE_AUTO_MIGRATE": "false",
    }


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
         "services.activity.app:create_app()"],
        cwd=REPO_ROOT,
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                wait_until_serving(process.pid)
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def start_relay(env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "stride"), "relay", "activity"]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class MemorySampler:
    """Resident memory of gunicorn (master and workers), once a second."""

    server: int
    samples: list[float] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> MemorySampler:
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def _run(self) -> None:
        while not self.stopping.wait(1.0):
            self.samples.append(
                rss_mb(self.server) + sum(rss_mb(pid) for pid in child_pids(self.server))
            )


@dataclass
class CpuMeter:
    """CPU time (utime + stime from /proc) used since its creation by gunicorn (master
    and workers), the relay, the PostgreSQL backends of the benchmark's database and this
    process (the load generator), per request."""

    server: int
    relay: int
    plain_url: str
    started: dict[str, float] = field(default_factory=dict)
    workers_started: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.started = self.sample()
        self.workers_started = self.workers()

    def workers(self) -> dict[int, float]:
        """CPU seconds of each gunicorn worker alive now, by pid."""
        return {pid: process_cpu(pid) for pid in child_pids(self.server)}

    def worker_shares(self) -> list[float]:
        """Each worker's share of the workers' CPU since the start (the workers alive
        throughout, largest first): how evenly the connections spread over them."""
        now = self.workers()
        used = [now[pid] - cpu for pid, cpu in self.workers_started.items() if pid in now]
        total = sum(used) or 1.0
        return sorted((share / total for share in used), reverse=True)

    def sample(self) -> dict[str, float]:
        found = subprocess.run(
            ["pgrep", "-f", f"postgres: .*{DATABASE}"], capture_output=True, text=True
        )
        backends = [int(pid) for pid in found.stdout.split()]
        return {
            "server": tree_cpu(self.server),
            "postgres": sum(process_cpu(pid) for pid in backends),
            "relay": process_cpu(self.relay),
            "client": time.process_time(),
        }

    def per_request(self, requests: int) -> dict[str, float]:
        """CPU ms per request of each part since the start."""
        now = self.sample()
        return {name: 1000 * (now[name] - self.started[name]) / max(requests, 1) for name in now}


def cpu_line(cpu: dict[str, float]) -> str:
    return (
        "CPU ms/request: "
        + ", ".join(f"{name} {ms:.3f}" for name, ms in cpu.items())
        + (f" (all {sum(cpu.values()):.3f})")
    )


# -- loads ------------------------------------------------------------------------------
def unsent(plain_url: str) -> int:
    with psycopg.connect(plain_url) as connection:
        row = connection.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()
        return int(row[0]) if row else 0


def batch_throughput(port: int, token: str, plain_url: str, batches: int, clients: int) -> float:
    """Records/s from the first POST until every batch is durable and its events published."""
    bodies = []
    for b in range(batches):
        records = [sample_record(f"USR-STU-B{b % 400}", n) for n in range(BATCH)]
        bodies.append(json.dumps({"records": records}).encode())
    counter = itertools.count()
    failures = [0]

    def work() -> None:
        client = Http(port)
        while (index := next(counter)) < batches:
            if client.call("POST", "/logs", token, bodies[index]) != 202:
                failures[0] += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    while unsent(plain_url):
        time.sleep(0.05)
    elapsed = time.perf_counter() - began
    if failures[0]:
        raise RuntimeError(f"{failures[0]} batches were not accepted")
    return batches * BATCH / elapsed


def http_request(method: str, path: str, token: str, body: bytes = b"") -> bytes:
    """One HTTP/1.1 request as bytes, for ``open_loop``."""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@dataclass
class _Exchange:
    """A keep-alive connection of ``open_loop`` and the response it is reading."""

    sock: socket.socket
    due: float = 0.0
    buffer: bytes = b""
    busy: bool = False  # a request sent, its response not whole yet
    idle_at: float = 0.0  # when it last became free for a request

    closing: bool = False  # the server said ``Connection: close`` with the last response

    def status(self) -> int | None:
        """The response's status once it has arrived whole (its body by Content-Length);
        ``closing`` tells whether the server closes the connection after it."""
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        head = self.buffer[:head_end].decode("latin-1")
        length = 0
        closing = False
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                closing = value.strip().lower() == "close"
        if len(self.buffer) < head_end + 4 + length:
            return None
        self.buffer = self.buffer[head_end + 4 + length :]
        self.closing = closing
        return int(head.split(" ", 2)[1])


class Load(NamedTuple):
    """What ``open_loop`` measured: latencies (ms), errors, the achieved rate, and the
    client's own lateness (ms): how long after its due moment each request went out on a
    connection that was already free then (the load generator's scheduling, on cores it
    shares with the server; a request that waits for a free connection waits for the
    server and is not counted)."""

    latencies: list[float]
    errors: int
    achieved: float
    client_lags: list[float]


def open_loop(
    port: int, rate: float, seconds: float, connections: int, request: Callable[[int], bytes]
) -> Load:
    """``request(k)`` sent at a fixed arrival rate (open loop) over ``connections``
    keep-alive connections, from one thread with a selector: far less client CPU than a
    thread per connection on the same cores as the server.

    Request k is due at ``begin + k / rate`` and goes out on the first idle connection;
    its latency runs from the moment it was due until its whole response has arrived, so
    a server that falls behind is charged for the queueing. Errors are statuses >= 300
    and requests lost with their connection.
    """
    total = int(rate * seconds)
    selector = selectors.DefaultSelector()
    idle: deque[_Exchange] = deque()

    def connect() -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        exchange = _Exchange(sock, idle_at=time.perf_counter())
        selector.register(sock, selectors.EVENT_READ, exchange)
        idle.append(exchange)

    for _ in range(connections):
        connect()
    latencies: list[float] = []
    lags: list[float] = []
    errors = sent = 0
    begin = time.perf_counter() + 0.2
    try:
        while len(latencies) < total:
            now = time.perf_counter()
            while sent < total and idle and begin + sent / rate <= now:
                exchange = idle.popleft()
                exchange.due, exchange.busy = begin + sent / rate, True
                if exchange.idle_at <= exchange.due:
                    lags.append((time.perf_counter() - exchange.due) * 1000)
                exchange.sock.sendall(request(sent))
                sent += 1
            wait = begin + sent / rate - now if sent < total and idle else 1.0
            for key, _ in selector.select(max(wait, 0.0)):
                exchange = key.data
                try:
                    chunk = exchange.sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    # the server closed the connection without saying so first (a worker
                    # that died or was killed): a request in flight on it is an error, and
                    # the connection is opened again
                    selector.unregister(exchange.sock)
                    exchange.sock.close()
                    if exchange.busy:
                        latencies.append((time.perf_counter() - exchange.due) * 1000)
                        errors += 1
                    else:
                        idle.remove(exchange)
                    connect()
                    continue
                exchange.buffer += chunk
                status = exchange.status()
                if status is not None:
                    latencies.append((time.perf_counter() - exchange.due) * 1000)
                    errors += status >= 300
                    exchange.busy = False
                    if exchange.closing:
                        # as an HTTP client must: no further request on a connection the
                        # server closes (a worker that reached max_requests, or stopping)
                        selector.unregister(exchange.sock)
                        exchange.sock.close()
                        connect()
                    else:
                        exchange.idle_at = time.perf_counter()
                        idle.append(exchange)
    finally:
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        selector.close()
    return Load(latencies, errors, total / (time.perf_counter() - begin), lags)


def seed(plain_url: str, records: int, students: int) -> None:
    """``records`` rows spread over the current month, COPYed straight into the table,
    then vacuumed and analyzed."""
    month = month_of(datetime.now(UTC))
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    span = max((datetime.now(UTC) - start).total_seconds() - 3600, 3600)
    columns = (
        "student_id", "timestamp", "id", "activity_type", "activity_category", "course_id",
        "lesson_id", "resource_id", "details", "session_id", "recorded_at",
    )  # fmt: skip
    details = json.dumps({"duration": 30, "progress": 50})
    with psycopg.connect(plain_url) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY activity_logs ({', '.join(columns)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for n in range(records):
                moment = start + timedelta(seconds=span * n / records)
                student = f"USR-STU-S{n % students}"
                buffer.write(
                    f"{student}\t{moment.isoformat()}\tSEED-{n}\tvideo_play\tlearning\t"
                    f"CRS-BENCH-1\tLSN-{n % 40}\tRES-{n % 200}\t{details}\tSES-{student}\t"
                    f"{moment.isoformat()}\n"
                )
                if n % 50_000 == 49_999:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        connection.commit()
        # What autovacuum does to a table after this many inserts, done now rather than at
        # a moment of its choosing (perhaps during a measure): without it, the first read
        # of each page sets its rows' hint bits, so every page a read touches is dirtied
        # and written back when it leaves PostgreSQL's buffers (a quarter of PostgreSQL's
        # CPU per read, measured with perf).
        connection.autocommit = True
        connection.execute("VACUUM (ANALYZE) activity_logs")


@dataclass
class RunResult:
    empty_batch: float | None = None
    full_batch: float | None = None
    single: list[float] = field(default_factory=list)
    single_achieved: float = 0.0
    single_errors: int = 0
    single_lags: list[float] = field(default_factory=list)
    single_cpu: dict[str, float] = field(default_factory=dict)
    single_workers: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    read_achieved: float = 0.0
    read_errors: int = 0
    read_lags: list[float] = field(default_factory=list)
    read_cpu: dict[str, float] = field(default_factory=dict)
    memory: list[float] = field(default_factory=list)
    soak: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Service:
    """The app under gunicorn and the outbox relay, on one database."""

    url: str
    env: dict[str, str]
    port: int
    server: subprocess.Popen[bytes] = field(init=False)
    relay: subprocess.Popen[bytes] = field(init=False)
    memory: MemorySampler = field(init=False)

    def __post_init__(self) -> None:
        self.server = start_gunicorn(self.env, self.port)
        self.relay = start_relay(self.env)
        self.memory = MemorySampler(self.server.pid).start()

    @property
    def plain(self) -> str:
        return driver_url(self.url)

    def meter(self) -> CpuMeter:
        return CpuMeter(self.server.pid, self.relay.pid, self.plain)

    def stop(self) -> list[float]:
        """Stop both; the resident memory samples."""
        self.memory.stopping.set()
        self.relay.terminate()
        self.server.terminate()
        self.relay.wait(timeout=30)
        self.server.wait(timeout=30)
        return self.memory.samples


def run_once(args: argparse.Namespace, *, with_soak: bool, template: str | None) -> RunResult:
    """One run of the phases asked for, on a fresh database, a fresh gunicorn and a fresh
    relay; the phases that read the seeded records on a copy of ``template``, with
    gunicorn and the relay restarted on it. With ``with_soak``, ending with the soak."""
    result = RunResult(notes=[note for note in [wait_until_quiet(OTHER_BENCHMARKS)] if note])
    phases = set(args.phases)
    postgres = os.environ.get("STRIDE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    amqp = os.environ.get("STRIDE_BENCH_AMQP_URL", DEFAULT_AMQP_URL)
    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-activity-"))
    keys = development_keys(var_dir)
    settings = load_settings({"STRIDE_VAR_DIR": str(var_dir)})
    service = mint_token(settings, sub="SVC-PLAYER", role="service", private_key=keys.private_pem)
    admin = mint_token(settings, sub="USR-ADM-1", role="admin", private_key=keys.private_pem)
    queue_name = f"bench.activity.{uuid.uuid4().hex[:8]}"
    with Connection(amqp) as connection:
        queue = Queue(queue_name, events_exchange(), routing_key="activity.logs.recorded",
                      durable=False, auto_delete=False)  # fmt: skip
        queue(connection.default_channel).declare()

    def single(k: int) -> bytes:
        body = json.dumps(sample_record(f"USR-STU-1-{k % 1000}", k)).encode()
        return http_request("POST", "/logs", service, body)

    def last_hundred(k: int) -> bytes:
        student = f"USR-STU-S{(k * 7919) % args.students}"
        return http_request("GET", f"/logs?student_id={student}&limit=100", admin)

    running: Service | None = None

    def start(template: str | None) -> Service:
        url = fresh_database(postgres, template)
        if template is None:
            upgrade("activity", url, MIGRATIONS)
        return Service(url, service_env(url, amqp, var_dir, args.port), args.port)

    try:
        if phases & {"batch", "single"}:
            running = start(None)
            # Warm the workers (connections, first requests) so "empty" is not a cold start.
            batch_throughput(args.port, service, running.plain, min(args.batches, 4), args.clients)
            if "batch" in phases:
                result.empty_batch = batch_throughput(
                    args.port, service, running.plain, args.batches, args.clients
                )
            if "single" in phases:
                # One second of them first, as the reads get: each pooled connection's
                # statement is prepared on its fifth use, and the workers' loops take
                # their share of the client's fresh connections.
                open_loop(args.port, args.single_rate, 1, args.clients, single)
                cpu = running.meter()
                (result.single, result.single_errors, result.single_achieved,
                 result.single_lags) = open_loop(
                    args.port, args.single_rate, args.seconds, args.clients, single
                )  # fmt: skip
                result.single_cpu = cpu.per_request(len(result.single))
                result.single_workers = cpu.worker_shares()
        if template is not None:
            if running is not None:
                result.memory += running.stop()
            running = start(template)
            # the new workers' connections and first statements, on other students
            open_loop(args.port, args.read_rate, 1, args.clients,
                      lambda k: last_hundred(k + 10_000))  # fmt: skip
            if "read" in phases:
                cpu = running.meter()
                result.reads, result.read_errors, result.read_achieved, result.read_lags = (
                    open_loop(args.port, args.read_rate, args.seconds, args.clients, last_hundred)
                )
                result.read_cpu = cpu.per_request(len(result.reads))
            if "full" in phases:
                result.full_batch = batch_throughput(
                    args.port, service, running.plain, args.batches, args.clients
                )
        if with_soak and "soak" in phases and args.soak_minutes > 0:
            running = running or start(None)
            soak_from = len(running.memory.samples)
            open_loop(args.port, args.single_rate, args.soak_minutes * 60, args.clients, single)
            result.soak = running.memory.samples[soak_from:]
        if other_benchmarks(OTHER_BENCHMARKS):
            result.notes.append("another benchmark was running when this run ended")
    finally:
        if running is not None:
            result.memory += running.stop()
        with Connection(amqp) as connection:
            Queue(queue_name)(connection.default_channel).delete()
    return result


def phases_of(text: str) -> list[str]:
    phases = [phase.strip() for phase in text.split(",") if phase.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown or not phases:
        raise argparse.ArgumentTypeError(f"phases are among {', '.join(PHASES)}")
    return phases


def print_run(run: int, result: RunResult, args: argparse.Namespace) -> None:
    if result.empty_batch is not None or result.full_batch is not None:
        parts = []
        if result.empty_batch is not None:
            parts.append(f"{result.empty_batch:,.0f} records/s empty")
        if result.full_batch is not None:
            parts.append(f"{result.full_batch:,.0f} records/s with {args.seed:,} stored")
        if result.empty_batch and result.full_batch:
            parts.append(f"({result.full_batch / result.empty_batch:.0%})")
        print(f"run {run}: batches of {BATCH}, end to end: " + ", ".join(parts))
    else:
        print(f"run {run}:")
    if result.single:
        print(summary(
            f"  single POST at {args.single_rate:.0f}/s (achieved {result.single_achieved:.0f}/s,"
            f" errors {result.single_errors})", result.single))  # fmt: skip
        print(f"    {cpu_line(result.single_cpu)}; {lag_line(result.single_lags)}")
        shares = " / ".join(f"{share:.0%}" for share in result.single_workers)
        print(f"    the workers' shares of their CPU: {shares}")
    if result.reads:
        reads = (
            f"  last 100 of a student at {args.read_rate:.0f}/s (achieved "
            f"{result.read_achieved:.0f}/s, errors {result.read_errors})"
        )
        print(summary(reads, result.reads))
        print(f"    {cpu_line(result.read_cpu)}; {lag_line(result.read_lags)}")
    if result.memory:
        print(
            f"  gunicorn resident memory: first {result.memory[0]:.0f} MB, last "
            f"{result.memory[-1]:.0f} MB, peak {max(result.memory):.0f} MB "
            f"({len(result.memory)} samples)"
        )
    if result.soak:
        minute = max(1, min(60, len(result.soak) // 3))
        print(
            f"  soak of {args.soak_minutes:g} min at {args.single_rate:.0f} POSTs/s: "
            f"resident memory {statistics.mean(result.soak[:minute]):.0f} MB at the start, "
            f"{statistics.mean(result.soak[-minute:]):.0f} MB at the end, "
            f"peak {max(result.soak):.0f} MB"
        )
    for note in result.notes:
        print(f"  note: {note}")
    sys.stdout.flush()


def print_medians(results: list[RunResult]) -> None:
    for name, cpus in (
        ("single POST", [r.single_cpu for r in results if r.single_cpu]),
        ("read", [r.read_cpu for r in results if r.read_cpu]),
    ):
        if cpus:
            median = {part: statistics.median(cpu[part] for cpu in cpus) for part in cpus[0]}
            print(f"median {name} {cpu_line(median)}")
    measured: dict[str, list[float]] = {
        "batch records/s": [r.empty_batch for r in results if r.empty_batch is not None],
        "single POSTs/s": [r.single_achieved for r in results if r.single],
        "single p95 ms": [percentile(r.single, 0.95) for r in results if r.single],
        "read p95 ms": [percentile(r.reads, 0.95) for r in results if r.reads],
        "full/empty ingestion": [
            r.full_batch / r.empty_batch for r in results if r.full_batch and r.empty_batch
        ],
    }
    medians = {name: statistics.median(values) for name, values in measured.items() if values}
    print(f"median of {len(results)} runs: " + "; ".join(
        f"{name} {value:,.2f}" for name, value in medians.items()))  # fmt: skip
    verdicts = []
    for name, value in medians.items():
        target = TARGETS[name]
        lower_is_better = name.endswith("ms")
        if lower_is_better:
            met = value < target
        elif name == "single POSTs/s":
            met = value >= KEPT_UP * target
        else:
            met = value >= target
        verdicts.append(f"{name} {'<' if lower_is_better else '>='} {target:,g}: "
                        f"{'met' if met else 'NOT met'}")  # fmt: skip
    print("targets: " + "; ".join(verdicts))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs; medians are reported")
    parser.add_argument("--batches", type=int, default=200, help="batches of 500 per measure")
    parser.add_argument("--single-rate", type=float, default=1500.0, help="single POSTs/s")
    parser.add_argument("--read-rate", type=float, default=500.0, help="reads/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each rate")
    parser.add_argument("--seed", type=int, default=10_000_000, help="records stored for reads")
    parser.add_argument("--students", type=int, default=100_000, help="students of the seed")
    parser.add_argument("--clients", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--soak-minutes", type=float, default=10.0,
                        help="minutes of single POSTs, memory watched (last run)")  # fmt: skip
    parser.add_argument("--phases", type=phases_of, default=list(PHASES),
                        help=f"the measures to run, among {','.join(PHASES)} (all)")  # fmt: skip
    parser.add_argument("--keep-seed", action="store_true",
                        help="keep the seeded template for the next invocation")  # fmt: skip
    parser.add_argument("--port", type=int, default=18441)
    args = parser.parse_args(argv)

    cores = len(os.sched_getaffinity(0))
    print(f"# Activity benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {cores} cores)")
    print(
        f"gunicorn (deploy/gunicorn.conf.py, {gunicorn_as_deployed('activity')}) + "
        "PostgreSQL + RabbitMQ (relay: stride relay activity); "
        f"{args.clients} keep-alive client connections from the same machine; "
        f"phases {','.join(args.phases)}"
    )
    print(calibration(), flush=True)
    postgres = os.environ.get("STRIDE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    template = None
    if {"read", "full"} & set(args.phases):
        template = seeded_template(postgres, args.seed, args.students)
    results = []
    try:
        for run in range(1, args.runs + 1):
            result = run_once(args, with_soak=run == args.runs, template=template)
            results.append(result)
            print_run(run, result, args)
    finally:
        drop_database(postgres, DATABASE)
        if template is not None and not args.keep_seed:
            drop_database(postgres, template)
    print_medians(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
