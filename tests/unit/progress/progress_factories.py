"""Builders of outlines and student work for the progress domain's unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.progress.domain import (
    AssignmentEntry,
    AssignmentGrading,
    AssignmentSubmission,
    CourseWork,
    LessonCompletion,
    LessonCompletionReport,
    Outline,
    QuizResult,
    parse_outline,
    record_assignment_change,
    record_lesson_completion,
)

T0 = datetime(2024, 9, 2, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """A UTC time ``minutes`` after the test epoch T0."""
    return T0 + timedelta(minutes=minutes)


def item(
    item_id: str, kind: str = "lesson", *, required: bool = True, weight: float = 1
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "kind": kind,
        "title": f"Title of {item_id}",
        "required": required,
        "weight": weight,
    }


def raw_outline(*modules: list[dict[str, Any]], **criteria: Any) -> dict[str, Any]:
    """A raw outline: each positional argument is one module's list of items."""
    raw: dict[str, Any] = {
        "modules": [
            {"module_id": f"MOD-{m + 1}", "title": f"Module {m + 1}", "items": items}
            for m, items in enumerate(modules)
        ]
    }
    raw.update(criteria)
    return raw


def outline(*modules: list[dict[str, Any]], **criteria: Any) -> Outline:
    return parse_outline(raw_outline(*modules, **criteria))


def lesson_done(lesson_id: str, score: float | None = None) -> LessonCompletion:
    return record_lesson_completion(
        None, lesson_id, LessonCompletionReport(f"C-{lesson_id}", T0, 10, score)
    )


def quiz_taken(quiz_id: str, best_score: float, *, passed: bool, attempts: int = 1) -> QuizResult:
    return QuizResult(quiz_id, T0, attempts, best_score, f"AT-{quiz_id}", 10, passed)


def assignment_in(assignment_id: str, grade: float | None = None) -> AssignmentEntry:
    entry = record_assignment_change(
        None, assignment_id, AssignmentSubmission(f"S-{assignment_id}", T0, 30)
    )
    if grade is not None:
        entry = record_assignment_change(entry, assignment_id, AssignmentGrading(grade, at(60)))
    return entry


def work(
    lessons: tuple[str, ...] = (),
    quizzes: tuple[QuizResult, ...] = (),
    assignments: tuple[AssignmentEntry, ...] = (),
) -> CourseWork:
    """Student work: ids of completed lessons, plus quiz and assignment entries."""
    return CourseWork.of([lesson_done(lesson_id) for lesson_id in lessons], quizzes, assignments)
