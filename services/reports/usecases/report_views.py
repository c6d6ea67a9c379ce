"""A report as the API and its documents show it, and who may view it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.reports import events, store
from services.reports.documents import (
    MEDIA_TYPES,
    RenderingUnavailable,
    render_report,
    template_name,
)
from services.reports.domain.visibility import visible_to
from services.reports.models import Report
from shared.audit import DENIED, NOT_FOUND, audit_access
from shared.auth import Principal
from shared.config import Settings
from shared.errors import Conflict, NotFound
from shared.events import record_event
from shared.time import parse_iso, to_iso, utcnow
from shared.web import service_context

#: enqueue the build job (report id, job id) once the session's transaction commits
Enqueue = Callable[[Session, str, str], None]
RESOURCE = "report"
DATE_KEYS = frozenset({"date", "submitted", "last_demonstrated", "target_date", "due_date"})


# -- report <-> document ------------------------------------------------------------------
def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def revived(value: Any, key: str = "") -> Any:
    """Stored JSON back to values: the content's moments become datetimes again."""
    if isinstance(value, str) and key in DATE_KEYS:
        return parse_iso(value)
    if isinstance(value, dict):
        return {k: revived(item, k) for k, item in value.items()}
    if isinstance(value, list):
        return [revived(item, key) for item in value]
    return value


def report_document(
    session: Session, report: Report, *, share_url: str | None = None
) -> dict[str, Any]:
    """The PerformanceReport as the API serves it (content sections null until ready)."""
    content = revived(report.content or {})
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
        **_what_it_is(report),
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
        "document_url": f"{events.report_url(current_settings(), report.id)}/document",
        "teacher_input": revived(report.teacher_input),
    }


def _what_it_is(report: Report) -> dict[str, Any]:
    """The fields that say which report this is, in the document and in a list alike."""
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
    }


def report_listing(report: Report) -> dict[str, Any]:
    """The report as a list shows it: what it is and where it stands, not its content."""
    configuration = dict(report.configuration)
    configuration["template"] = template_name(report.report_type, configuration["detail_level"])
    configuration["sharing"] = {
        "shareable": bool(configuration.get("sharing", {}).get("shareable", False))
    }
    return {
        **_what_it_is(report),
        "configuration": configuration,
        "status": report.status,
        "failure_reason": report.failure_reason,
        "document_version": report.document_version,
        "document_url": f"{events.report_url(current_settings(), report.id)}/document",
    }


def current_settings() -> Settings:
    """The settings of the app whose context this runs in (a request or a Celery task)."""
    return service_context().settings


def fingerprint_of(report: Report) -> str:
    material = {
        "content": report.content,
        "title": report.title,
        "description": report.description,
        "configuration": {k: v for k, v in report.configuration.items() if k != "sharing"},
        "generated_at": to_iso(report.generated_at) if report.generated_at else None,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


# -- access ------------------------------------------------------------------------------
def authorize_view(session: Session, principal: Principal, report_id: str, action: str) -> Report:
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


def record_view(
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


@dataclass(frozen=True)
class RenderedDocument:
    body: bytes
    media_type: str
    fmt: str
    cached: bool


def document_of(session: Session, report: Report, fmt: str) -> RenderedDocument:
    if report.status != "ready":
        raise Conflict(f"report {report.id} is {report.status}, not ready")
    fingerprint = report.fingerprint or fingerprint_of(report)
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


def visible_listing(principal: Principal, report: Report) -> dict[str, Any] | None:
    """The report as a list shows it, if its visibility lets the caller see it."""
    if principal.role == "service" or not visible_to(
        principal.role,
        report.configuration.get("visibility", {}),
        is_author=report.generated_by == principal.sub,
    ):
        return None
    return report_listing(report)
