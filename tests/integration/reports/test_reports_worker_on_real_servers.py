"""A real Celery worker on RabbitMQ and PostgreSQL builds queued reports, reading the course
outline from a running progress API with a service token; a redelivered job adds no
document version. The worker consumes a queue named for this test."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from services.progress.app import create_app as create_progress_app
from services.reports.models import Report
from services.reports.sources import ProgressOutlines, SourceUnavailable
from shared.config import Settings
from shared.events.broker import kombu_connection
from tests.integration.progress.progress_api_support import outline_document
from tests.integration.reports.reports_support import (
    COURSE,
    Caller,
    make_app,
    outbox_types,
    report_request,
    seed_work,
)

pytestmark = pytest.mark.integration

WORKER = """
import sys
from services.reports.app import create_app
celery = create_app().extensions["celery"]
celery.worker_main(["worker", "--queues", sys.argv[1], "--concurrency", "1", "--pool", "solo",
                    "--loglevel", "WARNING", "--hostname", sys.argv[1] + "@%h"])
"""


@pytest.fixture
def progress_api(
    settings: Settings, make_postgres_database: Callable[[str], str], token_for
) -> Iterator[str]:
    """The progress service, serving an outline of COURSE over HTTP."""
    app = create_progress_app(
        {"STRIDE_SETTINGS": settings, "DATABASE_URL": make_postgres_database("progress")}
    )
    admin = Caller(app.test_client(), token_for("admin", "USR-ADM-1"))
    assert admin.put(f"/courses/{COURSE}/outline", json=outline_document()).status_code == 200
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["stride"].database.dispose()


@pytest.fixture
def worker_setup(
    settings_for: Callable[..., Settings],
    make_postgres_database: Callable[[str], str],
    rabbitmq_url: str,
    progress_api: str,
) -> Iterator[dict[str, Any]]:
    queue = f"celery.reports.test{uuid.uuid4().hex[:10]}"
    overrides = {
        "STRIDE_BROKER_URL": rabbitmq_url,
        "STRIDE_REPORTS_DATABASE_URL": make_postgres_database("reports"),
        "STRIDE_PROGRESS_API_URL": progress_api,
    }
    settings = settings_for(**overrides)
    app = make_app(settings, overrides["STRIDE_REPORTS_DATABASE_URL"])
    app.extensions["celery"].conf.task_default_queue = queue
    environment = {
        **os.environ,
        **overrides,
        "STRIDE_VAR_DIR": str(settings.var_dir),
        "STRIDE_JWT_PUBLIC_KEY": settings.jwt_public_key or "",
        "STRIDE_JWT_PRIVATE_KEY": settings.jwt_private_key or "",
    }
    workers: list[subprocess.Popen[bytes]] = []

    def start_worker() -> subprocess.Popen[bytes]:
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, queue],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        workers.append(worker)
        return worker

    start_worker()
    yield {"app": app, "queue": queue, "start_worker": start_worker, "workers": workers}
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=60)
    with kombu_connection(settings) as connection:
        connection.default_channel.queue_delete(queue)
    app.extensions["stride"].database.dispose()


def _wait_for_status(app, report_id: str, timeout: float = 120) -> tuple[str, int]:
    database = app.extensions["stride"].database
    deadline = time.monotonic() + timeout
    row: Any = None
    while time.monotonic() < deadline:
        with database.engine.connect() as connection:
            row = connection.execute(
                sa.select(Report.status, Report.document_version).where(Report.id == report_id)
            ).one()
        if row.status in {"ready", "failed"}:
            return row.status, row.document_version
        time.sleep(0.2)
    return row.status, row.document_version


def test_a_worker_builds_reports_with_the_outline_from_progress(worker_setup, token_for):
    app = worker_setup["app"]
    seed_work(app)
    teacher = Caller(app.test_client(), token_for("teacher", "USR-TEA-1", courses=[COURSE]))
    body = report_request(configuration={"format": "pdf", "include_graphs": True})
    report_id = teacher.post("/reports", json=body).json["id"]
    assert _wait_for_status(app, report_id) == ("ready", 1)
    report = teacher.get(f"/reports/{report_id}").json
    # titles and modules come from progress's outline, not from the events
    assert report["assessments"]["quizzes"][0]["title"] == "Limits quiz"
    assert {skill["skill_name"] for skill in report["skills"]} == {"Limits"}

    # the same job delivered again: nothing more is written
    with app.extensions["stride"].database.engine.connect() as connection:
        job_id = connection.execute(sa.select(Report.job_id)).scalar_one()
    app.extensions["celery"].send_task("reports.build_report", args=[report_id, job_id])
    follower = teacher.post("/reports", json=report_request()).json["id"]
    assert _wait_for_status(app, follower)[0] == "ready"  # the queue is FIFO on one worker
    assert _wait_for_status(app, report_id) == ("ready", 1)
    assert outbox_types(app).count("reports.report.ready") == 2


def test_outlines_are_retried_with_backoff_then_reported_unavailable(
    settings_for: Callable[..., Settings], progress_api: str
):
    waits: list[float] = []
    down = settings_for(STRIDE_PROGRESS_API_URL="http://127.0.0.1:9")  # nothing listens
    with pytest.raises(SourceUnavailable, match="did not answer"):
        ProgressOutlines(down, attempts=4, sleep=waits.append).outline(COURSE)
    assert waits == [0.5, 1.0, 2.0]
    up = settings_for(STRIDE_PROGRESS_API_URL=progress_api)
    items = ProgressOutlines(up, sleep=waits.append).outline(COURSE)
    assert items is not None and items[2].title == "Limits quiz"
    assert ProgressOutlines(up).outline("CRS-NONE") is None


def test_a_worker_killed_mid_render_leaves_one_version_of_each_report(worker_setup, token_for):
    app = worker_setup["app"]
    seed_work(app)
    teacher = Caller(app.test_client(), token_for("teacher", "USR-TEA-1", courses=[COURSE]))
    body = report_request(configuration={"format": "pdf", "include_graphs": True})
    report_ids = [teacher.post("/reports", json=body).json["id"] for _ in range(4)]
    database = app.extensions["stride"].database
    deadline = time.monotonic() + 120
    running: list[str] = []
    while time.monotonic() < deadline and not running:
        with database.engine.connect() as connection:
            running = list(
                connection.execute(sa.select(Report.id).where(Report.status == "running")).scalars()
            )
        time.sleep(0.02)
    [first_worker] = worker_setup["workers"]
    first_worker.kill()  # SIGKILL: no chance to ack or clean up
    first_worker.wait(timeout=30)
    assert running, "no report was seen running before the kill"
    worker_setup["start_worker"]()
    assert [_wait_for_status(app, report_id) for report_id in report_ids] == [("ready", 1)] * 4
    assert outbox_types(app).count("reports.report.ready") == 4
