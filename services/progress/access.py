"""Who may do what to an enrollment, on top of ``shared.audit`` (every decision is audited).

* reading: the student, their parents, teachers of the course, admins and services;
* changing progress (status, lessons, submissions): everyone who may read, except parents;
* grading and returning assignments, publishing outlines: teachers of the course,
  admins and services (LMS integrations), never students or parents;
* notes and bookmarks are the student's own: only the student writes them.

A caller who may not see the enrollment gets 404 as if it did not exist; a caller who
may see it but not do this gets 403.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from services.progress.documents import EnrollmentDocument, read_document
from services.progress.models import Enrollment
from services.progress.store import enrollment_by_id
from shared.audit import audit_missing, authorize, authorize_action
from shared.auth import Principal

STAFF_ROLES = frozenset({"teacher", "admin", "service"})


def resource_of(enrollment_id: str, child: str = "") -> str:
    return f"enrollment/{enrollment_id}{child}"


def enrollment_for(
    session: Session,
    principal: Principal,
    enrollment_id: str,
    *,
    action: str,
    change: bool = False,
    child: str = "",
) -> Enrollment:
    """The enrollment, locked when it will change, once ``principal`` may ``action`` it."""
    enrollment = enrollment_by_id(session, enrollment_id, for_update=change)
    _authorize(principal, enrollment, resource_of(enrollment_id, child), action, change=change)
    assert enrollment is not None
    return enrollment


def document_for(session: Session, principal: Principal, enrollment_id: str) -> EnrollmentDocument:
    """The enrollment with its notes and bookmarks, once ``principal`` may read it."""
    document = read_document(session, enrollment_id)
    enrollment = document.enrollment if document is not None else None
    _authorize(principal, enrollment, resource_of(enrollment_id), "read", change=False)
    assert document is not None
    return document


def _authorize(
    principal: Principal, enrollment: Enrollment | None, resource: str, action: str, *, change: bool
) -> None:
    if enrollment is None:
        raise audit_missing(principal, action=action, resource=resource)
    authorize(
        principal,
        action=action,
        resource=resource,
        student_id=enrollment.student_id,
        course_id=enrollment.course_id,
        change=change,
    )


def staff_enrollment_for(
    session: Session, principal: Principal, enrollment_id: str, *, action: str
) -> Enrollment:
    """The enrollment for a teacher's, admin's or service's change (grading, returning)."""
    return _restricted(
        session, principal, enrollment_id, action, lambda _e: principal.role in STAFF_ROLES
    )


def own_enrollment_for(
    session: Session, principal: Principal, enrollment_id: str, *, action: str, child: str
) -> Enrollment:
    """The enrollment for a change only its student makes (notes, bookmarks)."""

    def is_own(enrollment: Enrollment) -> bool:
        return principal.role == "student" and enrollment.student_id == principal.sub

    return _restricted(session, principal, enrollment_id, action, is_own, child=child)


def _restricted(
    session: Session,
    principal: Principal,
    enrollment_id: str,
    action: str,
    allowed: Callable[[Enrollment], bool],
    *,
    child: str = "",
) -> Enrollment:
    enrollment = enrollment_by_id(session, enrollment_id, for_update=True)
    resource = resource_of(enrollment_id, child)
    if enrollment is None:
        raise audit_missing(principal, action=action, resource=resource)
    authorize(
        principal,
        action=action,
        resource=resource,
        student_id=enrollment.student_id,
        course_id=enrollment.course_id,
        change=True,
        permitted=allowed(enrollment),
    )
    return enrollment


def authorize_course_author(principal: Principal, course_id: str, *, action: str) -> None:
    """Outlines are published by the course's teachers, admins and services."""
    authorize_action(
        principal,
        allowed=principal.is_unrestricted
        or (principal.role == "teacher" and course_id in principal.courses),
        action=action,
        resource=f"course/{course_id}/outline",
        course_id=course_id,
    )
