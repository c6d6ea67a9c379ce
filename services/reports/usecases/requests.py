"""Requesting, reading and annotating reports."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from services.reports import store
from services.reports.models import Report
from services.reports.usecases.report_views import (
    RESOURCE,
    Enqueue,
    RenderedDocument,
    authorize_view,
    document_of,
    jsonable,
    record_view,
    report_document,
    visible_listing,
)
from shared.audit import audit_access, audit_listing, authorize, commit_with_audit
from shared.auth import Principal
from shared.time import utcnow


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
    configuration = jsonable(dict(data.get("configuration") or {}))
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
    report = authorize_view(session, principal, report_id, "read")
    record_view(session, report, principal, via="api", correlation_id=correlation_id)
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


def report_file(
    session: Session,
    principal: Principal,
    report_id: str,
    fmt: str | None,
    correlation_id: str | None,
) -> RenderedDocument:
    """The report's document in ``fmt`` (default: its configured format), cached until its
    data changes; the view is recorded in ``accessed_by`` and audited."""
    report = authorize_view(session, principal, report_id, "read_document")
    document = document_of(session, report, fmt or report.configuration["format"])
    record_view(session, report, principal, via="api", correlation_id=correlation_id)
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
    report = authorize_view(session, principal, report_id, "enter_teacher_input")
    authorize(
        principal,
        action="enter_teacher_input",
        resource=RESOURCE,
        student_id=report.student_id,
        course_id=report.course_id,
        change=True,
        permitted=principal.role in {"teacher", "admin"},
    )
    report.teacher_input = jsonable(dict(teacher_input))
    report.status, report.failure_reason = "queued", None
    report.job_id, report.updated_at = str(uuid.uuid4()), utcnow()
    session.flush()
    enqueue(session, report.id, report.job_id)
    document = report_document(session, report)
    commit_with_audit(session, 202)
    return document


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
    a page may hold fewer than ``limit`` items while ``next_cursor`` goes on), without
    their content: reading a report is a view, recorded when it is opened."""
    page = store.reports_page(
        session, principal.scope(), student_id, course_id, limit=limit, cursor=cursor
    )
    items = [
        listing
        for listing in (visible_listing(principal, report) for report in page.items)
        if listing is not None
    ]
    audit_listing(
        principal,
        action="list",
        resource=RESOURCE,
        rows=[(item["student_id"], item["course_id"]) for item in items],
    )
    return {"items": items, "next_cursor": page.next_cursor}
