"""Celery in the analytics and reports services: configuration, after-commit sending,
and a real worker running a scheduled job against RabbitMQ and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from shared.config import Settings
from shared.db import outbox_table
from shared.events.envelope import utcnow
from shared.gateway import create_service_app_by_name
from shared.tasks import send_task_after_commit, task_queue

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", ["analytics", "reports"])
def test_celery_is_configured_for_at_least_once_tasks(service: str, settings: Settings):
    celery = create_service_app_by_name(service, {"STRIDE_SETTINGS": settings}).extensions["celery"]
    assert celery.conf.task_acks_late is True
    assert celery.conf.task_reject_on_worker_lost is True
    assert celery.conf.task_default_queue == task_queue(service)
    assert f"{service}.purge_event_tables" in {
        entry["task"] for entry in celery.conf.beat_schedule.values()
    }


def test_rabbitmq_publishes_tasks_with_confirms(
    settings_for: Callable[..., Settings], rabbitmq_url: str
):
    settings = settings_for(STRIDE_BROKER_URL=rabbitmq_url)
    celery = create_service_app_by_name("reports", {"STRIDE_SETTINGS": settings}).extensions[
        "celery"
    ]
    assert celery.conf.broker_transport_options["confirm_publish"] is True


def test_a_task_is_sent_only_when_its_transaction_commits(settings: Settings):
    app = create_service_app_by_name("analytics", {"STRIDE_SETTINGS": settings})
    celery, database = app.extensions["celery"], app.extensions["stride"].database
    queue_dir = settings.broker_dir / "queue"

    def queued() -> int:
        return len(list((queue_dir / task_queue("analytics")).glob("*.msg")))

    with database.unit_of_work() as session:
        send_task_after_commit(session, celery, "analytics.purge_event_tables")
        session.rollback()
    assert queued() == 0
    with database.unit_of_work() as session:
        send_task_after_commit(session, celery, "analytics.purge_event_tables")
        assert queued() == 0
        session.commit()
    assert queued() == 1


def test_a_worker_runs_the_retention_job_on_real_servers(
    settings_for: Callable[..., Settings],
    make_postgres_database: Callable[[str], str],
    rabbitmq_url: str,
    tmp_path: Path,
):
    url = make_postgres_database("reports")
    overrides = {"STRIDE_BROKER_URL": rabbitmq_url, "STRIDE_REPORTS_DATABASE_URL": url}
    settings = settings_for(**overrides)
    app = create_service_app_by_name("reports", {"STRIDE_SETTINGS": settings})
    database = app.extensions["stride"].database
    old = utcnow() - timedelta(days=30)
    with database.engine.begin() as connection:
        connection.execute(
            outbox_table.insert(),
            [
                {
                    "id": "old",
                    "event_type": "a.b.c",
                    "body": "{}",
                    "created_at": old,
                    "sent_at": old,
                },
                {
                    "id": "unsent",
                    "event_type": "a.b.c",
                    "body": "{}",
                    "created_at": old,
                    "sent_at": None,
                },
            ],
        )
    environment = {
        **os.environ,
        **overrides,
        "STRIDE_VAR_DIR": str(settings.var_dir),
        "STRIDE_JWT_PUBLIC_KEY": settings.jwt_public_key or "",
    }
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "stride"), "worker", "reports", "--concurrency", "1"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with database.unit_of_work() as session:
            send_task_after_commit(session, app.extensions["celery"], "reports.purge_event_tables")
            session.commit()
        deadline = time.monotonic() + 60
        remaining: set[str] = set()
        while time.monotonic() < deadline:
            with database.engine.connect() as connection:
                remaining = set(connection.execute(sa.select(outbox_table.c.id)).scalars())
            if remaining == {"unsent"}:
                break
            time.sleep(0.5)
        assert remaining == {"unsent"}
    finally:
        worker.terminate()
        worker.wait(timeout=30)
