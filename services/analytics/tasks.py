"""Celery tasks of the analytics service, and its beat schedule.

* ``analytics.refresh_pending`` (every few seconds): re-assess the (student, course)
  pairs the consumer marked, each once however many events it got (coalesced).
  Idempotent: a refresh computes from the facts and writes only what changed.
* ``analytics.retrain_risk_model`` (nightly): fit the success model on the finished
  enrollments. Idempotent apart from keeping one more model row.
* ``analytics.aggregate_days`` (nightly, off-peak): roll up the closed UTC days of
  activity records, and the stale ones, into ``activity_days``. Idempotent: a day
  rolled up again gets the same rows.

``run_evaluation`` is ``stride analytics evaluate`` (read only); ``run_retrain`` is
``stride analytics retrain``: the nightly fit, by hand, as of a chosen moment;
``run_aggregate`` is ``stride analytics aggregate``: the nightly roll-up, by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from celery import shared_task
from celery.schedules import crontab
from flask import current_app

from services.analytics import usecases
from services.analytics.domain.evaluation import CheckpointScore
from shared.config import Settings
from shared.db import Database
from shared.migrations import upgrade
from shared.progress import quiet
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
    "aggregate-days": {
        "task": "analytics.aggregate_days",
        "schedule": crontab(hour=3, minute=15),
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


@shared_task(name="analytics.aggregate_days")
def aggregate_days() -> dict[str, int]:
    """Roll up the closed days not rolled up yet, and the stale ones."""
    grace = timedelta(hours=current_app.extensions["stride"].settings.analytics_rollup_grace_hours)
    done = usecases.aggregate_days(_database(), utcnow(), grace)
    return {"days": done.days, "records": done.records, "rows": done.rows}


@shared_task(name="analytics.recompute")
def recompute(job_id: str) -> dict[str, Any] | None:
    """Run a recompute job (``usecases.run_recompute``), reporting progress in its row."""
    job = usecases.run_recompute(_database(), job_id)
    return None if job is None else {"id": job["id"], "status": job["status"]}


# -- by hand -----------------------------------------------------------------------------
def run_evaluation(settings: Settings, split: datetime | None, now: datetime) -> int:
    """``stride analytics evaluate``: the success model's AUC and calibration by
    checkpoint day, on the analytics database of ``settings``; the exit status."""
    url = settings.database_url("analytics")
    if settings.auto_migrate:
        upgrade("analytics", url, Path(__file__).parent / "migrations")
    database = Database(url)
    try:
        with database.unit_of_work() as session:
            result = usecases.evaluate_risk_model(session, split, now)
    finally:
        database.dispose()
    if result is None:
        print("analytics: no finished enrollment to evaluate on")
        return 0
    print(
        f"analytics: success model trained on enrollments started before "
        f"{result.split:%Y-%m-%d %H:%M} UTC ({result.model.source}, "
        f"{result.model.trained_on:,} examples), judged on those started from then on"
    )
    print(evaluation_table(result.scores))
    return 0


def run_retrain(
    settings: Settings, now: datetime, course_ids: Sequence[str] | None = None
) -> dict[str, Any]:
    """``stride analytics retrain``: fit the success model on the enrollments (of
    ``course_ids`` only, if given) finished before ``now`` and keep it, on the analytics
    database of ``settings``, as the nightly task does; what was fitted."""
    url = settings.database_url("analytics")
    if settings.auto_migrate:
        upgrade("analytics", url, Path(__file__).parent / "migrations")
    database = Database(url)
    try:
        with database.unit_of_work() as session:
            model = usecases.retrain_risk_model(session, now, course_ids)
            session.commit()
    finally:
        database.dispose()
    return {"source": model.source, "trained_on": model.trained_on}


def run_aggregate(
    settings: Settings,
    now: datetime,
    day: date | None = None,
    progress: Callable[[int, int, str], None] = quiet,
) -> usecases.Aggregated:
    """``stride analytics aggregate``: the nightly roll-up as of ``now`` (of ``day``
    only, if given), on the analytics database of ``settings``."""
    url = settings.database_url("analytics")
    if settings.auto_migrate:
        upgrade("analytics", url, Path(__file__).parent / "migrations")
    database = Database(url)
    try:
        grace = timedelta(hours=settings.analytics_rollup_grace_hours)
        return usecases.aggregate_days(database, now, grace, day, progress)
    finally:
        database.dispose()


def evaluation_table(scores: Sequence[CheckpointScore]) -> str:
    header = ("day", "enrollments", "successes", "AUC", "calibration error")
    rows = [
        (
            str(s.day),
            f"{s.enrollments:,}",
            f"{s.successes:,}",
            "-" if s.auc is None else f"{s.auc:.3f}",
            "-" if s.calibration_error is None else f"{s.calibration_error:.3f}",
        )
        for s in scores
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in (header, *rows)
    )
