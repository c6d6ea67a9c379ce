"""The reports service's events in and out, through the typed contracts of shared/events."""

from __future__ import annotations

from datetime import datetime

from services.reports.models import Report
from shared.config import Settings
from shared.events import Envelope
from shared.events.contracts import parse_as
from shared.events.contracts.analytics import AchievementEarned, RiskChanged
from shared.events.contracts.attempts import AttemptGraded, AttemptResult, AttemptSubmitted
from shared.events.contracts.progress import (
    AssignmentRecorded,
    CertificateRequested,
    CourseCompleted,
    Enrolled,
    LessonCompleted,
)
from shared.events.contracts.reports import CertificateRendered, ReportAccessed, ReportReady

PRODUCER = "reports"

__all__ = [
    "AchievementEarned",
    "AssignmentRecorded",
    "AttemptGraded",
    "AttemptResult",
    "AttemptSubmitted",
    "CertificateRequested",
    "CourseCompleted",
    "Enrolled",
    "LessonCompleted",
    "RiskChanged",
    "certificate_rendered",
    "parse_as",
    "report_accessed",
    "report_ready",
    "report_url",
]


def report_url(settings: Settings, report_id: str) -> str:
    return f"{settings.public_url}/api/reports/reports/{report_id}"


def certificate_url(settings: Settings, certificate_id: str) -> str:
    return f"{settings.public_url}/api/reports/certificates/{certificate_id}.pdf"


def report_ready(settings: Settings, report: Report, correlation_id: str | None) -> Envelope:
    assert report.generated_at is not None
    return ReportReady(
        report_id=report.id,
        student_id=report.student_id,
        course_id=report.course_id,
        report_type=report.report_type,  # type: ignore[arg-type]
        format=report.configuration["format"],
        document_version=report.document_version,
        generated_at=report.generated_at,
        report_url=report_url(settings, report.id),
    ).to_envelope(
        producer=PRODUCER,
        subject=report.student_id,
        course_id=report.course_id,
        correlation_id=correlation_id,
    )


def report_accessed(
    report: Report, *, user_id: str, role: str, via: str, at: datetime, correlation_id: str | None
) -> Envelope:
    return ReportAccessed(
        report_id=report.id,
        student_id=report.student_id,
        course_id=report.course_id,
        user_id=user_id,
        role=role,  # type: ignore[arg-type]
        via=via,  # type: ignore[arg-type]
        accessed_at=at,
    ).to_envelope(
        producer=PRODUCER,
        subject=report.student_id,
        course_id=report.course_id,
        correlation_id=correlation_id,
    )


def certificate_rendered(
    settings: Settings,
    *,
    certificate_id: str,
    enrollment_id: str,
    student_id: str,
    course_id: str,
    issued_at: datetime,
    correlation_id: str | None,
) -> Envelope:
    return CertificateRendered(
        enrollment_id=enrollment_id,
        certificate_url=certificate_url(settings, certificate_id),
        issued_at=issued_at,
    ).to_envelope(
        producer=PRODUCER, subject=student_id, course_id=course_id, correlation_id=correlation_id
    )
