"""The worker's use cases: building a report once per job, failing it with a reason, and
queuing the end-of-term reports."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.reports import documents, events, store
from services.reports.documents import MEDIA_TYPES, RenderingUnavailable, render_report
from services.reports.domain.content import ReportInputs, compose_report
from services.reports.domain.work import Period
from services.reports.sources import OutlineSource
from services.reports.usecases.report_views import (
    Enqueue,
    fingerprint_of,
    jsonable,
    report_document,
    revived,
)
from services.reports.usecases.requests import new_report
from shared.config import Settings
from shared.db import Database
from shared.events import record_event
from shared.tasks import send_task_after_commit
from shared.time import to_iso, utcnow


# -- the worker ----------------------------------------------------------------------------
class JobSkipped(Exception):
    """The job is not (or no longer) the one to run: done already, or superseded."""


def start_build(database: Database, report_id: str, job_id: str) -> tuple[ReportInputs, str, str]:
    """Mark the job running and read what it needs (one transaction)."""
    with database.unit_of_work() as session:
        report = store.report_by_id(session, report_id, lock=True)
        if report is None or report.job_id != job_id or report.status in {"ready", "failed"}:
            raise JobSkipped(report_id)
        report.status, report.updated_at = "running", utcnow()
        report.job_attempts += 1
        configuration = report.configuration
        inputs = ReportInputs(
            record=store.student_record(session, report.student_id, report.course_id),
            period=Period(report.period_start, report.period_end),
            course=store.course_settings_as_domain(
                store.course_settings(session, report.course_id)
            ),
            teacher=revived(report.teacher_input),
            language=configuration.get("language", "en"),
            for_parents=bool(configuration.get("visibility", {}).get("parents", False)),
        )
        course_id, fmt = report.course_id, configuration["format"]
        session.commit()
    return inputs, course_id or "", fmt


def build_report(
    database: Database,
    settings: Settings,
    report_id: str,
    job_id: str,
    outlines: OutlineSource,
) -> str:
    """Build the report's content and its document in the configured format.

    Idempotent: the content is written, and the document version counted, only by the
    job the report is waiting for and only once (the row is locked and the status
    checked again before writing); a redelivered job, or one whose worker died
    mid-render, finds the report ready or builds the same content and writes it once.
    Returns ``ready`` or ``skipped``. Raises ``SourceUnavailable`` (retry later) and
    ``RenderingUnavailable`` (fail the job with its reason).
    """
    try:
        inputs, course_id, fmt = start_build(database, report_id, job_id)
    except JobSkipped:
        return "skipped"
    if fmt == "pdf" and documents.pdf_support() != "ok":
        raise RenderingUnavailable(documents.pdf_support())
    outline = (outlines.outline(course_id) or []) if course_id else []
    inputs = ReportInputs(
        inputs.record,
        inputs.period,
        tuple(outline),
        inputs.course,
        inputs.teacher,
        inputs.language,
        inputs.for_parents,
    )
    content = jsonable(compose_report(inputs))
    with database.unit_of_work() as session:
        report = store.report_by_id(session, report_id, lock=True)
        if report is None or report.job_id != job_id or report.status != "running":
            return "skipped"
        report.content = content
        report.generated_at = utcnow()
        report.fingerprint = fingerprint_of(report)
        fmt = report.configuration["format"]
        body = render_report(report_document(session, report), fmt)
        store.keep_document(
            session,
            report.id,
            fmt,
            fingerprint=report.fingerprint,
            media_type=MEDIA_TYPES[fmt],
            body=body,
            at=report.generated_at,
        )
        report.status, report.failure_reason = "ready", None
        report.document_version += 1
        report.updated_at = utcnow()
        record_event(session, events.report_ready(settings, report, correlation_id=job_id))
        session.commit()
    return "ready"


def fail_build(database: Database, report_id: str, job_id: str, reason: str) -> None:
    """Record why the job failed (only for the job the report is waiting for)."""
    with database.unit_of_work() as session:
        report = store.report_by_id(session, report_id, lock=True)
        if report is None or report.job_id != job_id or report.status == "ready":
            return
        report.status, report.failure_reason = "failed", reason[:2000]
        report.updated_at = utcnow()
        session.commit()


# -- scheduled reports -------------------------------------------------------------------
def enqueue_after_commit(session: Session, celery: Any, report_id: str, job_id: str) -> None:
    send_task_after_commit(session, celery, "reports.build_report", report_id, job_id)


def schedule_term_reports(database: Database, term: Period, *, enqueue: Enqueue) -> int:
    """One comprehensive report per enrolled (student, course) for the term; returns how
    many were queued now (a pair that already has its term report is skipped)."""
    queued = 0
    with database.unit_of_work() as session:
        for student_id, course_id in store.enrolled_pairs(session, term.end):
            key = f"term:{to_iso(term.start)}:{student_id}:{course_id}"
            if store.report_by_schedule_key(session, key) is not None:
                continue
            report = new_report(
                session,
                {
                    "student_id": student_id,
                    "course_id": course_id,
                    "report_type": "comprehensive",
                    "title": "End of term report",
                    "period_start": term.start,
                    "period_end": term.end,
                    "configuration": {"format": "pdf", "include_graphs": True},
                },
                generated_by="system:beat",
                schedule_key=key,
            )
            enqueue(session, report.id, report.job_id)
            queued += 1
        session.commit()
    return queued
