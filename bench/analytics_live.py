"""Analytics service benchmark, live: the API under gunicorn, the consumer on RabbitMQ.

Issue 12, point 10, the two measures ``bench/analytics.py`` does not take (it calls the
use cases in process):

* **read**: ``GET /students/{id}/analytics?course_id=...`` (the monthly document) at a
  fixed arrival rate (open loop, as ``bench/activity.py`` sends it: a request's latency
  runs from the moment it was due), for random seeded students, with an admin token;
  p50 / p95 and the CPU per request of the gunicorn processes and PostgreSQL;
* **reflect**: ``activity.logs.recorded`` events published to RabbitMQ at a fixed rate
  (the activity service's shape, one student's records per event, random seeded
  students), applied by one ``stride consume analytics`` process; meanwhile probes,
  each an event of one record with its own duration for a student no other event
  touches, each followed by reads of that student's document every 10 ms until its
  ``time_metrics.total_time`` shows the record: the latency from the publish (confirmed)
  to the first document that shows it, p50 / p95; and the events applied per second
  (analytics' inbox) and the consumer's CPU per event.

    .venv/bin/python bench/analytics_live.py [--runs 3] [--students 2000] [--records 200000]
        [--attempts 20000] [--courses 20] [--read-rate 200] [--event-rate 500] [--seconds 20]

Each run: a fresh database ``stride_bench_analytics_live`` (migrated, seeded through the
service's store as ``bench/analytics.py`` seeds it), a RabbitMQ vhost
``stride-bench-analytics`` of its own (made with ``rabbitmqctl``, deleted at the end),
gunicorn with ``deploy/gunicorn.conf.py``. Servers: ``STRIDE_BENCH_POSTGRES_URL`` and
``STRIDE_BENCH_AMQP_HOST`` (default 127.0.0.1:5672, guest/guest).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(BENCH))

from activity import (  # noqa: E402
    calibration,
    driver_url,
    http_request,
    open_loop,
    percentile,
    rss_mb,
)
from analytics import seed  # noqa: E402
from quiet import child_pids, process_cpu, tree_cpu  # noqa: E402

from services.analytics.app import MIGRATIONS  # noqa: E402
from shared.auth import development_keys, mint_token  # noqa: E402
from shared.config import load_settings  # noqa: E402
from shared.events import Envelope  # noqa: E402
from shared.events.envelope import to_iso  # noqa: E402
from shared.events.publishers import OutgoingMessage, open_publisher  # noqa: E402
from shared.migrations import upgrade  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "stride_bench_analytics_live"
VHOST = "stride-bench-analytics"
#: the seeded students ``USR-STU-0`` ... are spread over the courses as ``seed`` does;
#: the first ``PROBES`` of them get only the probes' events
PROBES = 40
PROBE_THREADS = 4
TARGETS = {"read p95 ms": 20.0, "reflect p95 ms": 1000.0}


def amqp_url() -> str:
    host = os.environ.get("STRIDE_BENCH_AMQP_HOST", "127.0.0.1:5672")
    return f"amqp://guest:guest@{host}/{VHOST}"


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, check=True, timeout=60)


def fresh_vhost() -> None:
    subprocess.run(
        ["rabbitmqctl", "delete_vhost", VHOST], capture_output=True, text=True, timeout=60
    )
    rabbitmqctl("add_vhost", VHOST)
    rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")


def fresh_database(postgres_url: str) -> str:
    with psycopg.connect(f"{driver_url(postgres_url)}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"{postgres_url}/{DATABASE}"


def drop_database(postgres_url: str) -> None:
    with psycopg.connect(f"{driver_url(postgres_url)}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def service_env(url: str, var_dir: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "STRIDE_ANALYTICS_DATABASE_URL": url,
        "STRIDE_BROKER_URL": amqp_url(),
        "STRIDE_VAR_DIR": str(var_dir),
        "STRIDE_LOG_LEVEL": os.environ.get("STRIDE_BENCH_LOG_LEVEL", "WARNING"),
        "STRIDE_BIND": f"127.0.0.1:{port}",
        "GUNICORN_LOG_LEVEL": "warning",
        "STRIDE_AUTO_MIGRATE": "false",
    }


def start(command: Sequence[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(list(command), cwd=REPO_ROOT, env=env, stdout=output, stderr=output)


def wait_for_health(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited before answering /healthz")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def backends_cpu() -> float:
    found = subprocess.run(
        ["pgrep", "-f", f"postgres: .*{DATABASE}"], capture_output=True, text=True
    )
    return sum(process_cpu(int(pid)) for pid in found.stdout.split())


def applied(plain_url: str) -> int:
    with psycopg.connect(plain_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM inbox WHERE consumer = 'analytics'"
        ).fetchone()
        return int(row[0]) if row else 0


def activity_event(student: str, course: str, seconds: float, records: int) -> Envelope:
    now = datetime.now(UTC)
    return Envelope(
        type="activity.logs.recorded",
        producer="activity",
        subject=student,
        course_id=course,
        correlation_id=uuid.uuid4().hex,
        payload={
            "records": [
                {
                    "id": f"LOG-{uuid.uuid4().hex}",
                    "student_id": student,
                    "timestamp": to_iso(now - timedelta(seconds=n)),
                    "activity_type": "video_play",
                    "activity_category": "content",
                    "course_id": course,
                    "resource_id": "RES-1",
                    "session_id": f"SES-{student}",
                    "details": {"duration": seconds},
                }
                for n in range(records)
            ],
            "time_zone": "Europe/London",
        },
    )


def in_inbox(connection: psycopg.Connection[Any], event_id: str) -> bool:
    found = connection.execute(
        "SELECT 1 FROM inbox WHERE consumer = 'analytics' AND event_id = %s", (event_id,)
    ).fetchone()
    return found is not None


class Document:
    """One keep-alive connection reading a student's monthly document."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = token

    def total_time(self, student: str, course: str) -> float:
        self.connection.request(
            "GET",
            f"/students/{student}/analytics?course_id={course}&period_type=monthly",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"document read answered {response.status}: {body[:200]!r}")
        return float(json.loads(body)["time_metrics"]["total_time"])


@dataclass
class Reflect:
    latencies_ms: list[float] = field(default_factory=list)  # publish -> document shows it
    applied_ms: list[float] = field(default_factory=list)  # publish -> in analytics' inbox
    published: int = 0
    applied_per_s: float = 0.0
    consumer_cpu_ms: float = 0.0
    errors: list[str] = field(default_factory=list)


def reflect(
    args: argparse.Namespace, port: int, token: str, plain_url: str, consumer: int
) -> Reflect:
    """Background events at ``--event-rate`` for ``--seconds``, probes beside them."""
    settings = load_settings({"STRIDE_BROKER_URL": amqp_url()})
    result = Reflect()
    stop = threading.Event()
    course_of = {f"USR-STU-{n}": f"CRS-{n % args.courses}" for n in range(args.students)}
    background = [s for n, s in enumerate(course_of) if n >= PROBES]
    lock = threading.Lock()

    def publish_background() -> None:
        publisher = open_publisher(settings)
        rng = random.Random(5)
        tick = 0.05
        per_tick = args.event_rate * tick
        began, owed = time.perf_counter(), 0.0
        try:
            while not stop.is_set():
                owed += per_tick
                chunk = []
                while owed >= 1:
                    owed -= 1
                    student = rng.choice(background)
                    chunk.append(activity_event(student, course_of[student], 30.0, 3))
                if chunk:
                    outcome = publisher.publish_batch(
                        [OutgoingMessage(e.id, e.type, e.to_json().encode()) for e in chunk]
                    )
                    if outcome.failed:
                        result.errors.append(f"publish failed: {len(outcome.failed)}")
                    with lock:
                        result.published += len(chunk)
                began += tick
                time.sleep(max(0.0, began - time.perf_counter()))
        finally:
            publisher.close()

    def probe(worker: int) -> None:
        publisher = open_publisher(settings)
        reader = Document(port, token)
        inbox = psycopg.connect(plain_url, autocommit=True)
        students = [f"USR-STU-{n}" for n in range(worker, PROBES, PROBE_THREADS)]
        rng = random.Random(worker)
        try:
            while not stop.is_set():
                student = rng.choice(students)
                course = course_of[student]
                before = reader.total_time(student, course)
                seconds = 60.0 * rng.randrange(1, 10)  # whole minutes: the document rounds to 0.01
                event = activity_event(student, course, seconds, 1)
                outcome = publisher.publish_batch(
                    [OutgoingMessage(event.id, event.type, event.to_json().encode())]
                )
                sent = time.perf_counter()
                if outcome.failed:
                    result.errors.append("probe publish failed")
                    continue
                with lock:
                    result.published += 1
                while not in_inbox(inbox, event.id):
                    if time.perf_counter() - sent > 60:
                        result.errors.append(f"probe of {student} not applied in 60 s")
                        break
                    time.sleep(0.005)
                else:
                    result.applied_ms.append((time.perf_counter() - sent) * 1000)
                while reader.total_time(student, course) < before + seconds / 60 - 0.011:
                    if time.perf_counter() - sent > 60:
                        result.errors.append(f"probe of {student} not reflected in 60 s")
                        break
                    time.sleep(0.01)
                else:
                    result.latencies_ms.append((time.perf_counter() - sent) * 1000)
        except Exception as exc:  # a probe's failure is reported, not a hang
            result.errors.append(repr(exc))
        finally:
            publisher.close()
            inbox.close()

    applied_before, cpu_before, began = applied(plain_url), process_cpu(consumer), time.time()
    threads = [threading.Thread(target=publish_background)]
    threads += [threading.Thread(target=probe, args=(n,)) for n in range(PROBE_THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    count = applied(plain_url) - applied_before
    elapsed = time.time() - began
    cpu = process_cpu(consumer) - cpu_before
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    result.applied_per_s = count / elapsed
    result.consumer_cpu_ms = 1000 * cpu / max(count, 1)
    return result


@dataclass
class RunResult:
    read_p50: float
    read_p95: float
    read_rate: float
    read_errors: int
    read_cpu_server_ms: float
    read_cpu_postgres_ms: float
    reflect: Reflect
    #: resident memory of each gunicorn worker after the reads and after the events (MB)
    worker_rss_mb: tuple[list[float], list[float]] = ([], [])


def run_once(args: argparse.Namespace) -> RunResult:
    postgres = os.environ.get("STRIDE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-analytics-live-"))
    keys = development_keys(var_dir)
    settings = load_settings({"STRIDE_VAR_DIR": str(var_dir)})
    admin = mint_token(settings, sub="USR-ADM-1", role="admin", private_key=keys.private_pem)
    url = fresh_database(postgres)
    fresh_vhost()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        upgrade("analytics", url, MIGRATIONS)
        from shared.db import Database

        database = Database(url)
        began = time.perf_counter()
        seed(database, args.students, args.records, args.attempts, args.courses)
        database.dispose()
        print(f"  seeded in {time.perf_counter() - began:.1f} s", flush=True)
        env = service_env(url, var_dir, args.port)
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        server = start(
            [gunicorn, "-c", "deploy/gunicorn.conf.py", "services.analytics.app:create_app()"],
            env,
            var_dir / "gunicorn.log",
        )
        processes.append(server)
        wait_for_health(args.port, server)
        stride = str(Path(sys.executable).parent / "stride")
        consumer = start([stride, "consume", "analytics"], env, var_dir / "consume.log")
        processes.append(consumer)
        time.sleep(3)  # subscribed, the queue declared

        rng = random.Random(3)
        courses = args.courses

        def read(k: int) -> bytes:
            n = rng.randrange(PROBES, args.students)
            query = f"course_id=CRS-{n % courses}&period_type=monthly"
            return http_request("GET", f"/students/USR-STU-{n}/analytics?{query}", admin)

        open_loop(args.port, args.read_rate, 3, 16, read)  # warm-up: every course cached
        server_cpu, pg_cpu = tree_cpu(server.pid), backends_cpu()
        latencies, errors, achieved = open_loop(args.port, args.read_rate, args.seconds, 32, read)
        requests = max(len(latencies), 1)
        read_server = 1000 * (tree_cpu(server.pid) - server_cpu) / requests
        read_pg = 1000 * (backends_cpu() - pg_cpu) / requests
        plain = driver_url(url)
        rss_after_reads = [rss_mb(pid) for pid in child_pids(server.pid)]
        live = reflect(args, args.port, admin, plain, consumer.pid)
        rss_at_end = [rss_mb(pid) for pid in child_pids(server.pid)]
        return RunResult(
            read_p50=percentile(latencies, 0.50),
            read_p95=percentile(latencies, 0.95),
            read_rate=achieved,
            read_errors=errors,
            read_cpu_server_ms=read_server,
            read_cpu_postgres_ms=read_pg,
            reflect=live,
            worker_rss_mb=(rss_after_reads, rss_at_end),
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        drop_database(postgres)
        subprocess.run(
            ["rabbitmqctl", "delete_vhost", VHOST], capture_output=True, text=True, timeout=60
        )


def print_run(run: int, r: RunResult) -> None:
    live = r.reflect
    print(
        f"run {run}: read at {r.read_rate:,.0f}/s p50 {r.read_p50:.1f} ms p95 {r.read_p95:.1f} ms "
        f"(errors {r.read_errors}; CPU per read: server {r.read_cpu_server_ms:.2f} ms, "
        f"PostgreSQL {r.read_cpu_postgres_ms:.2f} ms)",
        flush=True,
    )
    reflected = live.latencies_ms or [float("nan")]
    print(
        f"        reflect: {len(live.latencies_ms)} probes, "
        f"p50 {percentile(reflected, 0.5):.0f} ms "
        f"p95 {percentile(reflected, 0.95):.0f} ms (applied: p50 "
        f"{percentile(live.applied_ms or [float('nan')], 0.5):.0f} ms "
        f"p95 {percentile(live.applied_ms or [float('nan')], 0.95):.0f} ms); "
        f"published {live.published:,}, applied "
        f"{live.applied_per_s:,.0f} events/s, consumer CPU {live.consumer_cpu_ms:.2f} ms/event"
        + (f"; errors: {live.errors[:3]}" if live.errors else ""),
        flush=True,
    )
    after_reads, at_end = r.worker_rss_mb
    print(
        "        gunicorn workers' resident memory (MB): after the reads "
        + ", ".join(f"{m:,.0f}" for m in after_reads)
        + "; at the end "
        + ", ".join(f"{m:,.0f}" for m in at_end),
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--attempts", type=int, default=20_000)
    parser.add_argument("--courses", type=int, default=20)
    parser.add_argument("--read-rate", type=float, default=200.0)
    parser.add_argument("--event-rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=18190)
    args = parser.parse_args(argv)
    print(calibration(), flush=True)
    results = []
    for run in range(1, args.runs + 1):
        results.append(run_once(args))
        print_run(run, results[-1])
    reflected = [percentile(r.reflect.latencies_ms or [float("nan")], 0.95) for r in results]
    medians = {
        "read p95 ms": statistics.median(r.read_p95 for r in results),
        "reflect p95 ms": statistics.median(reflected),
    }
    for name, value in medians.items():
        met = "met" if value <= TARGETS[name] else "missed"
        print(f"median {name}: {value:,.1f} (target < {TARGETS[name]:,.0f}: {met})")
    print(
        "median events applied/s: "
        f"{statistics.median(r.reflect.applied_per_s for r in results):,.0f}; "
        f"CPU per read (server): {statistics.median(r.read_cpu_server_ms for r in results):.2f} ms"
    )
    print(calibration(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
