"""Importing an institution's history through ``POST /enrollment-records``, on PostgreSQL.

The 13,529 OULAD 2013 registrations of ``../shared/data/oulad-2013/`` (82,842
submissions) are sent as records in requests of ``--batch`` (default 500), one course
after another, to the progress app under gunicorn (``deploy/gunicorn.conf.py``) with a
service token, after each course's outline is published (its assessments: TMA as
assignments, CMA and exam as quizzes, due on their day, decided by the final result).
Each run starts from a fresh database and measures:

* the whole import: seconds from the first request to the last answer, and each
  request's seconds (median, max);
* the same records sent again (every record already recorded: nothing written);
* what was written: enrollments, outbox events, audit rows.

    .venv/bin/python bench/progress_records.py            # 3 runs, prints the section
    .venv/bin/python bench/progress_records.py --runs 1 --limit 2000

Mapping: a registration is a record (``enrolled_at`` its registration day from the
presentation's start, time zone Europe/London); a submission its assessment, day and
score (graded the same day; a score of 40 or more passes a quiz, the records' default);
``final_result`` Pass, Distinction, Fail or Withdrawn at the end of the presentation
(a withdrawal at its unregistration day when the data has one).

Servers: ``STRIDE_BENCH_POSTGRES_URL`` (default postgresql+psycopg://postgres@127.0.0.1:5432;
the database ``stride_bench_progress_records`` is created for each run and dropped at
the end). The broker is not used: events stay in the outbox. Run as a script: its
folder is then on sys.path.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import quiet
import sqlalchemy as sa
from progress import drop_database, fresh_database, load_average, machine_facts
from progress_http import Gunicorn
from progress_seed import Course, Registration, load_courses, load_registrations

from services.progress.app import MIGRATIONS
from shared.auth import development_keys, mint_token
from shared.config import load_settings
from shared.migrations import upgrade
from shared.time import to_iso

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "stride_bench_progress_records"
TARGET_SECONDS = 300.0  # the whole import "well under 5 minutes"
OTHER_BENCHMARKS = "bench/(backbone|attempts|progress\\.py|activity|analytics|reports)"
FINAL_RESULTS = {
    "Pass": "pass",
    "Distinction": "distinction",
    "Fail": "fail",
    "Withdrawn": "withdrawn",
}


def outline_of(course: Course) -> dict[str, Any]:
    """The course's assessments, in due order, decided by the final result."""
    dated = sorted(course.assessments, key=lambda a: (a.due_day is None, a.due_day or 0))
    items = []
    for assessment in dated:
        item: dict[str, Any] = {
            "item_id": f"OU-{assessment.assessment_id}",
            "kind": "assignment" if assessment.kind == "TMA" else "quiz",
            "title": f"{assessment.kind} {assessment.assessment_id}",
            "weight": max(1.0, assessment.weight / 5),
        }
        if assessment.due_day is not None:
            item["due_at"] = to_iso(course.start + timedelta(days=assessment.due_day))
        items.append(item)
    return {
        "modules": [
            {"module_id": f"{course.course_id}-M1", "title": "Assessments", "items": items}
        ],
        "completion_criteria": {"requires_final_result": True},
    }


def record_of(registration: Registration, course: Course) -> dict[str, Any]:
    def day(number: float) -> str:
        return to_iso(course.start + timedelta(days=number))

    end = course.length_days
    if registration.final_result == "Withdrawn" and registration.unregistered_day is not None:
        end = max(registration.unregistered_day, registration.registered_day)
    return {
        "student_id": f"OU-STU-{registration.student}",
        "course_id": course.course_id,
        "enrolled_at": day(registration.registered_day),
        "time_zone": "Europe/London",
        "submissions": [
            {"item_id": f"OU-{assessment}", "submitted_at": day(number), "score": score}
            for assessment, number, score in registration.submissions
        ],
        "final_result": {"result": FINAL_RESULTS[registration.final_result], "at": day(end)},
    }


@dataclass(frozen=True)
class Run:
    import_seconds: float
    request_seconds: list[float]
    again_seconds: float
    enrollments: int
    events: int
    audit_rows: int
    unchanged_again: bool
    statuses: dict[int, int]


def post(connection: http.client.HTTPConnection, token: str, body: bytes) -> tuple[int, float]:
    began = time.perf_counter()
    connection.request(
        "POST",
        "/enrollment-records",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    payload = response.read()
    if response.status != 200:
        print(f"answer {response.status}: {payload[:300]!r}", flush=True)
    return response.status, time.perf_counter() - began


def counts(engine: sa.Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("enrollments", "outbox", "audit_log")
        )


def one_run(
    postgres: str, env: dict[str, str], work_dir: Path, port: int, token: str, bodies: list[bytes],
    outlines: dict[str, dict[str, Any]],
) -> Run:  # fmt: skip
    url = fresh_database(postgres, DATABASE)
    env = {**env, "STRIDE_PROGRESS_DATABASE_URL": url}
    upgrade("progress", url, MIGRATIONS)
    engine = sa.create_engine(url)
    statuses: dict[int, int] = {}
    try:
        with Gunicorn(port, env, work_dir / "gunicorn.log"):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            for course_id, document in outlines.items():
                connection.request(
                    "PUT",
                    f"/courses/{course_id}/outline",
                    body=json.dumps(document),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
                assert connection.getresponse().read() and True
            seconds = []
            began = time.perf_counter()
            for body in bodies:
                status, took = post(connection, token, body)
                statuses[status] = statuses.get(status, 0) + 1
                seconds.append(took)
            import_seconds = time.perf_counter() - began
            before = counts(engine)
            began = time.perf_counter()
            for body in bodies:
                status, _took = post(connection, token, body)
                statuses[status] = statuses.get(status, 0) + 1
            again_seconds = time.perf_counter() - began
            after = counts(engine)
            connection.close()
    finally:
        engine.dispose()
    enrollments, events, audit = before
    return Run(
        import_seconds,
        seconds,
        again_seconds,
        enrollments,
        events,
        audit,
        unchanged_again=after[:2] == before[:2],
        statuses=statuses,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/progress_records.py")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--limit", type=int, default=0, help="only the first N registrations")
    parser.add_argument("--port", type=int, default=18471)
    args = parser.parse_args(argv)
    command = shlex.join(
        [os.path.relpath(sys.executable), "bench/progress_records.py", *sys.argv[1:]]
    )

    courses = load_courses()
    registrations = load_registrations()
    if args.limit:
        registrations = registrations[: args.limit]
    records = [record_of(r, courses[r.course_key]) for r in registrations]
    bodies = [
        json.dumps({"records": records[i : i + args.batch]}, separators=(",", ":")).encode()
        for i in range(0, len(records), args.batch)
    ]
    outlines = {course.course_id: outline_of(course) for course in courses.values()}
    submissions = sum(len(r["submissions"]) for r in records)
    print(
        f"{len(records):,} records, {submissions:,} submissions in {len(bodies)} requests "
        f"(largest body {max(len(b) for b in bodies):,} bytes)",
        flush=True,
    )

    postgres = os.environ.get("STRIDE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    work_dir = Path(tempfile.mkdtemp(prefix="stride-bench-records-"))
    var_dir = work_dir / "var"
    keys = development_keys(var_dir)
    env = {
        **os.environ,
        "STRIDE_LOG_LEVEL": "WARNING",
        "STRIDE_VAR_DIR": str(var_dir),
        "STRIDE_AUTO_MIGRATE": "false",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    settings = load_settings(env)
    token = mint_token(settings, sub="USR-SVC-IMPORT", role="service", private_key=keys.private_pem)
    load_at_start = load_average()
    runs: list[Run] = []
    notes: list[str] = []
    try:
        for number in range(1, args.runs + 1):
            note = quiet.wait_until_quiet(OTHER_BENCHMARKS)
            if note:
                notes.append(note)
            run = one_run(postgres, env, work_dir, args.port, token, bodies, outlines)
            runs.append(run)
            print(
                f"run {number}: import {run.import_seconds:.1f} s (request median "
                f"{statistics.median(run.request_seconds):.2f} s, "
                f"max {max(run.request_seconds):.2f} s); "
                f"again {run.again_seconds:.1f} s, unchanged {run.unchanged_again}; "
                f"{run.enrollments:,} enrollments, {run.events:,} events, "
                f"{run.audit_rows:,} audit rows; "
                f"statuses {run.statuses}",
                flush=True,
            )
    finally:
        drop_database(postgres, DATABASE)
    print_section(command, runs, load_at_start, notes, len(records), submissions, len(bodies))
    return 0


def print_section(
    command: str, runs: list[Run], load_at_start: str, notes: list[str], records: int,
    submissions: int, requests: int,
) -> None:  # fmt: skip
    def row(name: str, values: list[float], fmt: str, target: str = "-", met: str = "-") -> str:
        cells = " | ".join(fmt.format(v) for v in values)
        return (
            f"| {name} | {cells} | **{fmt.format(statistics.median(values))}** | {target} | {met} |"
        )

    imports = [r.import_seconds for r in runs]
    print()
    print(f"{records:,} records, {submissions:,} submissions, {requests} requests; {command}")
    print(
        f"at {datetime.now().astimezone().isoformat(timespec='seconds')}; "
        f"load at start {load_at_start}"
    )
    for fact, value in machine_facts().items():
        print(f"$ {fact}\n{value}")
    header = " | ".join(f"run {n}" for n in range(1, len(runs) + 1))
    print(f"| measurement | {header} | median | target | met |")
    print("|---|" + "---:|" * len(runs) + "---:|---|---|")
    met = "yes" if statistics.median(imports) < TARGET_SECONDS else "**no**"
    print(row("whole import (s)", imports, "{:.1f}", f"< {TARGET_SECONDS:.0f}", met))
    print(
        row(
            "request of 500 records, median (s)",
            [statistics.median(r.request_seconds) for r in runs],
            "{:.2f}",
        )
    )
    print(row("request of 500 records, max (s)", [max(r.request_seconds) for r in runs], "{:.2f}"))
    print(row("the same records again (s)", [r.again_seconds for r in runs], "{:.1f}"))
    print(row("enrollments written", [r.enrollments for r in runs], "{:,.0f}"))
    print(row("events in the outbox", [r.events for r in runs], "{:,.0f}"))
    print(
        f"again unchanged: {[r.unchanged_again for r in runs]}; "
        f"statuses {[r.statuses for r in runs]}"
    )
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    raise SystemExit(main())
