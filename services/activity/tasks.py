"""Scheduled upkeep of the activity log (partitions ahead, archive, retention) as Celery
tasks on the beat schedule, and the same jobs as ``stride activity ...`` commands.

Every job is idempotent: a partition that exists is not created again, an archived
month is gone from the database, records already deleted are not found again.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from celery import shared_task
from celery.schedules import crontab
from flask import current_app

from services.activity import usecases
from services.activity.domain import parse_month
from shared.config import Settings
from shared.db import Database
from shared.migrations import upgrade
from shared.progress import progress_bar
from shared.tasks import define_retention_task, retention_schedule, task_queue
from shared.time import utcnow

QUEUE = {"queue": task_queue("activity")}
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    **retention_schedule("activity"),
    "prepare-partitions": {
        "task": "activity.prepare_partitions",
        "schedule": crontab(hour=1, minute=30),
        "options": QUEUE,
    },
    "archive-old-months": {
        "task": "activity.archive_old_months",
        "schedule": crontab(hour=2, minute=0),
        "options": QUEUE,
    },
    "apply-retention": {
        "task": "activity.apply_retention",
        "schedule": crontab(hour=2, minute=45),
        "options": QUEUE,
    },
}

purge_activity_event_tables = define_retention_task("activity")


def _context() -> tuple[Database, Settings]:
    context = current_app.extensions["stride"]
    return context.database, context.settings


@shared_task(name="activity.prepare_partitions")
def prepare_partitions() -> list[str]:
    """Create this month's partition and the next ones ahead (PostgreSQL)."""
    database, _settings = _context()
    return [f"{month:%Y-%m}" for month in usecases.prepare_partitions(database, utcnow())]


@shared_task(name="activity.archive_old_months")
def archive_old_months() -> dict[str, int]:
    """Archive the months older than ``STRIDE_ACTIVITY_ARCHIVE_AFTER_MONTHS``."""
    database, settings = _context()
    archived = usecases.archive_old_months(
        database,
        settings.activity_archive_dir,
        now=utcnow(),
        after_months=settings.activity_archive_after_months,
    )
    return {f"{month.month:%Y-%m}": month.records for month in archived}


@shared_task(name="activity.apply_retention")
def apply_retention() -> dict[str, int]:
    """Delete records (and archives) past ``STRIDE_ACTIVITY_RETENTION_DAYS``."""
    database, settings = _context()
    result = usecases.apply_retention(
        database,
        settings.activity_archive_dir,
        now=utcnow(),
        retention_days=settings.activity_retention_days,
    )
    return {"records": result.records, "files": result.files}


# -- the same jobs by hand ---------------------------------------------------------------
def run_command(action: str, month: str | None, settings: Settings, *, show_progress: bool) -> int:
    """``stride activity partitions|archive|restore YYYY-MM|retention``; the exit status."""
    url = settings.database_url("activity")
    if settings.auto_migrate:
        upgrade("activity", url, Path(__file__).parent / "migrations")
    database = Database(url)
    progress = progress_bar if show_progress else usecases.archive.quiet
    now = utcnow()
    folder = settings.activity_archive_dir
    try:
        if action == "partitions":
            created = usecases.prepare_partitions(database, now)
            print(f"activity: {len(created)} partition(s) created")
        elif action == "archive":
            archived = usecases.archive_old_months(
                database,
                folder,
                now=now,
                after_months=settings.activity_archive_after_months,
                progress=progress,
            )
            for done in archived:
                print(f"activity: {done.month:%Y-%m} archived, {done.records:,} records")
            print(f"activity: {len(archived)} month(s) archived to {folder}")
        elif action == "restore":
            if month is None:
                print("activity: restore needs the month, YYYY-MM", file=sys.stderr)
                return 2
            restored = usecases.restore_month(
                database, folder, parse_month(month), now=now, progress=progress
            )
            print(f"activity: {month} restored, {restored:,} records")
        elif action == "retention":
            result = usecases.apply_retention(
                database, folder, now=now, retention_days=settings.activity_retention_days
            )
            print(f"activity: {result.records:,} records and {result.files} archive(s) deleted")
        else:
            print(f"activity: unknown action {action!r}", file=sys.stderr)
            return 2
    except (LookupError, ValueError) as exc:
        print(f"activity: {exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    return 0
