"""Progress service benchmark on the real PostgreSQL and RabbitMQ (issue 3, point 12).

Measures, each ``--runs`` times (median quoted):

* ``GET /enrollments/{id}`` through gunicorn (``deploy/gunicorn.conf.py``) on a
  database of 100,000 enrollments (the 13,529 real OULAD 2013 registrations first,
  then copies of their shapes: ``bench/progress_seed.py``), at a fixed offered rate
  (default 500 requests/s for 30 s, open loop, latency from each request's scheduled
  time: ``bench/progress_http.py``), random ids, with an admin token and with a
  teacher token (the scoped path: ids of the teacher's courses); plus a closed-loop
  maximum with wrk when it is installed;
* ``attempts.attempt.submitted`` events applied by 1 and 2 ``stride consume progress``
  processes: events/s from the first to the last commit seen in the database
  (``bench/progress_events.py``).

    .venv/bin/python bench/progress.py              # prints the RESULTS.md section
    .venv/bin/python bench/progress.py --help       # counts, rate, duration, profiling

Servers: ``STRIDE_BENCH_POSTGRES_URL`` (default postgresql+psycopg://postgres@127.0.0.1:5432;
the database ``stride_bench_progress`` is created for the run and dropped at the end)
and ``STRIDE_BENCH_AMQP_URL`` (default amqp://guest:guest@127.0.0.1:5672/%2F; the
progress queue ``stride.progress`` is reset before each consumer run, so do not run
this next to a live progress consumer on the same broker). Before each measurement
the script waits (up to 15 min) until no other benchmark (``bench/backbone``,
``bench/attempts``) runs. Run as a script: its folder is then on sys.path, and its
``progress_*`` siblings import by name.
"""

from __future__ import annotations

import argparse
import os
import random
import runpy
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import quiet
import sqlalchemy as sa
from activity import calibration
from progress_events import ConsumeRun, Target, attempt_events, measure_consumption
from progress_http import (
    REPO_ROOT,
    CpuMeter,
    Gunicorn,
    LoadRun,
    WrkRun,
    closed_loop,
    open_loop,
    run_wrk,
    wrk_available,
)
from progress_seed import Course, SeedSummary, seed
from quiet import gunicorn_as_deployed, other_benchmarks

from services.progress.app import MIGRATIONS
from shared.auth import development_keys, mint_token
from shared.config import Settings, load_settings
from shared.db import Database
from shared.events.broker import kombu_connection
from shared.migrations import upgrade

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
DATABASE = "stride_bench_progress"
P95_TARGET_MS = 10.0  # GET /enrollments/{id} at 500 requests/s (issue 3, point 12)
EVENTS_TARGET = 2_000.0  # attempt events applied per second (issue 3, point 12)
OTHER_BENCHMARKS = "bench/(backbone|attempts)"
TEACHER_COURSES = ("CRS-OU-BBB-2013J", "CRS-OU-FFF-2013J", "CRS-OU-GGG-2013J")


def note_overlap(log: list[str], what: str) -> None:
    """Record a measurement at whose end another benchmark was running."""
    if other_benchmarks(OTHER_BENCHMARKS):
        log.append(f"{what}: another benchmark was running when it ended")
        print(log[-1], flush=True)


def wait_until_quiet(log: list[str], limit: float = 900) -> None:
    """Wait (up to ``limit``) while another benchmark measures; note what happened."""
    note = quiet.wait_until_quiet(OTHER_BENCHMARKS, limit)
    if note:
        log.append(note)
        print(note, flush=True)


def fresh_database(postgres_url: str, name: str = DATABASE) -> str:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_url}/{name}"


def drop_database(postgres_url: str, name: str = DATABASE) -> None:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine_facts() -> dict[str, str]:
    facts = {}
    for command in (["date", "-u"], ["nproc"], ["free", "-g"], ["uname", "-m"]):
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        facts[" ".join(command)] = result.stdout.strip()
    return facts


def server_versions(engine: sa.Engine, amqp_url: str) -> str:
    with engine.connect() as connection:
        postgres = connection.execute(sa.text("SHOW server_version")).scalar_one()
    with kombu_connection(load_settings({"STRIDE_BROKER_URL": amqp_url})) as connection:
        connection.ensure_connection(max_retries=1)
        rabbitmq = connection.connection.server_properties.get("version", "unknown")
    return f"PostgreSQL {postgres}, RabbitMQ {rabbitmq}"


def load_average() -> str:
    return ", ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- report ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    name: str
    values: list[float]
    unit_format: str
    target: str = "-"
    met: Callable[[float], bool] | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.values)


def table(rows: Sequence[Row]) -> str:
    runs = max(len(row.values) for row in rows)
    lines = [
        "| measurement | "
        + " | ".join(f"run {n}" for n in range(1, runs + 1))
        + " | median | target | met |",
        "|---|" + "---:|" * (runs + 1) + "---|---|",
    ]
    for row in rows:
        shown = [format(value, row.unit_format) for value in row.values]
        shown += ["-"] * (runs - len(shown))
        met = "-" if row.met is None else ("yes" if row.met(row.median) else "**no**")
        lines.append(
            f"| {row.name} | {' | '.join(shown)} | **{format(row.median, row.unit_format)}** "
            f"| {row.target} | {met} |"
        )
    return "\n".join(lines)


def http_rows(label: str, runs: list[LoadRun], rate: float) -> list[Row]:
    rows = []
    for name in ("p50", "p95", "p99"):
        values = [getattr(run, f"{name}_ms") for run in runs]
        row = Row(f"GET enrollment, {label}, {name} at {rate:.0f}/s (ms)", values, ".2f")
        if name == "p95":
            row = Row(
                row.name, values, ".2f", f"< {P95_TARGET_MS:.0f}", lambda m: m < P95_TARGET_MS
            )
        rows.append(row)
    rows.append(Row(f"GET enrollment, {label}, max (ms)", [r.max_ms for r in runs], ".1f"))
    rows.append(Row(f"GET enrollment, {label}, errors", [float(r.errors) for r in runs], ".0f"))
    rows.append(
        Row(
            f"GET enrollment, {label}, achieved rate (req/s)", [r.offered_rate for r in runs], ".0f"
        )
    )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/progress.py", description=__doc__.split("\n")[0])
    parser.add_argument("--enrollments", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=500.0, help="requests/s, open loop")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of an HTTP run")
    parser.add_argument("--wrk-seconds", type=int, default=15, help="0: no wrk")
    parser.add_argument("--wrk-connections", type=int, default=16)
    parser.add_argument("--events", type=int, default=20_000, help="per consumer run")
    parser.add_argument("--port", type=int, default=18463)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-events", action="store_true")
    parser.add_argument("--database", default=DATABASE, help="PostgreSQL database to (re)create")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="after the measured runs, one more run of each kind under py-spy "
        "(PY_SPY, default py-spy on PATH), collapsed stacks written into DIR: CPU only "
        "(the GIL holder) for the gunicorn workers, for the consumer both that "
        "(consumer-PID-cpu.txt) and its waits (--idle, consumer-PID.txt)",
    )
    parser.add_argument("--output", metavar="FILE", help="also write the section here")
    args = parser.parse_args(argv)
    command = shlex.join([os.path.relpath(sys.executable), "bench/progress.py", *sys.argv[1:]])

    postgres = os.environ.get("STRIDE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    amqp = os.environ.get("STRIDE_BENCH_AMQP_URL", DEFAULT_AMQP_URL)
    gunicorn_as_deployed("progress")  # the worker class of the progress-api container
    work_dir = Path(tempfile.mkdtemp(prefix="stride-bench-progress-"))
    var_dir = work_dir / "var"
    keys = development_keys(var_dir)
    env = {
        **os.environ,
        "STRIDE_PROGRESS_DATABASE_URL": "",
        "STRIDE_BROKER_URL": amqp,
        "STRIDE_LOG_LEVEL": "WARNING",
        "STRIDE_VAR_DIR": str(var_dir),
        "STRIDE_AUTO_MIGRATE": "false",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    settings = load_settings(env)
    waits: list[str] = []
    load_at_start = load_average()
    calibration_at_start = calibration()
    print(calibration_at_start, flush=True)

    wait_until_quiet(waits)
    url = fresh_database(postgres, args.database)
    env["STRIDE_PROGRESS_DATABASE_URL"] = url
    settings = load_settings(env)
    upgrade("progress", url, MIGRATIONS)
    database = Database(url)
    engine = database.engine
    try:
        courses, summary = seed(engine, args.enrollments)
        print(f"seeded in {summary.seconds:.0f} s: {summary}", flush=True)
        with engine.connect() as connection:
            enrollments = connection.execute(
                sa.text("SELECT id, student_id, course_id FROM enrollments")
            ).all()
        rng = random.Random(500)
        admin = mint_token(
            settings, sub="USR-ADM-BENCH", role="admin", private_key=keys.private_pem
        )
        teacher = mint_token(
            settings,
            sub="USR-TEA-BENCH",
            role="teacher",
            courses=TEACHER_COURSES,
            private_key=keys.private_pem,
        )
        all_ids = [row.id for row in enrollments]
        taught = [row.id for row in enrollments if row.course_id in TEACHER_COURSES]
        total = int(args.rate * args.seconds)

        admin_runs: list[LoadRun] = []
        teacher_runs: list[LoadRun] = []
        wrk_runs: list[WrkRun] = []
        checks: list[str] = []
        cores: dict[str, list[dict[str, float]]] = {"admin": [], "teacher": []}
        if not args.skip_http:
            with Gunicorn(args.port, env, work_dir / "gunicorn.log") as server:
                warm = closed_loop(
                    args.port, [f"/enrollments/{i}" for i in rng.sample(all_ids, 3000)], admin
                )
                checks.append(f"warm-up (3,000 admin GETs, 8 connections): statuses {warm}")
                other = next(row.id for row in enrollments if row.course_id not in TEACHER_COURSES)
                scoped = closed_loop(args.port, [f"/enrollments/{other}"], teacher, clients=1)
                checks.append(f"teacher GET of an enrollment outside their courses: {scoped}")
                print("\n".join(checks), flush=True)
                for run in range(1, args.runs + 1):
                    for label, token, pool, runs in (
                        ("admin", admin, all_ids, admin_runs),
                        ("teacher", teacher, taught, teacher_runs),
                    ):
                        wait_until_quiet(waits)
                        paths = [f"/enrollments/{rng.choice(pool)}" for _ in range(total)]
                        assert server.process is not None
                        with CpuMeter(server.worker_pids, server.process.pid) as meter:
                            runs.append(open_loop(args.port, paths, token, args.rate))
                        cores[label].append(meter.readings)
                        print(f"run {run}: {label:7} {runs[-1]}; cores used: {meter}", flush=True)
                        note_overlap(waits, f"run {run}, {label} GETs")
                    if args.wrk_seconds and wrk_available():
                        wait_until_quiet(waits)
                        wrk_runs.append(
                            run_wrk(
                                args.port,
                                rng.sample(all_ids, min(5000, len(all_ids))),
                                admin,
                                args.wrk_seconds,
                                args.wrk_connections,
                            )
                        )
                        print(f"run {run}: wrk     {wrk_runs[-1]}", flush=True)
                        note_overlap(waits, f"run {run}, wrk")
                if args.profile:
                    profile_http(args, server, admin, all_ids, rng, Path(args.profile))

        one: list[ConsumeRun] = []
        two: list[ConsumeRun] = []
        if not args.skip_events:
            targets = event_targets(enrollments, courses)
            for run in range(1, args.runs + 1):
                for count, consumed in ((1, one), (2, two)):
                    wait_until_quiet(waits)
                    events = attempt_events(targets, args.events, seed=run * 10 + count)
                    consumed.append(
                        measure_consumption(
                            engine=engine,
                            database=database,
                            settings=settings,
                            env=env,
                            log_dir=work_dir,
                            events=events,
                            consumer_count=count,
                        )
                    )
                    print(f"run {run}: {count} consumer(s): {consumed[-1]}", flush=True)
                    note_overlap(waits, f"run {run}, {count} consumer(s)")
            if args.profile:
                profile_consumers(args, engine, database, settings, env, work_dir, targets)

        rows: list[Row] = []
        if admin_runs:
            rows += http_rows("admin", admin_runs, args.rate)
            rows += http_rows("teacher (scoped)", teacher_runs, args.rate)
        if wrk_runs:
            rows.append(
                Row(
                    f"GET enrollment, admin, wrk closed loop {args.wrk_connections} "
                    "connections (req/s)",
                    [w.requests_per_second for w in wrk_runs],
                    ",.0f",
                )
            )
        for label, consume_runs in (("1 consumer", one), ("2 consumers", two)):
            if consume_runs:
                rows.append(
                    Row(
                        f"attempt events applied, {label} (events/s)",
                        [r.rate for r in consume_runs],
                        ",.0f",
                        f">= {EVENTS_TARGET:,.0f}",
                        lambda m: m >= EVENTS_TARGET,
                    )
                )
        section = render(
            table(rows),
            command=command,
            machine=machine_facts(),
            versions=server_versions(engine, amqp),
            summary=summary,
            args=args,
            admin_runs=admin_runs,
            teacher_runs=teacher_runs,
            wrk_runs=wrk_runs,
            consume_runs=one + two,
            checks=checks,
            cores=cores,
            notes=[
                f"Load average (1, 5, 15 min) at the start: {load_at_start}; "
                f"at the end: {load_average()}.",
                f"Calibration (bench/activity.py) at the start: {calibration_at_start}; "
                f"at the end: {calibration()}.",
                *waits,
            ],
        )
        print("\n" + section)
        if args.output:
            Path(args.output).write_text(section)
    finally:
        database.dispose()
        if not args.keep_database:
            drop_database(postgres, args.database)
    return 0


def event_targets(
    enrollments: Sequence[sa.Row[Any]], courses: dict[tuple[str, str], Course]
) -> list[Target]:
    quizzes_of: dict[str, tuple[tuple[str, str | None], ...]] = {}
    for course in courses.values():
        pairs: list[tuple[str, str | None]] = []
        for module in course.document["modules"]:
            lesson = None
            for item in module["items"]:
                if item["kind"] == "lesson":
                    lesson = item["item_id"]
                elif item["kind"] == "quiz":
                    pairs.append((item["item_id"], lesson))
        quizzes_of[course.course_id] = tuple(pairs)
    return [
        Target(row.student_id, row.course_id, quizzes_of[row.course_id])
        for row in enrollments
        if quizzes_of[row.course_id]
    ]


# -- profiling ------------------------------------------------------------------------
def py_spy(pid: int, seconds: int, output: Path, *, idle: bool) -> subprocess.Popen[bytes]:
    """py-spy on ``pid``: collapsed stacks; ``idle`` adds the time spent waiting (wall time),
    otherwise only the thread holding the GIL is sampled (Python's own CPU: a thread
    waiting on PostgreSQL inside psycopg would otherwise count as running)."""
    binary = os.environ.get("PY_SPY", "py-spy")
    return subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--format",
            "raw",
            *(["--idle"] if idle else ["--gil"]),
            "--rate",
            "200",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def profile_http(
    args: argparse.Namespace,
    server: Gunicorn,
    token: str,
    ids: Sequence[str],
    rng: random.Random,
    folder: Path,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    total = int(args.rate * args.seconds)
    spies = [
        py_spy(pid, int(args.seconds), folder / f"gunicorn-worker-{pid}.txt", idle=False)
        for pid in server.worker_pids()
    ]
    time.sleep(1)
    paths = [f"/enrollments/{rng.choice(ids)}" for _ in range(total)]
    print(f"profiled run: {open_loop(args.port, paths, token, args.rate)}", flush=True)
    for spy in spies:
        spy.wait()


def profile_consumers(
    args: argparse.Namespace,
    engine: sa.Engine,
    database: Database,
    settings: Settings,
    env: dict[str, str],
    work_dir: Path,
    targets: Sequence[Target],
) -> None:
    folder = Path(args.profile)
    folder.mkdir(parents=True, exist_ok=True)
    spies: list[subprocess.Popen[bytes]] = []

    def attach(processes: list[subprocess.Popen[bytes]]) -> None:
        for process in processes:
            spies.append(py_spy(process.pid, 30, folder / f"consumer-{process.pid}.txt", idle=True))
            spies.append(
                py_spy(process.pid, 30, folder / f"consumer-{process.pid}-cpu.txt", idle=False)
            )
        time.sleep(1)

    run = measure_consumption(
        engine=engine,
        database=database,
        settings=settings,
        env=env,
        log_dir=work_dir,
        events=attempt_events(targets, args.events, seed=99),
        consumer_count=1,
        on_started=attach,
    )
    print(f"profiled consumer run: {run}", flush=True)
    for spy in spies:
        spy.terminate()
        spy.wait()


def render(
    rows_table: str,
    *,
    command: str,
    machine: dict[str, str],
    versions: str,
    summary: SeedSummary,
    args: argparse.Namespace,
    admin_runs: Sequence[LoadRun],
    teacher_runs: Sequence[LoadRun],
    wrk_runs: Sequence[WrkRun],
    consume_runs: Sequence[ConsumeRun],
    checks: Sequence[str],
    notes: Sequence[str],
    cores: dict[str, list[dict[str, float]]],
) -> str:
    facts = "\n".join(f"$ {name}\n{output}" for name, output in machine.items())
    statuses = ", ".join(f"{name} {count:,}" for name, count in sorted(summary.statuses.items()))
    http_detail = "\n".join(
        f"  * {label} run {n}: {run}; cores used: "
        + ", ".join(f"{name} {used:.2f}" for name, used in cores[label][n - 1].items())
        for label, runs in (("admin", admin_runs), ("teacher", teacher_runs))
        for n, run in enumerate(runs, 1)
    )
    wrk_detail = "\n".join(f"  * run {n}: {run}" for n, run in enumerate(wrk_runs, 1))
    consume_detail = "\n".join(f"  * {run}" for run in consume_runs)
    check_lines = "\n".join(f"  * {check}" for check in checks)
    note_lines = "\n".join(f"* {note}" for note in notes)
    gunicorn = runpy.run_path(str(REPO_ROOT / "deploy" / "gunicorn.conf.py"))
    serving = gunicorn_as_deployed("progress")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()
    return f"""## Progress service

`GET /enrollments/{{id}}` through gunicorn and attempt events through the progress
consumer, on the real PostgreSQL and RabbitMQ. Each measurement ran {args.runs} times; the
median is in bold and is the number to quote.

Command (from the repository root):

```
{command}
```

Machine and servers (a shared, noisy machine: other work may have run meanwhile):

```
{facts}
{versions}
```

Code measured: commit {commit}.

{rows_table}

How it was measured:

* Data: {summary.enrollments:,} enrollments in {summary.courses} courses, the first
  {summary.real:,} the real OULAD 2013 registrations (`../shared/data/oulad-2013/`), the rest
  copies of their shapes with new ids (`bench/progress_seed.py`); built with the
  service's domain functions and bulk-inserted through its models, with
  {summary.facts:,} quiz attempt facts, {summary.notes:,} notes and
  {summary.bookmarks:,} bookmarks.
  Statuses: {statuses}. Seeding took {summary.seconds:.0f} s.
* HTTP: `gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:{args.port}
  "services.progress.app:create_app()"` ({serving} on
  {len(os.sched_getaffinity(0))} cores, `max_requests`
  {gunicorn["max_requests"]}), `STRIDE_LOG_LEVEL=WARNING`, the audit row of every read
  written as in production. Open loop: request k is due at start + k / {args.rate:.0f} s,
  {int(args.rate * args.seconds):,} requests per run ({args.seconds:.0f} s), random enrollment
  ids, 64 client threads with one keep-alive connection each; latency from the due time to the
  complete response. Admin token: any of the {summary.enrollments:,} ids; teacher token
  (courses {", ".join(TEACHER_COURSES)}): ids of those courses (the scoped path,
  answered 200). The client runs on the same 2 cores; its send lag (how late it sent
  against the schedule) is listed per run, with the cores used during the run by the
  gunicorn processes ("server", recycled workers included), all PostgreSQL processes and
  the client.
{check_lines}
{http_detail}
* wrk (closed loop, {args.wrk_connections} connections, 2 threads, {args.wrk_seconds} s,
  admin token, random ids):
{wrk_detail or "  * not run"}
* Events: {args.events:,} `attempts.attempt.submitted` per run (payload of
  `services/attempts/documents.result_payload`, docs/events.md) for random enrolled
  students and quizzes of their outline, new attempt ids, 5 % practice. The
  `stride consume progress` processes are started and subscribed first; the events are
  then published with Stride's confirming publisher to `stride.events`. Rate = events /
  (first -> last commit), both seen by polling the inbox (one row per applied event,
  committed with its effect) every 20 ms. Consumer batch 500, prefetch 1,000 (defaults).
  No relay runs: the progress events the handler writes stay in the outbox.
{consume_detail}
{note_lines}
"""


if __name__ == "__main__":
    sys.exit(main())
