"""The progress service's use cases on outlines and enrollments, called by the API.

Each function is one transaction: it loads through the store (the caller has loaded
and authorized the enrollment, locked), changes the enrollment's write model
(``store.enrollment_progress.EnrollmentProgress``) with the domain's rules, records the
resulting events in the outbox of that transaction and commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.progress import events
from services.progress.domain import (
    AssignmentChange,
    AssignmentGrading,
    AssignmentSubmission,
    EnrollmentStatus,
    ItemKind,
    LessonCompletionReport,
    NotificationPreferences,
    notification_preferences_after,
    parse_outline,
    record_assignment_change,
    record_lesson_completion,
    require_item_in_outline,
    status_on_request,
    student_time_zone,
    validate_custom_fields,
)
from services.progress.domain.values import require_identifier, require_past
from services.progress.events import Occasion
from services.progress.models import CourseOutline, Enrollment
from services.progress.store.activities import engagement_from_counted
from services.progress.store.attempt_facts import StoredAttemptFacts
from services.progress.store.documents import EnrollmentDocument, document_of
from services.progress.store.enrollment_progress import keep_progress, progress_of
from services.progress.store.enrollments import (
    enrollment_by_key,
    enrollments_in_course,
    lock_student_course,
)
from services.progress.store.entries import preferences_of, store_engagement
from services.progress.store.outlines import outline_row, require_outline, store_outline
from services.progress.usecases.derivation import change_status, refresh
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.events import Envelope
from shared.events.outbox import record_events
from shared.pagination import Page, filter_and_paginate
from shared.time import in_utc

#: course ids are kept to what the audit log stores (shared.db.audit_table.course_id)
MAX_COURSE_ID_LENGTH = 120


# -- outlines ------------------------------------------------------------------------------
def outline_of(session: Session, course_id: str) -> CourseOutline:
    row = outline_row(session, course_id)
    if row is None:
        raise NotFound(f"course {course_id} has no outline")
    return row


def publish_outline(
    session: Session, course_id: str, document: dict[str, Any], *, by: str, occasion: Occasion
) -> CourseOutline:
    """Store the course's new outline, recompute every enrolled student's progress and
    emit ``progress.outline.published``.

    The students' entries are untouched (``domain.outline``): only percentage and
    position follow the new outline; statuses move only with the students' own work.
    The same outline again changes nothing: no new version, no event.
    """
    require_identifier(course_id, "course_id", max_length=MAX_COURSE_ID_LENGTH)
    outline = parse_outline(document)
    row, changed = store_outline(session, course_id, document, by=by, now=occasion.now)
    if not changed:
        session.commit()
        return row
    outbox = [events.outline_published(course_id, row.version, outline, occasion)]
    for enrollment in enrollments_in_course(session, course_id):
        progress = progress_of(enrollment)
        refresh(progress, outline, occasion, outbox, after_student_work=False)
        keep_progress(enrollment, progress)
    record_events(session, outbox)
    session.commit()
    return row


# -- enrollments ---------------------------------------------------------------------------
def read_enrollment(session: Session, enrollment: Enrollment) -> EnrollmentDocument:
    """The enrollment with its notes and bookmarks (the caller has authorized the read)."""
    return document_of(session, enrollment)


def list_enrollments(session: Session, principal: Principal, query: Mapping[str, Any]) -> Page:
    """Enrollments the caller may see, filtered, oldest enrollment first."""
    return filter_and_paginate(
        session,
        Enrollment,
        where=principal.scope().where(Enrollment.student_id, Enrollment.course_id),
        filters={name: query.get(name) for name in ("student_id", "course_id", "status")},
        order_by=("enrolled_at", "id"),
        limit=query["limit"],
        cursor=query["cursor"],
    )


def enroll(
    session: Session,
    *,
    student_id: str,
    course_id: str,
    time_zone: str,
    occasion: Occasion,
    enrolled_at: datetime | None = None,
) -> Enrollment:
    """A new enrollment, counting the attempts and activity already received for it.

    ``enrolled_at`` backdates it (an institution's earlier enrollment); default now.
    """
    student_time_zone(time_zone)
    if enrolled_at is None:
        enrolled_at = occasion.now
    else:
        enrolled_at = in_utc(require_past(enrolled_at, "enrolled_at", now=occasion.now))
    outline = require_outline(session, course_id)
    lock_student_course(session, student_id, course_id)
    existing = enrollment_by_key(session, student_id, course_id)
    if existing is not None:
        raise Conflict(
            f"student {student_id!r} is already enrolled in {course_id!r} "
            f"(enrollment {existing.id})"
        )
    enrollment = new_enrollment(student_id, course_id, time_zone, enrolled_at, occasion.now)
    session.add(enrollment)
    progress = progress_of(enrollment)
    facts = StoredAttemptFacts.of_student_course(session, student_id, course_id)
    for quiz in facts.quizzes():
        progress.replace_quiz(quiz[2], facts.result_of(quiz))
    engagement = engagement_from_counted(session, student_id, course_id)
    store_engagement(enrollment, engagement)
    outbox = [events.enrolled(progress, progress.status, enrolled_at, occasion)]
    had_work = bool(progress.completed_quizzes) or engagement.last_accessed is not None
    refresh(progress, outline, occasion, outbox, after_student_work=had_work)
    keep_progress(enrollment, progress)
    record_events(session, outbox)
    session.commit()
    return enrollment


def new_enrollment(
    student_id: str, course_id: str, time_zone: str, enrolled_at: datetime, now: datetime
) -> Enrollment:
    """A new enrollment with nothing done yet (``enrolled_at`` may be in the past)."""
    return Enrollment(
        id=str(uuid.uuid4()),
        student_id=student_id,
        course_id=course_id,
        enrolled_at=enrolled_at,
        status=EnrollmentStatus.NOT_STARTED.value,
        completed_lessons=[],
        completed_quizzes=[],
        completed_assignments=[],
        progress_percentage=0,
        current_module_id=None,
        current_lesson_id=None,
        completed_at=None,
        certificate_issued=False,
        certificate_requested_at=None,
        total_time_spent_seconds=0.0,
        login_streak=0,
        active_dates=[],
        time_zone=time_zone,
        notification_preferences=NotificationPreferences().as_dict(),
        custom_fields={},
        updated_at=now,
        final_result=None,
        final_result_at=None,
    )


def update_enrollment(
    session: Session,
    enrollment: Enrollment,
    changes: Mapping[str, Any],
    occasion: Occasion,
    *,
    by_admin: bool,
) -> EnrollmentDocument:
    """Status (Conflict or Forbidden saying why not), current lesson, preferences, custom
    fields and time zone, as a PATCH asks."""
    progress = progress_of(enrollment)
    outbox: list[Envelope] = []
    if "status" in changes:
        has_started = not progress.work().is_empty or enrollment.last_accessed is not None
        new = status_on_request(
            EnrollmentStatus(progress.status),
            EnrollmentStatus(changes["status"]),
            has_started=has_started,
            by_admin=by_admin,
        )
        change_status(progress, new, occasion, outbox, reason="request")
    if "current_lesson_id" in changes:
        outline = require_outline(session, enrollment.course_id)
        lesson_id = changes["current_lesson_id"]
        position = require_item_in_outline(
            outline, lesson_id, ItemKind.LESSON, field="current_lesson_id"
        )
        progress.current_lesson_id = lesson_id
        progress.current_module_id = position.module_id
    if "notification_preferences" in changes:
        preferences = notification_preferences_after(
            preferences_of(enrollment), changes["notification_preferences"]
        )
        enrollment.notification_preferences = preferences.as_dict()
    if "custom_fields" in changes:
        enrollment.custom_fields = validate_custom_fields(changes["custom_fields"])
    if "time_zone" in changes:
        student_time_zone(changes["time_zone"])
        enrollment.time_zone = changes["time_zone"]
    progress.updated_at = occasion.now
    keep_progress(enrollment, progress)
    record_events(session, outbox)
    session.commit()
    return document_of(session, enrollment)


def complete_lesson(
    session: Session,
    enrollment: Enrollment,
    lesson_id: str,
    report: LessonCompletionReport,
    occasion: Occasion,
) -> tuple[bool, EnrollmentDocument]:
    """Count a lesson completion; False (and nothing changes) if its id was counted."""
    outline = require_outline(session, enrollment.course_id)
    require_item_in_outline(outline, lesson_id, ItemKind.LESSON, field="lesson_id")
    progress = progress_of(enrollment)
    existing = progress.work().lessons.get(lesson_id)
    entry = record_lesson_completion(existing, lesson_id, report)
    counted = entry != existing
    if counted:
        progress.replace_lesson(entry)
        outbox = [events.lesson_completed(progress, entry, report, occasion)]
        refresh(progress, outline, occasion, outbox, after_student_work=True)
        keep_progress(enrollment, progress)
        record_events(session, outbox)
    session.commit()
    return counted, document_of(session, enrollment)


def record_assignment(
    session: Session,
    enrollment: Enrollment,
    assignment_id: str,
    change: AssignmentChange,
    occasion: Occasion,
) -> EnrollmentDocument:
    """Apply a submission, grading or return; a repeat changes nothing."""
    outline = require_outline(session, enrollment.course_id)
    require_item_in_outline(outline, assignment_id, ItemKind.ASSIGNMENT, field="assignment_id")
    progress = progress_of(enrollment)
    existing = progress.work().assignments.get(assignment_id)
    entry = record_assignment_change(existing, assignment_id, change)
    if entry != existing:
        progress.replace_assignment(entry)
        outbox = [events.assignment_recorded(progress, entry, _action_of(change), occasion)]
        refresh(progress, outline, occasion, outbox, after_student_work=True)
        keep_progress(enrollment, progress)
        record_events(session, outbox)
    session.commit()
    return document_of(session, enrollment)


def _action_of(change: AssignmentChange) -> str:
    if isinstance(change, AssignmentSubmission):
        return "submit"
    if isinstance(change, AssignmentGrading):
        return "grade"
    return "return"
