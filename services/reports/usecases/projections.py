"""Projections of the progress, attempts and analytics events the service consumes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
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
def record_enrollments(session: Session, batch: Sequence[events.Enrolled]) -> None:
    """Each enrollment's first moment: the first event seen keeps it (of a batch, the
    first in it); later ones change nothing. One statement for the batch."""
    first: dict[str, events.Enrolled] = {}
    for enrolled in batch:
        first.setdefault(enrolled.enrollment_id, enrolled)
    store.upsert_where(
        session,
        EnrollmentFact,
        [
            {
                "enrollment_id": enrolled.enrollment_id,
                "student_id": enrolled.student_id,
                "course_id": enrolled.course_id,
                "enrolled_at": enrolled.enrolled_at,
                "completed_at": None,
            }
            for enrolled in first.values()
        ],
        keys=["enrollment_id"],
        update=["enrolled_at"],
        when=lambda _new: EnrollmentFact.__table__.c.enrolled_at.is_(None),
    )


def record_course_completions(session: Session, batch: Sequence[events.CourseCompleted]) -> None:
    """Each enrollment's latest completion (a reopened course completed anew moves it
    forward); an earlier one changes nothing. One statement for the batch."""
    latest: dict[str, events.CourseCompleted] = {}
    for completed in batch:
        kept = latest.get(completed.enrollment_id)
        if kept is None or kept.completed_at < completed.completed_at:
            latest[completed.enrollment_id] = completed
    stored = EnrollmentFact.__table__.c.completed_at
    store.upsert_where(
        session,
        EnrollmentFact,
        [
            {
                "enrollment_id": completed.enrollment_id,
                "student_id": completed.student_id,
                "course_id": completed.course_id,
                "enrolled_at": None,
                "completed_at": completed.completed_at,
            }
            for completed in latest.values()
        ],
        keys=["enrollment_id"],
        update=["completed_at"],
        when=lambda new: sa.or_(stored.is_(None), stored < new.completed_at),
    )


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


def record_assignment_works(
    session: Session, batch: Sequence[tuple[events.AssignmentRecorded, datetime]]
) -> None:
    """Each assignment's latest state, by when its event occurred: an event older than the
    one kept changes nothing, and of events at the same moment the first one stays (of a
    batch, the first in it). One statement for the batch."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for work, occurred_at in batch:
        key = (work.enrollment_id, work.assignment_id)
        kept = latest.get(key)
        if kept is not None and kept["as_of"] >= occurred_at:
            continue
        latest[key] = {
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
    table = AssignmentWorkFact.__table__
    store.upsert_where(
        session,
        AssignmentWorkFact,
        list(latest.values()),
        keys=["enrollment_id", "assignment_id"],
        update=[
            "student_id",
            "course_id",
            "status",
            "submitted_at",
            "grade",
            "time_spent",
            "as_of",
        ],
        when=lambda new: table.c.as_of < new.as_of,
    )


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


def record_achievements(session: Session, batch: Sequence[events.AchievementEarned]) -> None:
    """Kept once per student, achievement and course (a redelivery changes nothing)."""
    store.insert_new(
        session,
        AchievementFact,
        [
            {
                "student_id": earned.student_id,
                "achievement_id": earned.achievement_id,
                "course_id": earned.course_id or "",
                "title": earned.title[:500],
                "earned_at": earned.earned_at,
            }
            for earned in batch
        ],
        ["student_id", "achievement_id", "course_id"],
    )


def record_risk_levels(session: Session, batch: Sequence[events.RiskChanged]) -> None:
    """Every assessment is kept by its moment: the report takes the latest by its period's
    end, whatever order they arrived in."""
    store.insert_new(
        session,
        RiskFact,
        [
            {
                "student_id": changed.student_id,
                "course_id": changed.course_id,
                "assessed_at": changed.assessed_at,
                "level": changed.to_level,
            }
            for changed in batch
        ],
        ["student_id", "course_id", "assessed_at"],
    )
