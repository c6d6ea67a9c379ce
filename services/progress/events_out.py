"""Payloads of the progress events about recorded work (docs/events.md, progress section)."""

from __future__ import annotations

from typing import Any

from services.progress.domain import AssignmentEntry, LessonCompletion, LessonCompletionReport
from shared.events.envelope import to_iso


def lesson_payload(entry: LessonCompletion, report: LessonCompletionReport) -> dict[str, Any]:
    """``progress.lesson.completed``: this completion, and the lesson's entry after it."""
    return {
        "lesson_id": entry.lesson_id,
        "completion_id": report.completion_id,
        "completed_at": to_iso(report.completed_at),
        "time_spent": report.time_spent,
        "score": report.score,
        "attempts": entry.attempts,
        "best_score": entry.score,
    }


def assignment_payload(entry: AssignmentEntry, action: str) -> dict[str, Any]:
    """``progress.assignment.recorded``: the action, and the assignment's entry after it."""
    return {
        "assignment_id": entry.assignment_id,
        "action": action,
        "status": entry.status.value,
        "submitted_at": to_iso(entry.submitted_at),
        "grade": entry.grade,
        "feedback_id": entry.feedback_id,
        "time_spent": entry.time_spent,
    }
