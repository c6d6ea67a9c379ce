"""The progress service's use cases on enrollments and outlines, called by the API.

Each function works inside the caller's transaction, changes rows with the domain's
pure functions and records the resulting events in the outbox of that transaction
(``derived``); the caller commits. Facts from other services are in ``facts``;
loading and locking in ``store``.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.progress import entries, facts
from services.progress.derived import Occasion, change_status, emit, refresh
from services.progress.domain import (
    AssignmentChange,
    AssignmentGrading,
    AssignmentReturn,
    AssignmentSubmission,
    EnrollmentStatus,
    ItemKind,
    LessonCompletionReport,
    NotificationPreferences,
    Outline,
    parse_outline,
    record_assignment_change,
    record_lesson_completion,
    require_item_in_outline,
    status_on_request,
    student_time_zone,
)
from services.progress.domain.values import require_identifier
from services.progress.events_out import assignment_payload, lesson_payload
from services.progress.models import CourseOutline, Enrollment
from services.progress.store import (
    enrollment_by_key,
    lock_course_outline,
    lock_student_course,
    require_outline,
)
from shared.errors import Conflict
from shared.events.envelope import to_iso

#: course ids are kept to what the audit log stores (shared.db.audit_table.course_id)
MAX_COURSE_ID_LENGTH = 120


def enroll(
    session: Session, *, student_id: str, course_id: str, time_zone: str, occasion: Occasion
) -> Enrollment:
    """A new enrollment, counting the attempts and activity already received for it."""
    student_time_zone(time_zone)
    outline = require_outline(session, course_id)
    lock_student_course(session, student_id, course_id)
    existing = enrollment_by_key(session, student_id, course_id)
    if existing is not None:
        raise Conflict(
            f"student {student_id!r} is already enrolled in {course_id!r} "
            f"(enrollment {existing.id})"
        )
    enrollment = _new_enrollment(student_id, course_id, time_zone, occasion)
    session.add(enrollment)
    for quiz_id in facts.quiz_ids_with_facts(session, student_id, course_id):
        result = facts.quiz_result_for(session, enrollment, quiz_id)
        entries.replace_quiz(enrollment, quiz_id, result)
    engagement = facts.engagement_from_counted(session, student_id, course_id)
    entries.store_engagement(enrollment, engagement)
    session.flush()
    payload = {"enrolled_at": to_iso(occasion.now), "status": enrollment.status}
    emit(session, enrollment, "progress.enrolled", payload, occasion)
    had_work = bool(enrollment.completed_quizzes) or engagement.last_accessed is not None
    refresh(session, enrollment, outline, occasion, after_student_work=had_work)
    return enrollment


def _new_enrollment(
    student_id: str, course_id: str, time_zone: str, occasion: Occasion
) -> Enrollment:
    return Enrollment(
        id=str(uuid.uuid4()),
        student_id=student_id,
        course_id=course_id,
        enrolled_at=occasion.now,
        status=EnrollmentStatus.NOT_STARTED.value,
        completed_lessons=[],
        completed_quizzes=[],
        completed_assignments=[],
        progress_percentage=0,
        certificate_issued=False,
        total_time_spent_seconds=0.0,
        login_streak=0,
        active_dates=[],
        time_zone=time_zone,
        notification_preferences=NotificationPreferences().as_dict(),
        custom_fields={},
        updated_at=occasion.now,
    )


def request_status(
    session: Session,
    enrollment: Enrollment,
    requested: EnrollmentStatus,
    occasion: Occasion,
    *,
    by_admin: bool,
) -> None:
    """A status asked for through the API: Conflict (409) or Forbidden saying why not."""
    current = EnrollmentStatus(enrollment.status)
    has_started = not entries.work_of(enrollment).is_empty or enrollment.last_accessed is not None
    new = status_on_request(current, requested, has_started=has_started, by_admin=by_admin)
    change_status(session, enrollment, new, occasion, reason="request")


def set_current_lesson(enrollment: Enrollment, outline: Outline, lesson_id: str) -> None:
    position = require_item_in_outline(
        outline, lesson_id, ItemKind.LESSON, field="current_lesson_id"
    )
    enrollment.current_lesson_id = lesson_id
    enrollment.current_module_id = position.module_id


def complete_lesson(
    session: Session,
    enrollment: Enrollment,
    lesson_id: str,
    report: LessonCompletionReport,
    occasion: Occasion,
) -> bool:
    """Count a lesson completion; False (and nothing changes) if its id was counted."""
    outline = require_outline(session, enrollment.course_id)
    require_item_in_outline(outline, lesson_id, ItemKind.LESSON, field="lesson_id")
    existing = entries.work_of(enrollment).lessons.get(lesson_id)
    entry = record_lesson_completion(existing, lesson_id, report)
    if entry == existing:
        return False
    entries.replace_lesson(enrollment, entry)
    payload = lesson_payload(entry, report)
    emit(session, enrollment, "progress.lesson.completed", payload, occasion)
    refresh(session, enrollment, outline, occasion, after_student_work=True)
    return True


def record_assignment(
    session: Session,
    enrollment: Enrollment,
    assignment_id: str,
    change: AssignmentChange,
    occasion: Occasion,
) -> bool:
    """Apply a submission, grading or return; False if it changed nothing (a repeat)."""
    outline = require_outline(session, enrollment.course_id)
    require_item_in_outline(outline, assignment_id, ItemKind.ASSIGNMENT, field="assignment_id")
    existing = entries.work_of(enrollment).assignments.get(assignment_id)
    entry = record_assignment_change(existing, assignment_id, change)
    if entry == existing:
        return False
    entries.replace_assignment(enrollment, entry)
    payload = assignment_payload(entry, _action_of(change))
    emit(session, enrollment, "progress.assignment.recorded", payload, occasion)
    refresh(session, enrollment, outline, occasion, after_student_work=True)
    return True


def _action_of(change: AssignmentChange) -> str:
    if isinstance(change, AssignmentSubmission):
        return "submit"
    if isinstance(change, AssignmentGrading):
        return "grade"
    assert isinstance(change, AssignmentReturn)
    return "return"


def replace_outline(
    session: Session, course_id: str, document: dict[str, Any], *, by: str, occasion: Occasion
) -> CourseOutline:
    """Store the course's new outline and recompute every enrolled student's progress.

    The students' entries are untouched (``domain.outline``): only percentage and
    position follow the new outline; statuses move only with the students' own work.
    """
    require_identifier(course_id, "course_id", max_length=MAX_COURSE_ID_LENGTH)
    outline = parse_outline(document)
    lock_course_outline(session, course_id)
    row = session.get(CourseOutline, course_id, with_for_update=True)
    if row is None:
        row = CourseOutline(course_id=course_id, version=1, document=document)
        session.add(row)
    else:
        row.version += 1
        row.document = document
    row.updated_at = occasion.now
    row.updated_by = by
    enrolled = session.execute(
        sa.select(Enrollment)
        .where(Enrollment.course_id == course_id)
        .order_by(Enrollment.id)
        .with_for_update()
    ).scalars()
    for enrollment in enrolled:
        refresh(session, enrollment, outline, occasion, after_student_work=False)
    session.flush()
    return row
