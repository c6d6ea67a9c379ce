"""Celery workers consume from quorum queues (RabbitMQ refuses global QoS on them), and a
task written to the outbox in a transaction reaches the worker through the relay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.reports.app import create_app as create_reports_app
from shared.cli import declare_broker_topology
from shared.config import Settings
from shared.db import outbox_table
from shared.events.publishers import open_publisher
from shared.events.relay import OutboxRelay
from shared.tasks import enqueue_task, task_queue
from shared.time import utcnow
from tests.support.rabbitmq import rabbitmqctl

pytestmark = pytest.mark.integration


def queue_type(name: str) -> str:
    listing = rabbitmqctl("list_queues", "name", "type", "--formatter", "json")
    return {q["name"]: q["type"] for q in json.loads(listing.stdout)}[name]


def test_a_worker_on_a_quorum_queue_runs_a_task_sent_through_the_outbox(
    settings_for: Callable[..., Settings],
    make_postgres_database: Callable[[str], str],
    rabbitmq_url: str,
    tmp_path: Path,
):
    url = make_postgres_database("reports")
    overrides = {"STRIDE_BROKER_URL": rabbitmq_url, "STRIDE_REPORTS_DATABASE_URL": url}
    settings = settings_for(**overrides)
    app = create_reports_app({"STRIDE_SETTINGS": settings})
    database = app.extensions["stride"].database
    old = utcnow() - timedelta(days=30)
    with database.engine.begin() as connection:
        connection.execute(
            outbox_table.insert().values(
                id="old", event_type="a.b.c", body="{}", created_at=old, sent_at=old
            )
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
        stderr=(tmp_path / "worker.log").open("w"),
    )
    declare_broker_topology("reports", settings)  # what stride migrate does
    relay = OutboxRelay("reports", database, open_publisher(settings))
    try:
        with database.unit_of_work() as session:
            task_id = enqueue_task(session, "reports", "reports.purge_event_tables")
            session.commit()
        deadline = time.monotonic() + 40
        remaining: set[str] = set()
        while time.monotonic() < deadline and worker.poll() is None:
            relay.relay_once()
            with database.engine.connect() as connection:
                query = sa.select(outbox_table.c.id, outbox_table.c.sent_at)
                rows = connection.execute(query).all()
            remaining = {row.id for row in rows}
            if remaining == {task_id} and rows[0].sent_at is not None:
                break
            time.sleep(0.5)
        log = (tmp_path / "worker.log").read_text()
        assert worker.poll() is None, f"the worker exited: {log[-3000:]}"
        # The purge deleted the old published row; the task row itself was sent.
        assert remaining == {task_id}, log[-3000:]
        assert queue_type(task_queue("reports")) == "quorum"
        # native delayed delivery's level queues are classic: light on a small broker
        assert queue_type("celery_delayed_0") == "classic"
    finally:
        relay.publisher.close()
        worker.terminate()
        worker.wait(timeout=30)
