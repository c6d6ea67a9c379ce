"""The progress service's use cases on enrollments, shared by the API and the event handlers.

Each function works inside the caller's transaction (the request's or the consumed
batch's), changes rows with the domain's pure functions and records the resulting
events in the outbox of that same transaction; the caller commits.

Concurrency: an enrollment being changed is locked (``SELECT ... FOR UPDATE``), and
work keyed by (student, course) takes a transaction-scoped advisory lock on that key
first (``lock_student_course``), so an attempt or activity event that races with
the enrollment's creation is either seen by it or sees it. SQLite (embedded mode)
serializes writers with ``BEGIN IMMEDIATE`` and needs neither.
"""

from __future__ import annotations

import uuid
import zlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.progress import entries
from services.progress.domain import (
    ActivityRecord,
    AssignmentChange,
    AssignmentGrading,
    AssignmentReturn,
    AssignmentSubmission,
    AttemptState,
    Engagement,
    EnrollmentStatus,
    ItemKind,
    LessonCompletionReport,
    NotificationPreferences,
    Outline,
    QuizAttemptFact,
    active_dates_to_keep,
    activities_not_yet_counted,
    average_score,
    derive_progress,
    local_date_of,
    parse_outline,
    quiz_result_of,
    record_activities,
    record_assignment_change,
    record_attempt_fact,
    record_lesson_completion,
    require_item_in_outline,
    status_on_request,
    student_time_zone,
)
from services.progress.domain.values import add_seconds, require_identifier
from services.progress.models import CountedActivity, CourseOutline, Enrollment
from services.progress.models import QuizAttemptFact as QuizAttemptFactRow
from shared.errors import Conflict, InvalidInput
from shared.events import Envelope, record_event
from shared.events.envelope import to_iso

PRODUCER = "progress"
#: course ids are kept to what the audit log stores (shared.db.audit_table.course_id)
MAX_COURSE_ID_LENGTH = 120


# -- loading ---------------------------------------------------------------------------
def lock_student_course(session: Session, student_id: str, course_id: str) -> None:
    """Serialize work on one (student, course) until the transaction ends (PostgreSQL)."""
    _advisory_lock(session, f"progress:{student_id}\x00{course_id}")


def lock_course_outline(session: Session, course_id: str) -> None:
    """Serialize publications of one course's outline (the first one inserts its row)."""
    _advisory_lock(session, f"progress-outline:{course_id}")


def _advisory_lock(session: Session, name: str) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(name.encode())
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def enrollment_by_id(
    session: Session, enrollment_id: str, *, for_update: bool = False
) -> Enrollment | None:
    query = sa.select(Enrollment).where(Enrollment.id == enrollment_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def enrollment_by_key(
    session: Session, student_id: str, course_id: str, *, for_update: bool = False
) -> Enrollment | None:
    query = sa.select(Enrollment).where(
        Enrollment.student_id == student_id, Enrollment.course_id == course_id
    )
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def outline_of_course(session: Session, course_id: str) -> Outline | None:
    row = session.get(CourseOutline, course_id)
    return None if row is None else parse_outline(row.document)


def require_outline(session: Session, course_id: str) -> Outline:
    outline = outline_of_course(session, course_id)
    if outline is None:
        raise Conflict(f"course {course_id!r} has no outline yet: publish it first")
    return outline


# -- derived fields and the events they cause -----------------------------------------
def emit(
    session: Session,
    enrollment: Enrollment,
    event_type: str,
    payload: dict[str, Any],
    correlation_id: str | None,
) -> None:
    body = {
        "enrollment_id": enrollment.id,
        "student_id": enrollment.student_id,
        "course_id": enrollment.course_id,
        **payload,
    }
    envelope = Envelope(
        type=event_type,
        producer=PRODUCER,
        subject=enrollment.student_id,
        course_id=enrollment.course_id,
        correlation_id=correlation_id,
        payload=body,
    )
    record_event(session, envelope)


def refresh(
    session: Session,
    enrollment: Enrollment,
    outline: Outline,
    *,
    after_student_work: bool,
    now: datetime,
    correlation_id: str | None,
) -> None:
    """Recompute the derived fields; emit status, completion and certificate events."""
    work = entries.work_of(enrollment)
    previous = EnrollmentStatus(enrollment.status)
    derived = derive_progress(outline, work, previous, after_student_work=after_student_work)
    enrollment.progress_percentage = derived.progress_percentage
    enrollment.current_module_id = derived.current_module_id
    enrollment.current_lesson_id = derived.current_lesson_id
    enrollment.updated_at = now
    if derived.status is not previous:
        change_status(
            session,
            enrollment,
            derived.status,
            reason="student_work",
            now=now,
            correlation_id=correlation_id,
        )
    if (
        derived.certificate_earned
        and not enrollment.certificate_issued
        and enrollment.certificate_requested_at is None
    ):
        enrollment.certificate_requested_at = now
        emit(
            session,
            enrollment,
            "progress.certificate.requested",
            {
                "completed_at": _iso(enrollment.completed_at),
                "average_score": average_score(outline, work),
                "progress_percentage": enrollment.progress_percentage,
                "requested_at": to_iso(now),
            },
            correlation_id,
        )


def change_status(
    session: Session,
    enrollment: Enrollment,
    new: EnrollmentStatus,
    *,
    reason: str,
    now: datetime,
    correlation_id: str | None,
) -> None:
    previous = EnrollmentStatus(enrollment.status)
    if new is previous:
        return
    enrollment.status = new.value
    enrollment.updated_at = now
    enrollment.completed_at = now if new is EnrollmentStatus.COMPLETED else None
    payload = {"from_status": previous.value, "to_status": new.value, "reason": reason}
    emit(session, enrollment, "progress.status.changed", payload, correlation_id)
    if new is EnrollmentStatus.COMPLETED:
        emit(
            session,
            enrollment,
            "progress.course.completed",
            {"completed_at": to_iso(now), "progress_percentage": enrollment.progress_percentage},
            correlation_id,
        )


# -- enrollment ------------------------------------------------------------------------
def enroll(
    session: Session,
    *,
    student_id: str,
    course_id: str,
    time_zone: str,
    now: datetime,
    correlation_id: str | None,
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
    enrollment = Enrollment(
        id=str(uuid.uuid4()),
        student_id=student_id,
        course_id=course_id,
        enrolled_at=now,
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
        updated_at=now,
    )
    session.add(enrollment)
    quiz_ids = _quiz_ids_with_facts(session, student_id, course_id)
    for quiz_id in quiz_ids:
        entries.replace_quiz(enrollment, quiz_id, _quiz_result(session, enrollment, quiz_id))
    engagement = _engagement_from_counted(session, student_id, course_id)
    entries.store_engagement(enrollment, engagement)
    session.flush()
    payload = {"enrolled_at": to_iso(now), "status": enrollment.status}
    emit(session, enrollment, "progress.enrolled", payload, correlation_id)
    had_work = bool(enrollment.completed_quizzes) or engagement.last_accessed is not None
    refresh(
        session,
        enrollment,
        outline,
        after_student_work=had_work,
        now=now,
        correlation_id=correlation_id,
    )
    return enrollment


def request_status(
    session: Session,
    enrollment: Enrollment,
    requested: EnrollmentStatus,
    *,
    by_admin: bool,
    now: datetime,
    correlation_id: str | None,
) -> None:
    """A status asked for through the API: Conflict (409) or Forbidden saying why not."""
    current = EnrollmentStatus(enrollment.status)
    has_started = not entries.work_of(enrollment).is_empty or enrollment.last_accessed is not None
    new = status_on_request(current, requested, has_started=has_started, by_admin=by_admin)
    change_status(
        session, enrollment, new, reason="request", now=now, correlation_id=correlation_id
    )


def set_current_lesson(enrollment: Enrollment, outline: Outline, lesson_id: str) -> None:
    position = require_item_in_outline(
        outline, lesson_id, ItemKind.LESSON, field="current_lesson_id"
    )
    enrollment.current_lesson_id = lesson_id
    enrollment.current_module_id = position.module_id


# -- lessons and assignments ------------------------------------------------------------
def complete_lesson(
    session: Session,
    enrollment: Enrollment,
    lesson_id: str,
    report: LessonCompletionReport,
    *,
    now: datetime,
    correlation_id: str | None,
) -> bool:
    """Count a lesson completion; False (and nothing changes) if its id was counted."""
    outline = require_outline(session, enrollment.course_id)
    require_item_in_outline(outline, lesson_id, ItemKind.LESSON, field="lesson_id")
    existing = entries.work_of(enrollment).lessons.get(lesson_id)
    entry = record_lesson_completion(existing, lesson_id, report)
    if entry == existing:
        return False
    entries.replace_lesson(enrollment, entry)
    payload = {
        "lesson_id": lesson_id,
        "completion_id": report.completion_id,
        "completed_at": to_iso(report.completed_at),
        "time_spent": report.time_spent,
        "score": report.score,
        "attempts": entry.attempts,
        "best_score": entry.score,
    }
    emit(session, enrollment, "progress.lesson.completed", payload, correlation_id)
    refresh(
        session,
        enrollment,
        outline,
        after_student_work=True,
        now=now,
        correlation_id=correlation_id,
    )
    return True


def record_assignment(
    session: Session,
    enrollment: Enrollment,
    assignment_id: str,
    change: AssignmentChange,
    *,
    now: datetime,
    correlation_id: str | None,
) -> bool:
    """Apply a submission, grading or return; False if it changed nothing (a repeat)."""
    outline = require_outline(session, enrollment.course_id)
    require_item_in_outline(outline, assignment_id, ItemKind.ASSIGNMENT, field="assignment_id")
    existing = entries.work_of(enrollment).assignments.get(assignment_id)
    entry = record_assignment_change(existing, assignment_id, change)
    if entry == existing:
        return False
    entries.replace_assignment(enrollment, entry)
    payload = {
        "assignment_id": assignment_id,
        "action": _action_of(change),
        "status": entry.status.value,
        "submitted_at": to_iso(entry.submitted_at),
        "grade": entry.grade,
        "feedback_id": entry.feedback_id,
        "time_spent": entry.time_spent,
    }
    emit(session, enrollment, "progress.assignment.recorded", payload, correlation_id)
    refresh(
        session,
        enrollment,
        outline,
        after_student_work=True,
        now=now,
        correlation_id=correlation_id,
    )
    return True


def _action_of(change: AssignmentChange) -> str:
    if isinstance(change, AssignmentSubmission):
        return "submit"
    if isinstance(change, AssignmentGrading):
        return "grade"
    assert isinstance(change, AssignmentReturn)
    return "return"


# -- outlines ----------------------------------------------------------------------------
def replace_outline(
    session: Session,
    course_id: str,
    document: dict[str, Any],
    *,
    by: str,
    now: datetime,
    correlation_id: str | None,
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
    row.updated_at = now
    row.updated_by = by
    enrolled = session.execute(
        sa.select(Enrollment)
        .where(Enrollment.course_id == course_id)
        .order_by(Enrollment.id)
        .with_for_update()
    ).scalars()
    for enrollment in enrolled:
        refresh(
            session,
            enrollment,
            outline,
            after_student_work=False,
            now=now,
            correlation_id=correlation_id,
        )
    session.flush()
    return row


# -- facts from other services ---------------------------------------------------------
def apply_attempt_fact(
    session: Session,
    *,
    student_id: str,
    course_id: str,
    quiz_id: str,
    fact: QuizAttemptFact,
    now: datetime,
    correlation_id: str | None,
) -> None:
    """Merge one attempt fact; recompute the quiz's entry if the student is enrolled."""
    lock_student_course(session, student_id, course_id)
    row = session.get(QuizAttemptFactRow, (student_id, course_id, fact.attempt_id))
    if row is None:
        row = QuizAttemptFactRow(
            student_id=student_id, course_id=course_id, attempt_id=fact.attempt_id, quiz_id=quiz_id
        )
        session.add(row)
    elif row.quiz_id != quiz_id:
        raise InvalidInput.for_field(
            "quiz_id", f"attempt {fact.attempt_id!r} belongs to quiz {row.quiz_id!r}"
        )
    state = record_attempt_fact(_state_of(row), fact)
    row.submission = (
        None if state.submission is None else entries.submission_to_json(state.submission)
    )
    row.grading = None if state.grading is None else entries.grading_to_json(state.grading)
    session.flush()
    enrollment = enrollment_by_key(session, student_id, course_id, for_update=True)
    if enrollment is None:
        return
    before = list(enrollment.completed_quizzes)
    entries.replace_quiz(enrollment, quiz_id, _quiz_result(session, enrollment, quiz_id))
    if enrollment.completed_quizzes == before:
        return
    refresh(
        session,
        enrollment,
        require_outline(session, course_id),
        after_student_work=True,
        now=now,
        correlation_id=correlation_id,
    )


def apply_activities(
    session: Session,
    *,
    student_id: str,
    course_id: str,
    records: Sequence[ActivityRecord],
    time_zone: str | None,
    now: datetime,
    correlation_id: str | None,
) -> None:
    """Count the activities not counted before for (student, course): time, access, streak."""
    lock_student_course(session, student_id, course_id)
    ids = sorted({record.activity_id for record in records})
    counted = set(
        session.execute(
            sa.select(CountedActivity.activity_id).where(
                CountedActivity.student_id == student_id,
                CountedActivity.course_id == course_id,
                CountedActivity.activity_id.in_(ids),
            )
        ).scalars()
    )
    fresh = activities_not_yet_counted(records, counted)
    if not fresh:
        return
    enrollment = enrollment_by_key(session, student_id, course_id, for_update=True)
    zone = time_zone or (enrollment.time_zone if enrollment is not None else "UTC")
    session.add_all(
        CountedActivity(
            student_id=student_id,
            course_id=course_id,
            activity_id=record.activity_id,
            occurred_at=record.occurred_at,
            duration_seconds=record.duration_seconds or 0.0,
            local_date=local_date_of(record.occurred_at, zone),
        )
        for record in fresh
    )
    session.flush()
    if enrollment is None:
        return
    enrollment.time_zone = zone
    engagement = record_activities(entries.engagement_of(enrollment), fresh, zone)
    entries.store_engagement(enrollment, engagement)
    refresh(
        session,
        enrollment,
        require_outline(session, course_id),
        after_student_work=True,
        now=now,
        correlation_id=correlation_id,
    )


def record_certificate(
    session: Session, *, enrollment_id: str, url: str, issued_at: datetime, now: datetime
) -> None:
    """Record a rendered certificate; of two renderings the later ``issued_at`` wins."""
    enrollment = enrollment_by_id(session, enrollment_id, for_update=True)
    if enrollment is None:
        raise InvalidInput.for_field("enrollment_id", f"no enrollment {enrollment_id!r}")
    current = enrollment.certificate_issued_at
    if enrollment.certificate_issued and current is not None and current >= issued_at:
        return
    enrollment.certificate_issued = True
    enrollment.certificate_url = url
    enrollment.certificate_issued_at = issued_at
    enrollment.updated_at = now


# -- helpers ------------------------------------------------------------------------------
def _state_of(row: QuizAttemptFactRow) -> AttemptState:
    return AttemptState(
        attempt_id=row.attempt_id,
        submission=None if row.submission is None else entries.submission_from_json(row.submission),
        grading=None if row.grading is None else entries.grading_from_json(row.grading),
    )


def _quiz_ids_with_facts(session: Session, student_id: str, course_id: str) -> list[str]:
    query = (
        sa.select(QuizAttemptFactRow.quiz_id)
        .where(
            QuizAttemptFactRow.student_id == student_id,
            QuizAttemptFactRow.course_id == course_id,
        )
        .distinct()
        .order_by(QuizAttemptFactRow.quiz_id)
    )
    return list(session.execute(query).scalars())


def _quiz_result(session: Session, enrollment: Enrollment, quiz_id: str) -> Any:
    rows = session.execute(
        sa.select(QuizAttemptFactRow).where(
            QuizAttemptFactRow.student_id == enrollment.student_id,
            QuizAttemptFactRow.course_id == enrollment.course_id,
            QuizAttemptFactRow.quiz_id == quiz_id,
        )
    ).scalars()
    return quiz_result_of(quiz_id, [_state_of(row) for row in rows])


def _engagement_from_counted(session: Session, student_id: str, course_id: str) -> Engagement:
    rows = session.execute(
        sa.select(CountedActivity)
        .where(CountedActivity.student_id == student_id, CountedActivity.course_id == course_id)
        .order_by(CountedActivity.activity_id)
    ).scalars()
    total, latest, dates = 0.0, None, set[date]()
    for row in rows:
        total = add_seconds(total, row.duration_seconds)
        latest = row.occurred_at if latest is None else max(latest, row.occurred_at)
        dates.add(row.local_date)
    return Engagement(latest, total, active_dates_to_keep(dates))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else to_iso(moment)


def group_by_student_course(
    records: Sequence[tuple[str, str, ActivityRecord]],
) -> dict[tuple[str, str], list[ActivityRecord]]:
    """Records grouped by (student, course), in key order (a stable lock order)."""
    groups: dict[tuple[str, str], list[ActivityRecord]] = defaultdict(list)
    for student_id, course_id, record in records:
        groups[(student_id, course_id)].append(record)
    return dict(sorted(groups.items()))
