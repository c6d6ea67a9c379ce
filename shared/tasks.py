"""Celery for the services that have workers (analytics, reports).

Tasks run inside the Flask app context, are acked late and requeued if their worker
dies. Each service's tasks live in one quorum queue, ``stride.tasks.<service>``,
declared explicitly (``task_queues``) so that Celery sees it is a quorum queue and
does not ask for global QoS, which RabbitMQ refuses on quorum queues.

Two ways to enqueue from a transaction:

* ``enqueue_task`` writes the task to the service's outbox in the same transaction;
  the relay publishes it like an event (routing key ``tasks.<service>.requested`` on
  ``stride.events``, to which the task queue is bound): it is sent if and only if the
  transaction commits, and never lost. Use it for tasks that must run.
* ``send_task_after_commit`` sends it from an after-commit hook: nothing is sent on
  rollback, but a broker failure at that moment loses the task (it is logged).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from celery import Celery, Task, shared_task
from celery.beat import PersistentScheduler
from celery.schedules import crontab
from flask import Flask, current_app
from kombu import Exchange, Queue
from sqlalchemy.orm import Session

from shared.config import load_settings
from shared.db import Database, outbox_table, run_after_commit
from shared.events import relay, topology
from shared.events.broker import celery_broker_options
from shared.events.envelope import MAX_ENVELOPE_BYTES, utcnow
from shared.events.inbox import purge_processed
from shared.events.outbox import EventTooLarge, purge_sent
from shared.observability import Heartbeat

INBOX_RETENTION = relay.INBOX_RETENTION
OUTBOX_RETENTION = relay.SENT_RETENTION


def task_queue(service: str) -> str:
    return f"stride.tasks.{service}"


def task_routing_key(service: str) -> str:
    """The routing key on ``stride.events`` of tasks that leave through the outbox."""
    return f"tasks.{service}.requested"


def task_queue_definition(service: str) -> Queue:
    name = task_queue(service)
    return Queue(
        name,
        Exchange(name, type="direct", durable=True),
        routing_key=name,
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )


def declare_task_queue(channel: Any, service: str) -> None:
    """Declare the task queue and bind it to ``stride.events`` for outbox tasks."""
    queue = task_queue_definition(service)(channel)
    queue.declare()
    topology.events_exchange()(channel).declare()
    queue.bind_to(exchange=topology.EXCHANGE, routing_key=task_routing_key(service))


def celery_init_app(
    app: Flask, service: str, beat_schedule: Mapping[str, Mapping[str, Any]]
) -> Celery:
    settings = app.extensions["stride"].settings

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(f"stride.{service}", task_cls=FlaskTask)
    celery.conf.update(
        **celery_broker_options(settings),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=task_queue(service),
        task_queues=(task_queue_definition(service),),
        # Quorum queues refuse global QoS: Celery then uses per-consumer prefetch.
        worker_detect_quorum_queues=True,
        # With a quorum task queue each worker also declares native delayed delivery's
        # 28 level queues (``celery_delayed_0`` ...), as quorum queues by default: 28
        # Raft groups per vhost, enough to leave a small broker (2 cores, many test
        # vhosts) stalled in AMQP handshakes. Classic queues serve the countdowns; the
        # tasks' own queue stays a quorum queue.
        broker_native_delayed_delivery_queue_type="classic",
        task_default_delivery_mode="persistent",
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        beat_schedule=dict(beat_schedule),
        include=[f"services.{service}.tasks"],
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def send_task_after_commit(
    session: Session, celery: Celery, name: str, *args: Any, **kwargs: Any
) -> None:
    """Enqueue task ``name`` once the session's transaction commits; never if it rolls back.

    A broker failure after the commit loses the task (logged); ``enqueue_task`` does not.
    """
    run_after_commit(session, lambda: celery.send_task(name, args=args, kwargs=kwargs))


def enqueue_task(session: Session, service: str, name: str, *args: Any, **kwargs: Any) -> str:
    """Write task ``name`` of ``service`` to the outbox in the session's transaction.

    The relay publishes it to the service's task queue (Celery's message protocol 1:
    a JSON body naming the task, its id and arguments) once the transaction commits.
    Returns the task id. Arguments must be JSON.
    """
    task_id = str(uuid.uuid4())
    body = json.dumps(
        {"task": name, "id": task_id, "args": list(args), "kwargs": kwargs, "retries": 0},
        separators=(",", ":"),
    )
    if len(body.encode()) > MAX_ENVELOPE_BYTES:
        raise EventTooLarge(f"task {name} is larger than {MAX_ENVELOPE_BYTES} bytes")
    session.execute(
        outbox_table.insert().values(
            id=task_id, event_type=task_routing_key(service), body=body, created_at=utcnow()
        )
    )
    return task_id


def retention_schedule(service: str) -> dict[str, dict[str, Any]]:
    """The beat entry of the nightly retention job every Celery service runs."""
    return {
        "purge-event-tables": {
            "task": f"{service}.purge_event_tables",
            "schedule": crontab(hour=3, minute=15),
            "options": {"queue": task_queue(service)},
        }
    }


def define_retention_task(service: str) -> Any:
    """Register ``<service>.purge_event_tables`` on every Celery app of the process.

    Idempotent: deleting rows older than the retention twice deletes nothing more.
    """

    @shared_task(name=f"{service}.purge_event_tables")
    def purge_service_event_tables() -> dict[str, int]:
        return purge_event_tables(current_app.extensions["stride"].database)

    return purge_service_event_tables


def purge_event_tables(database: Database) -> dict[str, int]:
    """Forget published outbox rows and old inbox rows (the retention job of every service)."""
    with database.unit_of_work() as session:
        purged = {
            "outbox": purge_sent(session, OUTBOX_RETENTION),
            "inbox": purge_processed(session, INBOX_RETENTION),
        }
        session.commit()
    return purged


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's scheduler, touching ``STRIDE_HEARTBEAT_FILE`` on every tick."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        path = load_settings().heartbeat_file
        self._heartbeat = Heartbeat(Path(path) if path else None, every_seconds=10)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        self._heartbeat.beat()
        return float(super().tick(*args, **kwargs))
