"""The analytics Celery worker on RabbitMQ and PostgreSQL: it drains the pairs the consumer
marked (coalesced refresh), runs an admin's recompute job, reporting its progress, and
rolls up the closed days of activity records (the nightly task), late records included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from services.analytics import store, usecases
from services.analytics.domain.periods import PeriodType, period_of
from services.analytics.models import activity_days, aggregated_days
from shared.config import Settings
from shared.db import outbox_table
from shared.tasks import send_task_after_commit
from tests.integration.analytics.analytics_api_support import Caller, feed, make_app
from tests.unit.analytics.streams import (
    COURSE,
    OTHER_STUDENT,
    activity,
    at,
    enrolled,
    lesson_completed,
    record,
    submitted,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def worker_app(
    settings_for: Callable[..., Settings],
    make_postgres_database: Callable[[str], str],
    rabbitmq_url: str,
) -> Iterator[Flask]:
    url = make_postgres_database("analytics")
    settings = settings_for(STRIDE_BROKER_URL=rabbitmq_url, STRIDE_ANALYTICS_DATABASE_URL=url)
    app = make_app(settings, url)
    environment = {
        **os.environ,
        "STRIDE_BROKER_URL": rabbitmq_url,
        "STRIDE_ANALYTICS_DATABASE_URL": url,
        "STRIDE_VAR_DIR": str(settings.var_dir),
        "STRIDE_JWT_PUBLIC_KEY": settings.jwt_public_key or "",
        "STRIDE_LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "stride"), "worker", "analytics", "--concurrency", "1"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield app
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.extensions["stride"].database.dispose()


def wait_for(condition: Callable[[], bool], timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def outbox_types(app: Flask) -> list[str]:
    with app.extensions["stride"].database.engine.connect() as connection:
        bodies = connection.execute(sa.select(outbox_table.c.body)).scalars()
        return [json.loads(body)["type"] for body in bodies]


def test_the_worker_refreshes_marked_pairs_once_each(worker_app):
    feed(worker_app, [submitted(f"AT-{n}", "QZ-1", at(n), 20.0) for n in range(5)])
    feed(worker_app, [submitted("AT-X", "QZ-1", at(1), 90.0, student=OTHER_STUDENT)])
    database = worker_app.extensions["stride"].database
    with database.unit_of_work() as session:
        send_task_after_commit(
            session, worker_app.extensions["celery"], "analytics.refresh_pending"
        )
        session.commit()

    def drained() -> bool:
        with database.unit_of_work() as session:
            return store.pending_count(session) == 0

    assert wait_for(drained)
    assert wait_for(lambda: outbox_types(worker_app).count("analytics.snapshot.updated") == 2)
    assert outbox_types(worker_app).count("analytics.risk.changed") == 2


def test_an_admin_recompute_job_runs_on_the_worker(worker_app, token_for):
    feed(worker_app, [submitted(f"AT-{n}", "QZ-1", at(1), 50.0, student=f"S{n}") for n in range(4)])
    admin = Caller(worker_app.test_client(), token_for("admin", "USR-ADM-1"))
    job = admin.post("/recompute-jobs", json={"course_id": COURSE}).json

    def finished() -> bool:
        return admin.get(f"/recompute-jobs/{job['id']}").json["status"] == "finished"

    assert wait_for(finished)
    final = admin.get(f"/recompute-jobs/{job['id']}").json
    assert (final["total"], final["done"]) == (4, 4)


def test_the_nightly_roll_up_on_the_worker_leaves_the_analytics_as_they_were(worker_app):
    records = [
        record(f"LOG-{n}", ["login", "lesson_start", "video_play"][n % 3], at(n % 25, hours=n % 9))
        for n in range(60)
    ]
    feed(worker_app, [enrolled(at(0)), activity(records[:40], time_zone="Asia/Tokyo")])
    feed(worker_app, [activity(records[40:]), lesson_completed("LSN-1", at(3))])
    feed(worker_app, [submitted("AT-1", "QZ-1", at(30), 80.0)])
    database = worker_app.extensions["stride"].database
    # the worker rolls up the days closed by its own clock (2026-12 on): days 0 to 24 are
    now = at(45)
    period = period_of(PeriodType.WEEKLY, None, None, now)  # history before day 17 rolled up

    def analytics() -> list[object]:
        with database.unit_of_work() as session:
            document = usecases.student_analytics(
                session, records[0]["student_id"], None, period, now
            )
            achievements = usecases.student_achievements(
                session, records[0]["student_id"], COURSE, now
            )
            return [document and document.document, achievements]

    every_record = analytics()

    def rolled_up(day: object) -> bool:
        with database.unit_of_work() as session:
            query = sa.select(aggregated_days.c.stale).where(
                aggregated_days.c.day == day, aggregated_days.c.aggregated_at.is_not(None)
            )
            return session.execute(query).scalar_one_or_none() is False

    def aggregate() -> None:
        with database.unit_of_work() as session:
            send_task_after_commit(
                session, worker_app.extensions["celery"], "analytics.aggregate_days"
            )
            session.commit()

    aggregate()
    assert wait_for(lambda: rolled_up(at(24).date()))
    assert analytics() == every_record
    # a late record of a rolled-up day: the day is stale, read from its records, and
    # rolled up again by the next run, counted once
    late = activity([record("LOG-LATE", "login", at(2, hours=5))])
    feed(worker_app, [late, late])
    assert not rolled_up(at(2).date())
    with_late = analytics()
    aggregate()
    assert wait_for(lambda: rolled_up(at(2).date()))
    assert analytics() == with_late
    with database.unit_of_work() as session:
        counted = session.execute(
            sa.select(sa.func.sum(activity_days.c.records)).where(
                activity_days.c.day <= at(24).date()
            )
        ).scalar_one()
    assert counted == 61
