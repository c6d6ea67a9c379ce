"""Reports benchmark: rendering times per format, and draining queued reports with two
Celery workers while one of them is killed.

* render: a comprehensive report with three charts as PDF, and as HTML and JSON
  (median of ``--runs``); targets 1 s for the PDF, 150 ms for HTML and JSON, per worker.
  ``--profile`` then renders each format ``--runs`` times more under cProfile and prints
  the functions that took the time (cProfile slows Python calls down: the timed
  figures come from the runs without it).
* drain (skipped with ``--render-only``): ``--reports`` reports queued at once, two
  workers (``--pool solo``), one killed with SIGKILL ``--kills`` times while they
  drain; every report must end ``ready`` with ``document_version`` 1 and exactly one
  ``reports.report.ready``. Reports not ready are counted as lost, those built twice
  (``document_version`` above 1 or more than one ready event) as duplicated; either
  makes the script exit with status 1.

A calibration (the one bench/activity.py prints) first times fixed work, so that runs on
a loaded machine can be told apart. Runs on the real PostgreSQL and RabbitMQ (a
database and a Celery queue named for the run, removed afterwards). It prints what it
measured; it records nothing.

    .venv/bin/python bench/reports.py --runs 3 --reports 200 --kills 2
    .venv/bin/python bench/reports.py --runs 3 --render-only --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from activity import calibration

from services.reports import store, usecases
from services.reports.app import create_app
from services.reports.documents import render_report
from services.reports.models import Report
from shared.auth import development_keys
from shared.config import load_settings
from shared.db import outbox_table
from shared.events.broker import kombu_connection
from shared.events.contracts.attempts import AttemptSubmitted
from shared.events.contracts.progress import AssignmentRecorded, LessonCompleted

POSTGRES = os.environ.get(
    "STRIDE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
AMQP = os.environ.get("STRIDE_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
STUDENT, COURSE = "USR-STU-BENCH", "CRS-BENCH-1"
START = datetime(2026, 9, 1, tzinfo=UTC)
WORKER = """
import sys
from services.reports.app import create_app
celery = create_app().extensions["celery"]
celery.worker_main(["worker", "--queues", sys.argv[1], "--concurrency", "1", "--pool", "solo",
                    "--loglevel", "WARNING", "--hostname", sys.argv[2] + "@%h"])
"""


def median_ms(action: Callable[[], Any], runs: int) -> float:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def seed(database: Any, quizzes: int = 12, lessons: int = 30) -> None:
    """A term of one student's work: lessons, quiz attempts over weeks, assignments."""
    enrollment: dict[str, Any] = {
        "enrollment_id": "ENR-BENCH",
        "student_id": STUDENT,
        "course_id": COURSE,
    }
    with database.unit_of_work() as session:
        for n in range(lessons):
            usecases.record_lesson_completion(
                session,
                LessonCompleted(
                    **enrollment,
                    lesson_id=f"LSN-{n}",
                    completion_id=f"C-{n}",
                    completed_at=START + timedelta(days=n * 2),
                    time_spent=20 + n % 15,
                    score=60 + (n * 7) % 40,
                    attempts=1,
                ),
            )
        for n in range(quizzes * 2):
            usecases.record_quiz_attempt(
                session,
                student_id=STUDENT,
                course_id=COURSE,
                result=AttemptSubmitted(
                    attempt_id=f"ATT-{n}",
                    quiz_id=f"QZ-{n % quizzes}",
                    attempt_number=1 + n // quizzes,
                    completed_at=START + timedelta(days=n * 3),
                    time_spent=15,
                    score=55 + (n * 11) % 45,
                    passed=True,
                ),
                graded=False,
            )
        usecases.record_assignment_works(
            session,
            [
                (
                    AssignmentRecorded(
                        **enrollment,
                        assignment_id=f"ASG-{n}",
                        action="grade",
                        status="graded",
                        submitted_at=START + timedelta(days=10 * n),
                        grade=70 + n * 4,
                        time_spent=60,
                    ),
                    START + timedelta(days=10 * n + 1),
                )
                for n in range(6)
            ],
        )
        session.commit()


class NoOutlineHere(BaseHTTPRequestHandler):
    """Stands in for the progress API: the course has no outline (404), answered at once."""

    def do_GET(self) -> None:
        self.send_response(404)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


class NoOutlines:
    def outline(self, course_id: str) -> None:
        return None


def request(app: Any, fmt: str, graphs: bool) -> str:
    database = app.extensions["stride"].database
    with database.unit_of_work() as session:
        report = usecases.new_report(
            session,
            {
                "student_id": STUDENT,
                "course_id": COURSE,
                "report_type": "comprehensive",
                "period_start": START,
                "period_end": START + timedelta(days=120),
                "configuration": {
                    "format": fmt,
                    "include_graphs": graphs,
                    "detail_level": "comprehensive",
                },
            },
            generated_by="bench-render",
        )
        session.commit()
        return report.id


FORMATS = {"pdf, 3 charts": "pdf", "html, 3 charts": "html", "json": "json"}


def built_document(app: Any) -> dict[str, Any]:
    """The API's document of a comprehensive report with graphs, built by its job."""
    database, settings = app.extensions["stride"].database, app.extensions["stride"].settings
    with app.app_context():
        report_id = request(app, "json", True)
        with database.engine.connect() as connection:
            job_id = connection.execute(
                sa.select(Report.job_id).where(Report.id == report_id)
            ).scalar()
        usecases.build_report(database, settings, report_id, job_id, NoOutlines())
        with database.unit_of_work() as session:
            document: dict[str, Any] = usecases.report_document(
                session, store.require_report(session, report_id)
            )
    return document


def bench_render(document: dict[str, Any], runs: int) -> dict[str, float]:
    render_report(document, "pdf")  # warm up fonts and matplotlib once
    return {
        label: median_ms(lambda fmt=fmt: render_report(document, fmt), runs)
        for label, fmt in FORMATS.items()
    }


def profile_render(document: dict[str, Any], runs: int, top: int = 25) -> None:
    """Print where each format's rendering spends its time (cProfile, ``runs`` renders)."""
    for label, fmt in FORMATS.items():
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            render_report(document, fmt)
        profiler.disable()
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
            lines = out.getvalue().strip().splitlines()
            table = lines[next(i for i, line in enumerate(lines) if "ncalls" in line) :]
            print(f"\nprofile of {runs} renders, {label}, top {top} by {order}:")
            print("\n".join(table))


def bench_drain(
    app: Any, environment: dict[str, str], queue: str, count: int, kills: int
) -> dict[str, Any]:
    database = app.extensions["stride"].database
    celery = app.extensions["celery"]
    celery.conf.task_default_queue = queue

    def start(name: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER, queue, name],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    workers = [start("bench-a"), start("bench-b")]
    began = time.monotonic()
    for _ in range(count):
        with database.unit_of_work() as session:
            report = usecases.new_report(
                session,
                {
                    "student_id": STUDENT,
                    "course_id": COURSE,
                    "report_type": "comprehensive",
                    "period_start": START,
                    "period_end": START + timedelta(days=120),
                    "configuration": {"format": "pdf", "include_graphs": True},
                },
                generated_by="bench",
            )
            usecases.enqueue_after_commit(session, celery, report.id, report.job_id)
            session.commit()

    def ready() -> int:
        with database.engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(Report).where(Report.status == "ready")
                ).scalar()
                or 0
            )

    killed = 0
    deadline = time.monotonic() + 3600
    while ready() < count and time.monotonic() < deadline:
        if killed < kills and ready() >= count * (killed + 1) // (kills + 1):
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            workers[0] = start(f"bench-a{killed}")
            killed += 1
        time.sleep(0.2)
    elapsed = time.monotonic() - began
    for worker in workers:
        worker.terminate()
        worker.wait(timeout=60)
    return {"seconds": round(elapsed, 1), "kills": killed, **drain_outcome(database, count)}


def drain_outcome(database: Any, count: int) -> dict[str, Any]:
    """Lost reports (not ready) and duplicated ones (built twice, or announced twice)."""
    with database.engine.connect() as connection:
        reports = connection.execute(
            sa.select(Report.id, Report.status, Report.document_version).where(
                Report.generated_by == "bench"
            )
        ).all()
        bodies = connection.execute(
            sa.select(outbox_table.c.body).where(
                outbox_table.c.event_type == "reports.report.ready"
            )
        ).scalars()
        announced: dict[str, int] = {}
        for body in bodies:
            report_id = json.loads(body)["payload"]["report_id"]
            announced[report_id] = announced.get(report_id, 0) + 1
    versions: dict[int, int] = {}
    for report in reports:
        versions[report.document_version] = versions.get(report.document_version, 0) + 1
    return {
        "queued": len(reports),
        "lost": count - len(reports) + sum(1 for r in reports if r.status != "ready"),
        "duplicated": sum(
            1 for r in reports if r.document_version > 1 or announced.get(r.id, 0) > 1
        ),
        "versions": versions,
        "ready events": sum(announced.get(r.id, 0) for r in reports),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--render-only", action="store_true", help="skip the drain")
    parser.add_argument(
        "--profile", action="store_true", help="print where each format's render spends its time"
    )
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(f"# Reports benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {cores} cores)")
    print(calibration(), flush=True)
    name = f"stride_bench_reports_{uuid.uuid4().hex[:8]}"
    admin_url = POSTGRES.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    outlines = ThreadingHTTPServer(("127.0.0.1", 0), NoOutlineHere)
    threading.Thread(target=outlines.serve_forever, daemon=True).start()
    var = tempfile.mkdtemp(prefix="stride-bench-reports-")
    keys = development_keys(Path(var))
    environment = {
        **os.environ,
        "STRIDE_VAR_DIR": var,
        "STRIDE_BROKER_URL": AMQP,
        "STRIDE_REPORTS_DATABASE_URL": f"{POSTGRES}/{name}",
        "STRIDE_LOG_LEVEL": "WARNING",
        "STRIDE_JWT_PUBLIC_KEY": keys.public_pem,
        "STRIDE_JWT_PRIVATE_KEY": keys.private_pem,
        "STRIDE_PROGRESS_API_URL": f"http://127.0.0.1:{outlines.server_port}",
    }
    settings = load_settings(environment)
    app = create_app({"STRIDE_SETTINGS": settings})
    queue = f"celery.reports.bench{uuid.uuid4().hex[:8]}"
    failed = False
    try:
        seed(app.extensions["stride"].database)
        document = built_document(app)
        render = bench_render(document, args.runs)
        print(f"render, median of {args.runs} (ms):")
        for label, value in render.items():
            print(f"  {label:16} {value:8.1f}")
        if args.profile:
            profile_render(document, args.runs)
        if not args.render_only:
            drain = bench_drain(app, environment, queue, args.reports, args.kills)
            print(
                f"drain of {args.reports} PDF reports, 2 workers, one killed "
                f"{drain['kills']} times:"
            )
            print(
                f"  {drain['seconds']} s; lost {drain['lost']}, duplicated "
                f"{drain['duplicated']}; reports by document_version: {drain['versions']}; "
                f"reports.report.ready events: {drain['ready events']}"
            )
            failed = bool(drain["lost"] or drain["duplicated"])
    finally:
        outlines.shutdown()
        app.extensions["stride"].database.dispose()
        with kombu_connection(settings) as connection:
            connection.default_channel.queue_delete(queue)
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
