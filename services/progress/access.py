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

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy.orm import Session

from services.progress.models import Bookmark, Enrollment, Note
from services.progress.store.documents import EnrollmentDocument, read_document
from services.progress.store.enrollments import enrollment_by_id, enrollment_by_key
from services.progress.store.notes import child_of
from shared.audit import (
    ALLOWED,
    DENIED,
    audit_access,
    audit_missing,
    authorize_action,
    authorize_record,
)
from shared.auth import Principal
from shared.errors import Forbidden

STAFF_ROLES = frozenset({"teacher", "admin", "service"})
#: who may write an institution's past records: backdated enrollments, final results
RECORD_KEEPERS = frozenset({"admin", "service"})
Child = TypeVar("Child", Note, Bookmark)


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
    return authorize_record(
        principal,
        enrollment_by_id(session, enrollment_id, for_update=change),
        action=action,
        resource=resource_of(enrollment_id, child),
        change=change,
    )


def enrollment_by_key_for(
    session: Session, principal: Principal, student_id: str, course_id: str
) -> Enrollment:
    """The enrollment of one student in one course, once ``principal`` may read it."""
    enrollment = enrollment_by_key(session, student_id, course_id)
    if enrollment is None:
        raise audit_missing(principal, action="read", resource="enrollment")
    return authorize_record(
        principal, enrollment, action="read", resource=resource_of(enrollment.id)
    )


def document_for(session: Session, principal: Principal, enrollment_id: str) -> EnrollmentDocument:
    """The enrollment with its notes and bookmarks, once ``principal`` may read it."""
    document = read_document(session, enrollment_id)
    authorize_record(
        principal,
        document.enrollment if document is not None else None,
        action="read",
        resource=resource_of(enrollment_id),
    )
    assert document is not None
    return document


def staff_enrollment_for(
    session: Session, principal: Principal, enrollment_id: str, *, action: str
) -> Enrollment:
    """The enrollment for a teacher's, admin's or service's change (grading, returning)."""
    return authorize_record(
        principal,
        enrollment_by_id(session, enrollment_id, for_update=True),
        action=action,
        resource=resource_of(enrollment_id),
        change=True,
        permitted=lambda _enrollment: principal.role in STAFF_ROLES,
    )


def own_enrollment_for(
    session: Session, principal: Principal, enrollment_id: str, *, action: str, child: str
) -> Enrollment:
    """The enrollment for a change only its student makes (notes, bookmarks)."""
    return authorize_record(
        principal,
        enrollment_by_id(session, enrollment_id, for_update=True),
        action=action,
        resource=resource_of(enrollment_id, child),
        change=True,
        permitted=lambda enrollment: (
            principal.role == "student" and enrollment.student_id == principal.sub
        ),
    )


def child_for(
    session: Session,
    principal: Principal,
    model: type[Child],
    enrollment_id: str,
    child_id: str,
    *,
    action: str,
    own: bool,
) -> Child:
    """The note or bookmark ``child_id`` of the enrollment, once ``principal`` may ``action``.

    ``own``: only the enrollment's student may (edit, delete); otherwise anyone who may
    read the enrollment may.
    """
    child = f"/{model.__tablename__}/{child_id}"
    if own:
        enrollment = own_enrollment_for(
            session, principal, enrollment_id, action=action, child=child
        )
    else:
        enrollment = enrollment_for(session, principal, enrollment_id, action=action, child=child)
    row = child_of(session, model, enrollment.id, child_id)
    if row is None:
        raise audit_missing(principal, action="read", resource=resource_of(enrollment_id, child))
    return row


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


def authorize_backdating(principal: Principal, student_id: str, course_id: str) -> None:
    """Only admins and services give an enrollment a past ``enrolled_at``."""
    allowed = principal.role in RECORD_KEEPERS
    audit_access(
        principal,
        action="backdate",
        resource="enrollment",
        student_id=student_id,
        course_id=course_id,
        outcome=ALLOWED if allowed else DENIED,
    )
    if not allowed:
        raise Forbidden(
            f"enrolled_at: only an administrator or a service may backdate an enrollment "
            f"(role {principal.role})"
        )


def authorize_record_keeping(principal: Principal, keys: Iterable[tuple[str, str]]) -> None:
    """An institution's past records are written by admins and services only; each
    (student, course) is audited, allowed or denied."""
    allowed = principal.role in RECORD_KEEPERS
    for student_id, course_id in sorted(set(keys)):
        audit_access(
            principal,
            action="record_history",
            resource="enrollment-records",
            student_id=student_id,
            course_id=course_id,
            outcome=ALLOWED if allowed else DENIED,
        )
    if not allowed:
        raise Forbidden(
            f"only an administrator or a service may record past enrollments "
            f"(role {principal.role})"
        )
