"""Analytics service benchmark on the real PostgreSQL (issue 12, point 10).

Measures, each ``--runs`` times (median quoted):

* **recompute**: a recompute job over every (student, course) pair (``usecases.run_recompute``:
  risk level, achievements and snapshot events of each pair, from its facts) on a
  database seeded with ``--students`` students, ``--records`` activity records and
  ``--attempts`` quiz attempts, written through the service's own store; with the
  process's peak resident memory;
* **document**: the LearningAnalytics document (``usecases.student_analytics``, the use
  case behind ``GET /students/{id}/analytics``, without HTTP) of ``--reads`` random
  students: p50 and p95 milliseconds, for October (the seeded records run from September
  to November) and for the month of now;
* with ``--roll-up``: the same again after the nightly roll-up of the closed days
  (``usecases.aggregate_days``, timed), which the reads use for history before their
  detailed window.

    .venv/bin/python bench/analytics.py                       # full size (10,000 students)
    .venv/bin/python bench/analytics.py --students 200 --records 20000 --attempts 2000 --runs 1

Not measured here (yet): the event-to-document latency under 500 events/s and the read
over HTTP at 200 requests/s. Server: ``STRIDE_BENCH_POSTGRES_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432); a database ``stride_bench_analytics_<random>``
is created for the run and dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from activity import calibration

from services.analytics import store, usecases
from services.analytics.domain.periods import PeriodType, period_of
from services.analytics.domain.projections import (
    ActivityFact,
    AttemptReport,
    ReportKind,
    content_type_of,
    kind_of,
)
from shared.db import Database
from shared.migrations import upgrade

POSTGRES = os.environ.get(
    "STRIDE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
MIGRATIONS = Path(__file__).resolve().parent.parent / "services" / "analytics" / "migrations"
START = datetime(2026, 9, 1, tzinfo=UTC)
TYPES = [
    "lesson_start",
    "video_play",
    "quiz_start",
    "login",
    "resource_download",
    "lesson_complete",
]


def seed(database: Database, students: int, records: int, attempts: int, courses: int) -> None:
    rng = random.Random(12)
    ids = [f"USR-STU-{n}" for n in range(students)]
    course_of = {s: f"CRS-{n % courses}" for n, s in enumerate(ids)}
    with database.unit_of_work() as session:
        batch: list[ActivityFact] = []
        for n in range(records):
            student = rng.choice(ids)
            activity_type = rng.choice(TYPES)
            lesson = f"LSN-{rng.randrange(20)}" if activity_type.startswith("lesson") else None
            batch.append(
                ActivityFact(
                    record_id=f"LOG-{n}",
                    student_id=student,
                    course_id=course_of[student],
                    occurred_at=START + timedelta(minutes=rng.randrange(90 * 24 * 60)),
                    activity_type=activity_type,
                    kind=kind_of(activity_type, lesson_id=lesson),
                    content_type=content_type_of(activity_type, None),
                    duration_seconds=float(rng.randrange(0, 1800)),
                    session_id=f"SES-{student}-{n // 5}",
                    lesson_id=lesson,
                    quiz_id=None,
                    assignment_id=None,
                    resource_id=None,
                    interaction_count=rng.randrange(10),
                    page_viewed=True,
                    time_zone="Europe/London",
                )
            )
            if len(batch) == 5000:
                store.add_activities(session, batch)
                batch = []
        store.add_activities(session, batch)
        reports = []
        for n in range(attempts):
            student = rng.choice(ids)
            score = float(rng.randrange(101))
            reports.append(
                AttemptReport(
                    attempt_id=f"AT-{n}",
                    student_id=student,
                    course_id=course_of[student],
                    quiz_id=f"QZ-{rng.randrange(10)}",
                    kind=ReportKind.SUBMITTED,
                    at=START + timedelta(minutes=rng.randrange(90 * 24 * 60)),
                    attempt_number=1,
                    is_practice=False,
                    completed_at=None,
                    time_spent=10.0,
                    score=score,
                    passed=score >= 60,
                )
            )
        reports = [AttemptReport(**{**r.__dict__, "completed_at": r.at}) for r in reports]
        store.add_attempt_reports(session, reports)
        session.commit()


def recompute(database: Database) -> float:
    with database.unit_of_work() as session:
        job = usecases.request_recompute(session, None, "bench", datetime.now(UTC))
        session.commit()
    began = time.perf_counter()
    usecases.run_recompute(database, job["id"], batch=500)
    return time.perf_counter() - began


def reads(database: Database, students: int, count: int, month: datetime) -> list[float]:
    rng = random.Random(7)
    period = period_of(PeriodType.MONTHLY, month, None, datetime.now(UTC))
    timings = []
    for _ in range(count):
        student = f"USR-STU-{rng.randrange(students)}"
        with database.read_session_factory() as session:
            began = time.perf_counter()
            course = store.student_courses(session, student)
            usecases.student_analytics(
                session, student, course[0] if course else None, period, datetime.now(UTC)
            )
            timings.append((time.perf_counter() - began) * 1000)
    return timings


def measure(database: Database, args: argparse.Namespace) -> None:
    times = [recompute(database) for _ in range(args.runs)]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"recompute: median {statistics.median(times):.2f} s (runs: "
        + ", ".join(f"{t:.2f}" for t in times)
        + f"), peak RSS {peak:.0f} MiB"
    )
    for label, month in (("October", START + timedelta(days=40)), ("now", datetime.now(UTC))):
        latencies = sorted(reads(database, args.students, args.reads, month))
        p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
        print(
            f"document of {label}'s month ({args.reads} reads): "
            f"p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--roll-up", action="store_true", help="measure again after the nightly roll-up"
    )
    args = parser.parse_args()
    print(calibration(), flush=True)
    name = f"stride_bench_analytics_{uuid.uuid4().hex[:8]}"
    admin_url = POSTGRES.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"{POSTGRES}/{name}"
    try:
        upgrade("analytics", url, MIGRATIONS)
        database = Database(url)
        began = time.perf_counter()
        seed(database, args.students, args.records, args.attempts, args.courses)
        print(f"seeded in {time.perf_counter() - began:.1f} s", flush=True)
        print(
            f"students={args.students} records={args.records} attempts={args.attempts} "
            f"runs={args.runs}"
        )
        measure(database, args)
        if args.roll_up:
            began = time.perf_counter()
            done = usecases.aggregate_days(database, datetime.now(UTC), timedelta(hours=48))
            print(
                f"roll-up: {done.days} days, {done.records:,} records into {done.rows:,} rows "
                f"in {time.perf_counter() - began:.1f} s; with it:"
            )
            store.course_facts_cache = store.CourseFactsCache()
            measure(database, args)
        database.dispose()
        print(calibration(), flush=True)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
