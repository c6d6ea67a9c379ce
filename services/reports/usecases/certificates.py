"""Course certificates: rendered once per enrollment, served to who may see them."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from services.reports import events, store
from services.reports.documents import render_certificate
from services.reports.models import Certificate
from shared.audit import NOT_FOUND, audit_access, authorize
from shared.auth import Principal
from shared.config import Settings
from shared.errors import NotFound
from shared.events import record_event
from shared.time import utcnow


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
