"""The reports service's commands and queries: one function each, owning its transaction.

A use case loads through ``store``, decides with ``domain``, writes its events to the
outbox in the same transaction, and commits together with its audit rows
(``commit_with_audit``) or, for the worker and the consumer, in its own unit of work.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.reports import documents, events, store
from services.reports.documents import (
    MEDIA_TYPES,
    RenderingUnavailable,
    render_certificate,
    render_report,
    template_name,
)
from services.reports.domain.content import ReportInputs, compose_report
from services.reports.domain.facts import Period
from services.reports.domain.grading import grading_scale_from
from services.reports.domain.visibility import visible_to
from services.reports.models import (
    AssignmentWorkFact,
    Certificate,
    CourseSettings,
    EnrollmentFact,
    LessonCompletionFact,
    QuizAttemptFact,
    Report,
    ShareLink,
)
from services.reports.sources import OutlineSource
from shared.audit import (
    ALLOWED,
    DENIED,
    NOT_FOUND,
    audit_access,
    audit_listing,
    authorize,
    commit_with_audit,
)
from shared.auth import Principal
from shared.config import Settings
from shared.db import Database
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import record_event
from shared.tasks import send_task_after_commit
from shared.time import parse_iso, to_iso, utcnow
from shared.web import service_context

#: enqueue the build job (report id, job id) once the session's transaction commits
Enqueue = Callable[[Session, str, str], None]
RESOURCE = "report"
DATE_KEYS = frozenset({"date", "submitted", "last_demonstrated", "target_date", "due_date"})


# -- report <-> document ------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _revived(value: Any, key: str = "") -> Any:
    """Stored JSON back to values: the content's moments become datetimes again."""
    if isinstance(value, str) and key in DATE_KEYS:
        return parse_iso(value)
    if isinstance(value, dict):
        return {k: _revived(item, k) for k, item in value.items()}
    if isinstance(value, list):
        return [_revived(item, key) for item in value]
    return value


def report_document(
    session: Session, report: Report, *, share_url: str | None = None
) -> dict[str, Any]:
    """The PerformanceReport as the API serves it (content sections null until ready)."""
    content = _revived(report.content or {})
    configuration = dict(report.configuration)
    links = [
        link
        for link in store.share_links_of(session, report.id)
        if link.revoked_at is None and link.expires_at > utcnow()
    ]
    configuration["template"] = template_name(report.report_type, configuration["detail_level"])
    configuration["sharing"] = {
        "shareable": configuration.get("sharing", {}).get("shareable", False),
        "share_url": share_url,
        "expires_at": max((link.expires_at for link in links), default=None),
    }
    return {
        "id": report.id,
        "student_id": report.student_id,
        "course_id": report.course_id,
        "report_type": report.report_type,
        "title": report.title,
        "description": report.description,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "generated_at": report.generated_at,
        "generated_by": report.generated_by,
        "accessed_by": [
            {"user_id": a.user_id, "role": a.role, "accessed_at": a.accessed_at}
            for a in store.accesses_of(session, report.id)
        ],
        **{
            section: content.get(section)
            for section in ("summary", "assessments", "skills", "goals", "feedback", "next_steps")
        },
        "charts": content.get("charts"),
        "configuration": configuration,
        "status": report.status,
        "failure_reason": report.failure_reason,
        "document_version": report.document_version,
        "document_url": f"{events.report_url(_settings(), report.id)}/document",
        "teacher_input": _revived(report.teacher_input),
    }


def _settings() -> Settings:
    """The settings of the app whose context this runs in (a request or a Celery task)."""
    return service_context().settings


def _fingerprint(report: Report) -> str:
    material = {
        "content": report.content,
        "title": report.title,
        "description": report.description,
        "configuration": {k: v for k, v in report.configuration.items() if k != "sharing"},
        "generated_at": to_iso(report.generated_at) if report.generated_at else None,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


# -- access ------------------------------------------------------------------------------
def _authorize_view(session: Session, principal: Principal, report_id: str, action: str) -> Report:
    """The report if the caller may see it; 404 as if it did not exist otherwise."""
    report = store.report_by_id(session, report_id)
    if report is None:
        audit_access(
            principal, action=action, resource=RESOURCE, student_id=None, outcome=NOT_FOUND
        )
        raise NotFound(f"report {report_id} not found")
    visible = principal.role != "service" and visible_to(
        principal.role,
        report.configuration.get("visibility", {}),
        is_author=report.generated_by == principal.sub,
    )
    if not visible or not principal.may_read(report.student_id, report.course_id):
        audit_access(
            principal,
            action=action,
            resource=RESOURCE,
            student_id=report.student_id,
            course_id=report.course_id,
            outcome=DENIED,
        )
        raise NotFound(f"report {report_id} not found")
    return report


def _record_view(
    session: Session,
    report: Report,
    principal: Principal,
    *,
    via: str,
    correlation_id: str | None,
    share_link_id: str | None = None,
) -> None:
    now = utcnow()
    store.record_access(
        session,
        report.id,
        user_id=principal.sub,
        role=principal.role,
        at=now,
        via=via,
        share_link_id=share_link_id,
    )
    record_event(
        session,
        events.report_accessed(
            report,
            user_id=principal.sub,
            role=principal.role,
            via=via,
            at=now,
            correlation_id=correlation_id,
        ),
    )


# -- commands and queries of the API -------------------------------------------------------
def request_report(
    session: Session,
    principal: Principal,
    data: Mapping[str, Any],
    *,
    enqueue: Enqueue,
) -> dict[str, Any]:
    """Queue a report: the worker builds it; answered 202 with its URL."""
    student_id, course_id = data["student_id"], data.get("course_id")
    authorize(
        principal,
        action="request",
        resource=RESOURCE,
        student_id=student_id,
        course_id=course_id,
        change=True,
        permitted=principal.role != "service",
    )
    report = new_report(session, data, generated_by=principal.sub)
    enqueue(session, report.id, report.job_id)
    document = report_document(session, report)
    commit_with_audit(session, 202)
    return document


def new_report(
    session: Session,
    data: Mapping[str, Any],
    *,
    generated_by: str,
    schedule_key: str | None = None,
) -> Report:
    now = utcnow()
    configuration = _jsonable(dict(data.get("configuration") or {}))
    configuration.setdefault("format", "pdf")
    configuration.setdefault("detail_level", "detailed")
    configuration.setdefault("include_graphs", False)
    configuration.setdefault("language", "en")
    configuration.setdefault(
        "visibility", {"student": True, "parents": True, "teachers": True, "administrators": True}
    )
    configuration["sharing"] = {
        "shareable": bool(configuration.get("sharing", {}).get("shareable", False))
    }
    report_type = data["report_type"]
    report = Report(
        id=str(uuid.uuid4()),
        student_id=data["student_id"],
        course_id=data.get("course_id"),
        report_type=report_type,
        title=data.get("title") or f"{report_type.capitalize()} report",
        description=data.get("description"),
        period_start=data["period_start"],
        period_end=data["period_end"],
        generated_at=None,
        generated_by=generated_by,
        status="queued",
        failure_reason=None,
        configuration=configuration,
        teacher_input={},
        content=None,
        document_version=0,
        fingerprint=None,
        job_id=str(uuid.uuid4()),
        job_attempts=0,
        schedule_key=schedule_key,
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    return report


def show_report(
    session: Session, principal: Principal, report_id: str, correlation_id: str | None
) -> dict[str, Any]:
    report = _authorize_view(session, principal, report_id, "read")
    _record_view(session, report, principal, via="api", correlation_id=correlation_id)
    audit_access(
        principal,
        action="read",
        resource=RESOURCE,
        student_id=report.student_id,
        course_id=report.course_id,
    )
    session.flush()
    document = report_document(session, report)
    commit_with_audit(session, 200)
    return document


@dataclass(frozen=True)
class RenderedDocument:
    body: bytes
    media_type: str
    fmt: str
    cached: bool


def _document_of(session: Session, report: Report, fmt: str) -> RenderedDocument:
    if report.status != "ready":
        raise Conflict(f"report {report.id} is {report.status}, not ready")
    fingerprint = report.fingerprint or _fingerprint(report)
    cached = store.cached_document(session, report.id, fmt, fingerprint)
    if cached is not None:
        return RenderedDocument(cached.body, cached.media_type, fmt, True)
    try:
        body = render_report(report_document(session, report), fmt)
    except RenderingUnavailable as exc:
        raise Conflict(f"{fmt} documents cannot be rendered here: {exc}") from exc
    store.keep_document(
        session,
        report.id,
        fmt,
        fingerprint=fingerprint,
        media_type=MEDIA_TYPES[fmt],
        body=body,
        at=utcnow(),
    )
    return RenderedDocument(body, MEDIA_TYPES[fmt], fmt, False)


def report_file(
    session: Session,
    principal: Principal,
    report_id: str,
    fmt: str | None,
    correlation_id: str | None,
) -> RenderedDocument:
    """The report's document in ``fmt`` (default: its configured format), cached until its
    data changes; the view is recorded in ``accessed_by`` and audited."""
    report = _authorize_view(session, principal, report_id, "read_document")
    document = _document_of(session, report, fmt or report.configuration["format"])
    _record_view(session, report, principal, via="api", correlation_id=correlation_id)
    audit_access(
        principal,
        action="read_document",
        resource=RESOURCE,
        student_id=report.student_id,
        course_id=report.course_id,
    )
    commit_with_audit(session, 200)
    return document


def enter_teacher_input(
    session: Session,
    principal: Principal,
    report_id: str,
    teacher_input: Mapping[str, Any],
    *,
    enqueue: Enqueue,
) -> dict[str, Any]:
    """Keep what a teacher writes with the report and rebuild the report with it."""
    report = _authorize_view(session, principal, report_id, "enter_teacher_input")
    authorize(
        principal,
        action="enter_teacher_input",
        resource=RESOURCE,
        student_id=report.student_id,
        course_id=report.course_id,
        change=True,
        permitted=principal.role in {"teacher", "admin"},
    )
    report.teacher_input = _jsonable(dict(teacher_input))
    report.status, report.failure_reason = "queued", None
    report.job_id, report.updated_at = str(uuid.uuid4()), utcnow()
    session.flush()
    enqueue(session, report.id, report.job_id)
    document = report_document(session, report)
    commit_with_audit(session, 202)
    return document


# -- course settings ---------------------------------------------------------------------
def _course_settings_out(row: CourseSettings) -> dict[str, Any]:
    return {
        "course_id": row.course_id,
        "grading_scale": row.grading_scale,
        "credit_hours": row.credit_hours,
        "due_dates": {key: parse_iso(value) for key, value in row.due_dates.items()},
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
    }


def _authorize_course(principal: Principal, course_id: str, action: str) -> None:
    permitted = principal.role == "admin" or (
        principal.role == "teacher" and course_id in principal.courses
    )
    audit_access(
        principal,
        action=action,
        resource="course_settings",
        student_id=None,
        course_id=course_id,
        outcome=ALLOWED if permitted else DENIED,
    )
    if not permitted:
        raise NotFound(f"course settings of {course_id} not found")


def configure_course(
    session: Session, principal: Principal, course_id: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Set a course's grading scale, credit hours and due dates (its teachers, admins)."""
    _authorize_course(principal, course_id, "configure")
    scale = grading_scale_from(data["grading_scale"])
    row = session.get(CourseSettings, course_id, with_for_update=True)
    if row is None:
        row = CourseSettings(course_id=course_id)
        session.add(row)
    row.grading_scale = scale.to_dict()
    row.credit_hours = data.get("credit_hours", 0)
    row.due_dates = {key: to_iso(value) for key, value in data.get("due_dates", {}).items()}
    row.updated_at, row.updated_by = utcnow(), principal.sub
    session.flush()
    out = _course_settings_out(row)
    commit_with_audit(session, 200)
    return out


def show_course_settings(session: Session, principal: Principal, course_id: str) -> dict[str, Any]:
    _authorize_course(principal, course_id, "read")
    row = store.course_settings(session, course_id)
    if row is None:
        raise NotFound(f"course settings of {course_id} not found")
    return _course_settings_out(row)


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
            teacher=_revived(report.teacher_input),
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
    content = _jsonable(compose_report(inputs))
    with database.unit_of_work() as session:
        report = store.report_by_id(session, report_id, lock=True)
        if report is None or report.job_id != job_id or report.status != "running":
            return "skipped"
        report.content = content
        report.generated_at = utcnow()
        report.fingerprint = _fingerprint(report)
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


# -- share links ---------------------------------------------------------------------------
def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/api/reports/shared/{token}"


def _link_out(link: ShareLink, url: str | None = None) -> dict[str, Any]:
    return {
        "id": link.id,
        "report_id": link.report_id,
        "created_by": link.created_by,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "share_url": url,
    }


def create_share_link(
    session: Session, principal: Principal, report_id: str, expires_at: datetime, settings: Settings
) -> dict[str, Any]:
    """A link to the report; its token is returned once and stored only hashed."""
    report = _authorize_view(session, principal, report_id, "share")
    authorize(
        principal,
        action="share",
        resource=RESOURCE,
        student_id=report.student_id,
        course_id=report.course_id,
        change=True,
    )
    if not report.configuration.get("sharing", {}).get("shareable", False):
        raise Conflict("the report's configuration.sharing.shareable is false")
    now = utcnow()
    if expires_at <= now:
        raise InvalidInput.for_field("expires_at", "must be in the future")
    token = secrets.token_urlsafe(32)
    link = ShareLink(
        id=str(uuid.uuid4()),
        report_id=report.id,
        token_hash=hash_token(token),
        created_by=principal.sub,
        created_at=now,
        expires_at=expires_at,
        revoked_at=None,
    )
    session.add(link)
    session.flush()
    out = _link_out(link, share_url(settings, token))
    commit_with_audit(session, 201)
    return out


def list_share_links(
    session: Session, principal: Principal, report_id: str
) -> list[dict[str, Any]]:
    report = _authorize_view(session, principal, report_id, "list_shares")
    authorize(
        principal,
        action="list_shares",
        resource=RESOURCE,
        student_id=report.student_id,
        course_id=report.course_id,
        change=True,
    )
    return [_link_out(link) for link in store.share_links_of(session, report.id)]


def revoke_share_link(
    session: Session, principal: Principal, report_id: str, link_id: str
) -> dict[str, Any]:
    report = _authorize_view(session, principal, report_id, "revoke_share")
    authorize(
        principal,
        action="revoke_share",
        resource=RESOURCE,
        student_id=report.student_id,
        course_id=report.course_id,
        change=True,
    )
    link = next((x for x in store.share_links_of(session, report.id) if x.id == link_id), None)
    if link is None:
        raise NotFound(f"share link {link_id} not found")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
    session.flush()
    out = _link_out(link)
    commit_with_audit(session, 200)
    return out


def open_share_link(
    session: Session,
    principal: Principal,
    token: str,
    fmt: str | None,
    correlation_id: str | None,
) -> RenderedDocument:
    """The shared report's document for whoever holds a valid link (any signed-in user).

    Forged, expired and revoked links answer 404 alike; every attempt is audited.
    """
    link = store.share_link_by_hash(session, hash_token(token))
    report = store.report_by_id(session, link.report_id) if link is not None else None
    now = utcnow()
    valid = (
        link is not None
        and report is not None
        and link.revoked_at is None
        and link.expires_at > now
        and report.configuration.get("sharing", {}).get("shareable", False)
    )
    audit_access(
        principal,
        action="open_share_link",
        resource=RESOURCE,
        student_id=report.student_id if report else None,
        course_id=report.course_id if report else None,
        outcome=ALLOWED if valid else (DENIED if link is not None else NOT_FOUND),
    )
    if not valid or link is None or report is None:
        raise NotFound("share link not found")
    document = _document_of(session, report, fmt or report.configuration["format"])
    _record_view(
        session,
        report,
        principal,
        via="share_link",
        correlation_id=correlation_id,
        share_link_id=link.id,
    )
    commit_with_audit(session, 200)
    return document


# -- certificates ------------------------------------------------------------------------
def issue_certificate(
    session: Session,
    settings: Settings,
    requested: events.CertificateRequested,
    correlation_id: str | None,
) -> None:
    """Render the enrollment's certificate once and announce its URL.

    Idempotent: a second request for the same enrollment (a redelivery the inbox did not
    catch, or a reissue) announces the certificate already rendered instead of another.
    """
    certificate = store.certificate_of_enrollment(session, requested.enrollment_id)
    if certificate is None:
        certificate_id = secrets.token_urlsafe(18)
        issued_at = utcnow()
        body = render_certificate(
            certificate_id=certificate_id,
            student_id=requested.student_id,
            course_id=requested.course_id,
            issued_at=issued_at,
            average_score=requested.average_score,
        )
        certificate = Certificate(
            id=certificate_id,
            enrollment_id=requested.enrollment_id,
            student_id=requested.student_id,
            course_id=requested.course_id,
            completed_at=requested.completed_at,
            average_score=requested.average_score,
            progress_percentage=requested.progress_percentage,
            issued_at=issued_at,
            body=body,
        )
        session.add(certificate)
        session.flush()
    record_event(
        session,
        events.certificate_rendered(
            settings,
            certificate_id=certificate.id,
            enrollment_id=certificate.enrollment_id,
            student_id=certificate.student_id,
            course_id=certificate.course_id,
            issued_at=certificate.issued_at,
            correlation_id=correlation_id,
        ),
    )


def certificate_file(session: Session, principal: Principal, certificate_id: str) -> bytes:
    """The certificate PDF, for whoever may see the student's records in that course."""
    certificate = store.certificate_by_id(session, certificate_id)
    if certificate is None:
        audit_access(
            principal, action="read", resource="certificate", student_id=None, outcome=NOT_FOUND
        )
        raise NotFound("certificate not found")
    authorize(
        principal,
        action="read",
        resource="certificate",
        student_id=certificate.student_id,
        course_id=certificate.course_id,
        permitted=principal.role != "service",
    )
    return certificate.body


# -- projections of consumed events ---------------------------------------------------------
def record_enrollment(session: Session, enrolled: events.Enrolled) -> None:
    store.upsert(
        session,
        EnrollmentFact,
        {
            "enrollment_id": enrolled.enrollment_id,
            "student_id": enrolled.student_id,
            "course_id": enrolled.course_id,
            "enrolled_at": enrolled.enrolled_at,
            "completed_at": None,
        },
        ["enrollment_id"],
    )
    row = session.get(EnrollmentFact, enrolled.enrollment_id, with_for_update=True)
    if row is not None and row.enrolled_at is None:
        row.enrolled_at = enrolled.enrolled_at


def record_course_completion(session: Session, completed: events.CourseCompleted) -> None:
    """Latest completion wins (a reopened course completed anew moves it forward)."""
    store.upsert(
        session,
        EnrollmentFact,
        {
            "enrollment_id": completed.enrollment_id,
            "student_id": completed.student_id,
            "course_id": completed.course_id,
            "enrolled_at": None,
            "completed_at": completed.completed_at,
        },
        ["enrollment_id"],
    )
    row = session.get(EnrollmentFact, completed.enrollment_id, with_for_update=True)
    if row is not None and (row.completed_at is None or row.completed_at < completed.completed_at):
        row.completed_at = completed.completed_at


def record_lesson_completion(session: Session, done: events.LessonCompleted) -> None:
    store.upsert(
        session,
        LessonCompletionFact,
        {
            "enrollment_id": done.enrollment_id,
            "completion_id": done.completion_id,
            "student_id": done.student_id,
            "course_id": done.course_id,
            "lesson_id": done.lesson_id,
            "completed_at": done.completed_at,
            "time_spent": done.time_spent or 0.0,
            "score": done.score,
        },
        ["enrollment_id", "completion_id"],
    )


def record_assignment_work(
    session: Session, work: events.AssignmentRecorded, occurred_at: datetime
) -> None:
    """The assignment's latest state: an event older than the one kept changes nothing."""
    values = {
        "enrollment_id": work.enrollment_id,
        "assignment_id": work.assignment_id,
        "student_id": work.student_id,
        "course_id": work.course_id,
        "status": work.status,
        "submitted_at": work.submitted_at,
        "grade": work.grade,
        "time_spent": work.time_spent or 0.0,
        "as_of": occurred_at,
    }
    store.upsert(session, AssignmentWorkFact, values, ["enrollment_id", "assignment_id"])
    row = session.get(
        AssignmentWorkFact, (work.enrollment_id, work.assignment_id), with_for_update=True
    )
    if row is not None and row.as_of < occurred_at:
        for key, value in values.items():
            setattr(row, key, value)


def record_quiz_attempt(
    session: Session,
    *,
    student_id: str,
    course_id: str,
    result: events.AttemptResult,
    graded: bool,
) -> None:
    """Submitted then graded, in either order: the grading's score wins once it exists."""
    completed_at = result.completed_at or result.graded_at
    if completed_at is None:
        raise InvalidInput.for_field("completed_at", "is required")
    store.upsert(
        session,
        QuizAttemptFact,
        {
            "attempt_id": result.attempt_id,
            "student_id": student_id,
            "course_id": course_id,
            "quiz_id": result.quiz_id,
            "completed_at": completed_at,
            "score": result.score,
            "time_spent": result.time_spent or 0.0,
            "is_practice": result.is_practice,
            "graded_at": result.graded_at if graded else None,
        },
        ["attempt_id"],
    )
    row = session.get(QuizAttemptFact, result.attempt_id, with_for_update=True)
    if row is None:
        return
    if graded and (row.graded_at is None or row.graded_at < (result.graded_at or completed_at)):
        row.score, row.graded_at = result.score, result.graded_at
    if not graded:
        row.completed_at = completed_at
        row.time_spent = result.time_spent or row.time_spent
        if row.graded_at is None:
            row.score = result.score


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


def visible_document(
    session: Session, principal: Principal, report: Report
) -> dict[str, Any] | None:
    """The report's document for a list, if its visibility lets the caller see it."""
    if principal.role == "service" or not visible_to(
        principal.role,
        report.configuration.get("visibility", {}),
        is_author=report.generated_by == principal.sub,
    ):
        return None
    return report_document(session, report)


def list_reports(
    session: Session,
    principal: Principal,
    student_id: str | None,
    course_id: str | None,
    *,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """A page of the reports the caller may see (scope, then each report's visibility:
    a page may hold fewer than ``limit`` items while ``next_cursor`` goes on)."""
    page = store.reports_page(
        session, principal.scope(), student_id, course_id, limit=limit, cursor=cursor
    )
    items = [
        document
        for document in (visible_document(session, principal, report) for report in page.items)
        if document is not None
    ]
    audit_listing(
        principal,
        action="list",
        resource=RESOURCE,
        rows=[(item["student_id"], item["course_id"]) for item in items],
    )
    return {"items": items, "next_cursor": page.next_cursor}
