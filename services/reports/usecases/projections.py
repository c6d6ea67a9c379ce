"""Projections of the progress, attempts and analytics events the service consumes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.reports import events, store
from services.reports.models import (
    AchievementFact,
    AssignmentWorkFact,
    EnrollmentFact,
    LessonCompletionFact,
    QuizAttemptFact,
    RiskFact,
)
from shared.errors import InvalidInput


# -- projections of consumed events ---------------------------------------------------------
def record_enrollment(session: Session, enrolled: events.Enrolled) -> None:
    store.upsert(
        session,
        EnrollmentFact,
        {
            "enrollment_id": enrolled.enrollment_id,
            "student_id": enrolled.student_id,
            "course_id": enrolled.course_id,
            "enrolled_at": enrolled.enrolled_at,
            "completed_at": None,
        },
        ["enrollment_id"],
    )
    row = session.get(EnrollmentFact, enrolled.enrollment_id, with_for_update=True)
    if row is not None and row.enrolled_at is None:
        row.enrolled_at = enrolled.enrolled_at


def record_course_completion(session: Session, completed: events.CourseCompleted) -> None:
    """Latest completion wins (a reopened course completed anew moves it forward)."""
    store.upsert(
        session,
        EnrollmentFact,
        {
            "enrollment_id": completed.enrollment_id,
            "student_id": completed.student_id,
            "course_id": completed.course_id,
            "enrolled_at": None,
            "completed_at": completed.completed_at,
        },
        ["enrollment_id"],
    )
    row = session.get(EnrollmentFact, completed.enrollment_id, with_for_update=True)
    if row is not None and (row.completed_at is None or row.completed_at < completed.completed_at):
        row.completed_at = completed.completed_at


def record_lesson_completion(session: Session, done: events.LessonCompleted) -> None:
    store.upsert(
        session,
        LessonCompletionFact,
        {
            "enrollment_id": done.enrollment_id,
            "completion_id": done.completion_id,
            "student_id": done.student_id,
            "course_id": done.course_id,
            "lesson_id": done.lesson_id,
            "completed_at": done.completed_at,
            "time_spent": done.time_spent or 0.0,
            "score": done.score,
        },
        ["enrollment_id", "completion_id"],
    )


def record_assignment_work(
    session: Session, work: events.AssignmentRecorded, occurred_at: datetime
) -> None:
    """The assignment's latest state: an event older than the one kept changes nothing."""
    values = {
        "enrollment_id": work.enrollment_id,
        "assignment_id": work.assignment_id,
        "student_id": work.student_id,
        "course_id": work.course_id,
        "status": work.status,
        "submitted_at": work.submitted_at,
        "grade": work.grade,
        "time_spent": work.time_spent or 0.0,
        "as_of": occurred_at,
    }
    store.upsert(session, AssignmentWorkFact, values, ["enrollment_id", "assignment_id"])
    row = session.get(
        AssignmentWorkFact, (work.enrollment_id, work.assignment_id), with_for_update=True
    )
    if row is not None and row.as_of < occurred_at:
        for key, value in values.items():
            setattr(row, key, value)


def record_quiz_attempt(
    session: Session,
    *,
    student_id: str,
    course_id: str,
    result: events.AttemptResult,
    graded: bool,
) -> None:
    """Submitted then graded, in either order: the grading's score wins once it exists."""
    completed_at = result.completed_at or result.graded_at
    if completed_at is None:
        raise InvalidInput.for_field("completed_at", "is required")
    store.upsert(
        session,
        QuizAttemptFact,
        {
            "attempt_id": result.attempt_id,
            "student_id": student_id,
            "course_id": course_id,
            "quiz_id": result.quiz_id,
            "completed_at": completed_at,
            "score": result.score,
            "time_spent": result.time_spent or 0.0,
            "is_practice": result.is_practice,
            "graded_at": result.graded_at if graded else None,
        },
        ["attempt_id"],
    )
    row = session.get(QuizAttemptFact, result.attempt_id, with_for_update=True)
    if row is None:
        return
    if graded and (row.graded_at is None or row.graded_at < (result.graded_at or completed_at)):
        row.score, row.graded_at = result.score, result.graded_at
    if not graded:
        row.completed_at = completed_at
        row.time_spent = result.time_spent or row.time_spent
        if row.graded_at is None:
            row.score = result.score


def record_achievement(session: Session, earned: events.AchievementEarned) -> None:
    """Kept once per student, achievement and course (a redelivery changes nothing)."""
    store.upsert(
        session,
        AchievementFact,
        {
            "student_id": earned.student_id,
            "achievement_id": earned.achievement_id,
            "course_id": earned.course_id or "",
            "title": earned.title[:500],
            "earned_at": earned.earned_at,
        },
        ["student_id", "achievement_id", "course_id"],
    )


def record_risk_level(session: Session, changed: events.RiskChanged) -> None:
    """Every assessment is kept by its moment: the report takes the latest by its period's
    end, whatever order they arrived in."""
    store.upsert(
        session,
        RiskFact,
        {
            "student_id": changed.student_id,
            "course_id": changed.course_id,
            "assessed_at": changed.assessed_at,
            "level": changed.to_level,
        },
        ["student_id", "course_id", "assessed_at"],
    )
