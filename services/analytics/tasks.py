"""Celery tasks of the analytics service, and its beat schedule.

* ``analytics.refresh_pending`` (every few seconds): re-assess the (student, course)
  pairs the consumer marked, each once however many events it got (coalesced).
  Idempotent: a refresh computes from the facts and writes only what changed.
* ``analytics.retrain_risk_model`` (nightly): fit the success model on the finished
  enrollments. Idempotent apart from keeping one more model row.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from celery.schedules import crontab
from flask import current_app

from services.analytics import usecases
from shared.tasks import define_retention_task, retention_schedule, task_queue
from shared.time import utcnow

REFRESH_EVERY = timedelta(seconds=2)
QUEUE = {"queue": task_queue("analytics")}

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    **retention_schedule("analytics"),
    "refresh-pending": {
        "task": "analytics.refresh_pending",
        "schedule": REFRESH_EVERY,
        "options": {**QUEUE, "expires": REFRESH_EVERY.total_seconds() * 5},
    },
    "retrain-risk-model": {
        "task": "analytics.retrain_risk_model",
        "schedule": crontab(hour=2, minute=30),
        "options": QUEUE,
    },
}

purge_analytics_event_tables = define_retention_task("analytics")


def _database() -> Any:
    return current_app.extensions["stride"].database


@shared_task(name="analytics.refresh_pending")
def refresh_pending(limit: int = 500) -> int:
    """Drain the marked pairs, a batch per transaction, until none is left."""
    refreshed = 0
    while True:
        with _database().unit_of_work() as session:
            count = usecases.refresh_pending(session, utcnow(), limit)
            session.commit()
        refreshed += count
        if count < limit:
            return refreshed


@shared_task(name="analytics.retrain_risk_model")
def retrain_risk_model() -> dict[str, Any]:
    with _database().unit_of_work() as session:
        model = usecases.retrain_risk_model(session, utcnow())
        session.commit()
    return {"source": model.source, "trained_on": model.trained_on}


@shared_task(name="analytics.recompute")
def recompute(job_id: str) -> dict[str, Any] | None:
    """Run a recompute job (``usecases.run_recompute``), reporting progress in its row."""
    job = usecases.run_recompute(_database(), job_id)
    return None if job is None else {"id": job["id"], "status": job["status"]}
