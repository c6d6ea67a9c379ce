"""Stored JSON <-> the domain's values, for the enrollment's nested collections and facts.

Timestamps are stored as UTC ISO 8601 strings. Each entry keeps the domain's
bookkeeping (completion ids, submission ids, ``graded_at``) besides the spec's fields;
``schemas.py`` shows only the spec's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from services.progress.domain import (
    AssignmentEntry,
    AssignmentStatus,
    AttemptGraded,
    AttemptSubmitted,
    Engagement,
    LessonCompletion,
    NotificationPreferences,
    QuizResult,
)
from services.progress.models import Enrollment
from shared.time import parse_iso, to_iso


def lesson_to_json(entry: LessonCompletion) -> dict[str, Any]:
    return {
        "lesson_id": entry.lesson_id,
        "completed_at": to_iso(entry.completed_at),
        "time_spent": entry.time_spent,
        "attempts": entry.attempts,
        "score": entry.score,
        "completion_ids": sorted(entry.completion_ids),
    }


def lesson_from_json(raw: Mapping[str, Any]) -> LessonCompletion:
    return LessonCompletion(
        lesson_id=raw["lesson_id"],
        completed_at=parse_iso(raw["completed_at"]),
        time_spent=raw["time_spent"],
        score=raw["score"],
        completion_ids=frozenset(raw["completion_ids"]),
    )


def quiz_to_json(result: QuizResult) -> dict[str, Any]:
    return {
        "quiz_id": result.quiz_id,
        "completed_at": None if result.completed_at is None else to_iso(result.completed_at),
        "attempts": result.attempts,
        "best_score": result.best_score,
        "best_attempt_id": result.best_attempt_id,
        "time_spent": result.time_spent,
        "passed": result.passed,
    }


def quiz_from_json(raw: Mapping[str, Any]) -> QuizResult:
    return QuizResult(
        quiz_id=raw["quiz_id"],
        completed_at=None if raw["completed_at"] is None else parse_iso(raw["completed_at"]),
        attempts=raw["attempts"],
        best_score=raw["best_score"],
        best_attempt_id=raw["best_attempt_id"],
        time_spent=raw["time_spent"],
        passed=raw["passed"],
    )


def assignment_to_json(entry: AssignmentEntry) -> dict[str, Any]:
    return {
        "assignment_id": entry.assignment_id,
        "submitted_at": to_iso(entry.submitted_at),
        "grade": entry.grade,
        "feedback_id": entry.feedback_id,
        "time_spent": entry.time_spent,
        "status": entry.status.value,
        "graded_at": None if entry.graded_at is None else to_iso(entry.graded_at),
        "submission_ids": sorted(entry.submission_ids),
    }


def assignment_from_json(raw: Mapping[str, Any]) -> AssignmentEntry:
    return AssignmentEntry(
        assignment_id=raw["assignment_id"],
        status=AssignmentStatus(raw["status"]),
        submitted_at=parse_iso(raw["submitted_at"]),
        time_spent=raw["time_spent"],
        submission_ids=frozenset(raw["submission_ids"]),
        grade=raw["grade"],
        feedback_id=raw["feedback_id"],
        graded_at=None if raw["graded_at"] is None else parse_iso(raw["graded_at"]),
    )


def submission_to_json(fact: AttemptSubmitted) -> dict[str, Any]:
    return {
        "attempt_id": fact.attempt_id,
        "completed_at": to_iso(fact.completed_at),
        "time_spent": fact.time_spent,
        "score": fact.score,
        "passed": fact.passed,
        "is_practice": fact.is_practice,
    }


def submission_from_json(raw: Mapping[str, Any]) -> AttemptSubmitted:
    return AttemptSubmitted(
        attempt_id=raw["attempt_id"],
        completed_at=parse_iso(raw["completed_at"]),
        time_spent=raw["time_spent"],
        score=raw["score"],
        passed=raw["passed"],
        is_practice=raw["is_practice"],
    )


def grading_to_json(fact: AttemptGraded) -> dict[str, Any]:
    return {
        "attempt_id": fact.attempt_id,
        "graded_at": to_iso(fact.graded_at),
        "score": fact.score,
        "passed": fact.passed,
    }


def grading_from_json(raw: Mapping[str, Any]) -> AttemptGraded:
    return AttemptGraded(
        attempt_id=raw["attempt_id"],
        graded_at=parse_iso(raw["graded_at"]),
        score=raw["score"],
        passed=raw["passed"],
    )


def engagement_of(enrollment: Enrollment) -> Engagement:
    return Engagement(
        last_accessed=enrollment.last_accessed,
        total_seconds=enrollment.total_time_spent_seconds,
        active_dates=frozenset(date.fromisoformat(raw) for raw in enrollment.active_dates),
    )


def store_engagement(enrollment: Enrollment, engagement: Engagement) -> None:
    enrollment.last_accessed = engagement.last_accessed
    enrollment.total_time_spent_seconds = engagement.total_seconds
    enrollment.active_dates = sorted(day.isoformat() for day in engagement.active_dates)
    enrollment.login_streak = engagement.login_streak
    enrollment.last_streak_date = engagement.last_streak_date


def preferences_of(enrollment: Enrollment) -> NotificationPreferences:
    return NotificationPreferences(**enrollment.notification_preferences)
