"""Celery tasks of the analytics service, and its beat schedule."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab
from flask import current_app

from shared.tasks import purge_event_tables, task_queue

PURGE_EVENT_TABLES = "analytics.purge_event_tables"

BEAT_SCHEDULE = {
    "purge-event-tables": {
        "task": PURGE_EVENT_TABLES,
        "schedule": crontab(hour=3, minute=15),
        "options": {"queue": task_queue("analytics")},
    },
}


@shared_task(name=PURGE_EVENT_TABLES)
def purge_analytics_event_tables() -> dict[str, int]:
    """Retention of the outbox and inbox. Idempotent: deleting old rows twice deletes none."""
    return purge_event_tables(current_app.extensions["stride"].database)
