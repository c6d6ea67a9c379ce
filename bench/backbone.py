"""Event backbone benchmark on the real PostgreSQL and RabbitMQ.

Measures, with the relay and the consumers as separate processes
(``bench/backbone_processes.py``), each run ``--runs`` times (median quoted):

* end-to-end throughput: events committed to the outbox -> effects committed by the
  consumer, from the first outbox commit to the last effect, with one consumer and
  with two competing consumers;
* latency at a fixed rate (one event per producer transaction, as API requests do):
  from the producer's commit (its clock just before committing, carried in the
  payload) to the effect written by the consumer (PostgreSQL's clock_timestamp()).

    .venv/bin/python bench/backbone.py             # print the table
    .venv/bin/python bench/backbone.py --record    # and write bench/RESULTS.md

Servers: ``STRIDE_BENCH_POSTGRES_URL`` (default postgresql+psycopg://postgres@127.0.0.1:5432)
and ``STRIDE_BENCH_AMQP_URL`` (default amqp://guest:guest@127.0.0.1:5672/%2F).
Run as a script: its folder is then on sys.path, and its ``backbone_*`` siblings
import by name.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from backbone_processes import EVENT_TYPE, effects_table
from backbone_results import record_results
from backbone_rig import (
    BackboneRig,
    BenchSetupError,
    code_version,
    machine_facts,
    server_versions,
)

from shared.db import Database
from shared.events import Envelope, record_events

THROUGHPUT_TARGET = 3_000.0  # events/s, end to end (product issue)
P95_TARGET_MS = 200.0  # at 500 events/s (product issue)
PRODUCER_BATCH = 100  # events per outbox transaction in the throughput runs


@dataclass(frozen=True)
class ThroughputRun:
    events: int
    seconds: float  # first outbox commit -> last effect
    producer_seconds: float  # first -> last outbox commit

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def __str__(self) -> str:
        return (
            f"{self.rate:,.0f} events/s ({self.events:,} events in {self.seconds:.2f} s; "
            f"producer committed them in {self.producer_seconds:.2f} s)"
        )


@dataclass(frozen=True)
class LatencyRun:
    events: int
    offered_rate: float  # events/s the producer actually committed
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    def __str__(self) -> str:
        return (
            f"p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, "
            f"max {self.max_ms:.1f} ms ({self.events:,} events at {self.offered_rate:.0f}/s)"
        )


def measure_throughput(rig: BackboneRig, consumers: int, events: int) -> ThroughputRun:
    with rig.running(consumers):
        first_commit = last_commit = 0.0
        for start in range(0, events, PRODUCER_BATCH):
            size = min(PRODUCER_BATCH, events - start)
            commit_outbox(rig.producer_db, range(start, start + size))
            last_commit = time.time()
            first_commit = first_commit or last_commit
        last_effect = rig.wait_for_effects(events, timeout=events / 300 + 60)
    return ThroughputRun(events, last_effect - first_commit, last_commit - first_commit)


def measure_latency(rig: BackboneRig, rate: float, seconds: float) -> LatencyRun:
    events = int(rate * seconds)
    with rig.running(consumers=1):
        started = time.monotonic()
        for n in range(events):
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            commit_outbox(rig.producer_db, [n])
        offered = events / (time.monotonic() - started)
        rig.wait_for_effects(events, timeout=60)
    with rig.consumer_db.engine.connect() as connection:
        query = sa.select((effects_table.c.applied_at - effects_table.c.produced_at) * 1000)
        latencies = sorted(connection.execute(query).scalars())
    centiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return LatencyRun(events, offered, centiles[49], centiles[94], centiles[98], latencies[-1])


def commit_outbox(database: Database, numbers: Sequence[int] | range) -> None:
    with database.unit_of_work() as session:
        record_events(
            session,
            [
                Envelope(
                    type=EVENT_TYPE,
                    producer="bench",
                    subject=f"USR-STU-{n % 1000}",
                    payload={"n": n, "produced_at": time.time()},
                )
                for n in numbers
            ],
        )
        session.commit()


# -- report ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    name: str
    values: list[float]
    unit_format: str  # how one value of this row prints
    target: str = "-"
    met: bool | None = None  # None: no target for this row

    @property
    def median(self) -> float:
        return statistics.median(self.values)


def table(rows: list[Row]) -> str:
    runs = max(len(row.values) for row in rows)
    lines = [
        "| measurement | "
        + " | ".join(f"run {n}" for n in range(1, runs + 1))
        + " | median | target | met |",
        "|---|" + "---:|" * (runs + 1) + "---|---|",
    ]
    for row in rows:
        shown = [format(value, row.unit_format) for value in row.values]
        met = "-" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(
            f"| {row.name} | {' | '.join(shown)} | **{format(row.median, row.unit_format)}** "
            f"| {row.target} | {met} |"
        )
    return "\n".join(lines)


def result_rows(
    one: list[ThroughputRun], two: list[ThroughputRun], latency: list[LatencyRun], rate: float
) -> list[Row]:
    rows = []
    for label, runs in (("1 consumer", one), ("2 consumers", two)):
        rates = [run.rate for run in runs]
        rows.append(
            Row(
                f"end to end, {label} (events/s)",
                rates,
                ",.0f",
                f">= {THROUGHPUT_TARGET:,.0f}",
                statistics.median(rates) >= THROUGHPUT_TARGET,
            )
        )
    for name in ("p50", "p95", "p99"):
        values = [getattr(run, f"{name}_ms") for run in latency]
        row = Row(f"latency {name} at {rate:.0f} events/s (ms)", values, ".1f")
        if name == "p95":
            row = Row(row.name, values, ".1f", f"< {P95_TARGET_MS:.0f}", row.median < P95_TARGET_MS)
        rows.append(row)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/backbone.py", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="per throughput run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=500.0, help="events/s, latency runs")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of a latency run")
    parser.add_argument("--record", action="store_true", help="write bench/RESULTS.md")
    parser.add_argument("--profile", metavar="DIR", help="cProfile the child processes")
    args = parser.parse_args(argv)
    # Turn SIGTERM into SystemExit, so the processes under test are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    command = shlex.join([os.path.relpath(sys.executable), "bench/backbone.py", *sys.argv[1:]])

    load_at_start = Path("/proc/loadavg").read_text().split()[:3]
    code = code_version()
    rig = BackboneRig.from_environment(profile_dir=args.profile)
    one, two, latency = [], [], []
    for run in range(1, args.runs + 1):
        one.append(measure_throughput(rig, consumers=1, events=args.events))
        print(f"run {run}: end to end, 1 consumer:  {one[-1]}", flush=True)
        two.append(measure_throughput(rig, consumers=2, events=args.events))
        print(f"run {run}: end to end, 2 consumers: {two[-1]}", flush=True)
        latency.append(measure_latency(rig, args.rate, args.seconds))
        print(f"run {run}: latency at {args.rate:.0f}/s:   {latency[-1]}", flush=True)

    report = table(result_rows(one, two, latency, args.rate))
    print(report)
    if args.record:
        record_results(
            report,
            command=command,
            machine=machine_facts(),
            versions={**server_versions(rig), "code": code},
            throughput_runs=one + two,
            latency_runs=latency,
            settings=rig.settings,
            notes=(
                f"* Load average (1, 5, 15 min) at the start: {', '.join(load_at_start)}; "
                f"at the end: {', '.join(Path('/proc/loadavg').read_text().split()[:3])}. "
                "Above the CPU count, other work competed with the benchmark.\n"
            ),
        )
        print("recorded in bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchSetupError as exc:
        sys.exit(f"benchmark aborted: {exc}")
