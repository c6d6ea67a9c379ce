"""Contracts of the reports service's events."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from shared.events.contracts.base import Payload, UtcDatetime, contract
from shared.events.contracts.fields import Id

Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2048, pattern=r"^https?://[^/?#\s]")]
"""An absolute http(s) URL: a host follows the scheme."""


@contract("reports.certificate.rendered", version=1)
class CertificateRendered(Payload, frozen=True, kw_only=True):
    """The answer to ``progress.certificate.requested``: of two renderings, the later wins."""

    enrollment_id: Id
    certificate_url: Url
    issued_at: UtcDatetime


ReportFormat = Literal["pdf", "html", "json"]


@contract("reports.report.ready", version=1)
class ReportReady(Payload, frozen=True, kw_only=True):
    """A report's document was built (again, when its data or the teacher's input changed)."""

    report_id: Id
    student_id: Id
    course_id: Id | None = None
    report_type: Literal["progress", "grade", "comprehensive"]
    format: ReportFormat
    document_version: Annotated[int, msgspec.Meta(ge=1)]
    generated_at: UtcDatetime
    report_url: Url


@contract("reports.report.accessed", version=1)
class ReportAccessed(Payload, frozen=True, kw_only=True):
    """Someone viewed a report, through the API or a share link (one event per view)."""

    report_id: Id
    student_id: Id
    course_id: Id | None = None
    user_id: Id
    role: Literal["student", "parent", "teacher", "admin", "service"]
    via: Literal["api", "share_link"]
    accessed_at: UtcDatetime
