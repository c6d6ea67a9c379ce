"""Certificates the reports service rendered for enrollments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.progress.events import RenderedCertificate
from services.progress.store.enrollments import enrollment_by_id
from shared.errors import InvalidInput


def record_certificate(session: Session, rendered: RenderedCertificate, *, now: datetime) -> None:
    """Record a rendered certificate; of two renderings the later ``issued_at`` wins."""
    enrollment = enrollment_by_id(session, rendered.enrollment_id, for_update=True)
    if enrollment is None:
        raise InvalidInput.for_field("enrollment_id", f"no enrollment {rendered.enrollment_id!r}")
    current = enrollment.certificate_issued_at
    if enrollment.certificate_issued and current is not None and current >= rendered.issued_at:
        return
    enrollment.certificate_issued = True
    enrollment.certificate_url = rendered.url
    enrollment.certificate_issued_at = rendered.issued_at
    enrollment.updated_at = now
