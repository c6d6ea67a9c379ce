"""Celery tasks of the reports service, and its beat schedule."""

from __future__ import annotations

from datetime import date
from typing import Any

import structlog
from celery import Task, shared_task
from celery.schedules import crontab
from flask import current_app

from services.reports import usecases
from services.reports.documents import RenderingUnavailable
from services.reports.domain.terms import term_ended_before
from services.reports.sources import ProgressOutlines, SourceUnavailable
from shared.tasks import define_retention_task, retention_schedule, task_queue

log = structlog.get_logger(__name__)

BUILD_REPORT = "reports.build_report"
SCHEDULE_TERM_REPORTS = "reports.schedule_term_reports"
MAX_SOURCE_RETRIES = 5

BEAT_SCHEDULE = {
    **retention_schedule("reports"),
    "end-of-term-reports": {
        "task": SCHEDULE_TERM_REPORTS,
        # the day after each term ends (terms: README "Scheduled reports")
        "schedule": crontab(hour=2, minute=30, day_of_month=1, month_of_year="1,6,9"),
        "options": {"queue": task_queue("reports")},
    },
}

purge_reports_event_tables = define_retention_task("reports")


@shared_task(name=BUILD_REPORT, bind=True, max_retries=MAX_SOURCE_RETRIES)
def build_report(self: Task, report_id: str, job_id: str) -> str:
    """Build one report job.

    Idempotent (see ``usecases.jobs.build_report``): acked late and requeued if the worker
    dies, a redelivered job writes the report at most once. While another service is
    down the job is retried with exponential backoff, then failed with the reason.
    """
    context = current_app.extensions["stride"]
    database, settings = context.database, context.settings
    try:
        return usecases.build_report(
            database, settings, report_id, job_id, ProgressOutlines(settings)
        )
    except SourceUnavailable as exc:
        if self.request.retries >= MAX_SOURCE_RETRIES:
            usecases.fail_build(database, report_id, job_id, str(exc))
            return "failed"
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**self.request.retries)) from exc
    except RenderingUnavailable as exc:
        usecases.fail_build(database, report_id, job_id, str(exc))
        return "failed"
    except Exception as exc:
        # The job cannot succeed by running again; the report says why instead of
        # staying "running" for ever, and the error is logged with its traceback.
        log.exception("report.build_failed", report_id=report_id, error=repr(exc))
        usecases.fail_build(database, report_id, job_id, f"internal error: {exc!r}")
        return "failed"


@shared_task(name=SCHEDULE_TERM_REPORTS)
def schedule_term_reports(today: str | None = None) -> dict[str, Any]:
    """Queue the end-of-term report of every enrolled student and course.

    Idempotent: each (term, student, course) has one scheduled report (a unique key), so
    running the job twice queues nothing more.
    """
    context = current_app.extensions["stride"]
    day = date.fromisoformat(today) if today else None
    term = term_ended_before(day or date.today())
    celery = current_app.extensions["celery"]
    queued = usecases.schedule_term_reports(
        context.database,
        term,
        enqueue=lambda session, report_id, job_id: usecases.enqueue_after_commit(
            session, celery, report_id, job_id
        ),
    )
    return {"term_start": term.start.isoformat(), "queued": queued}
