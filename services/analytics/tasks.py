"""Celery tasks of the analytics service, and its beat schedule."""

from __future__ import annotations

from shared.tasks import define_retention_task, retention_schedule

BEAT_SCHEDULE = {**retention_schedule("analytics")}

purge_analytics_event_tables = define_retention_task("analytics")
