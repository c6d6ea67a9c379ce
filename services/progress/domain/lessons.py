"""Recording that a student completed a lesson: idempotent and independent of arrival order.

Each completion carries an id chosen by its source (the completion request's
idempotency key, or the id of the event that reported it). The entry remembers the
ids it has counted, so a retried request or a redelivered event counts once, and
merging completions in any order gives the same entry:

* ``attempts``   = number of distinct completion ids
* ``completed_at`` = the earliest completion (the first time the lesson was done)
* ``time_spent`` = sum of the distinct completions' minutes (to 0.01 minute)
* ``score``      = the best score reported (completions without a score leave it alone)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from shared.errors import InvalidInput

from .values import (
    add_minutes,
    require_aware,
    require_duration,
    require_identifier,
    require_optional_score,
)


@dataclass(frozen=True)
class LessonCompletionReport:
    """One report that the student completed a lesson: minutes spent, optional 0-100 score."""

    completion_id: str
    completed_at: datetime
    time_spent: float
    score: float | None = None

    def __post_init__(self) -> None:
        require_identifier(self.completion_id, "completion_id")
        require_aware(self.completed_at, "completed_at")
        require_duration(self.time_spent, "time_spent")
        require_optional_score(self.score, "score")


@dataclass(frozen=True)
class LessonCompletion:
    """The ``completed_lessons`` entry of the spec, with the completion ids it counted."""

    lesson_id: str
    completed_at: datetime
    time_spent: float
    score: float | None
    completion_ids: frozenset[str]

    @property
    def attempts(self) -> int:
        return len(self.completion_ids)


def record_lesson_completion(
    existing: LessonCompletion | None, lesson_id: str, report: LessonCompletionReport
) -> LessonCompletion:
    """The lesson's entry once ``report`` is counted; unchanged if it was counted before.

    A report whose ``completion_id`` was already counted changes nothing, even if its
    other fields differ: the first version of a completion is the one that counts.
    """
    if existing is None:
        return LessonCompletion(
            lesson_id=lesson_id,
            completed_at=report.completed_at,
            time_spent=add_minutes(0, report.time_spent),
            score=report.score,
            completion_ids=frozenset({report.completion_id}),
        )
    if existing.lesson_id != lesson_id:
        raise InvalidInput.for_field(
            "lesson_id", f"entry of {existing.lesson_id!r} cannot record {lesson_id!r}"
        )
    if report.completion_id in existing.completion_ids:
        return existing
    return replace(
        existing,
        completed_at=min(existing.completed_at, report.completed_at),
        time_spent=add_minutes(existing.time_spent, report.time_spent),
        score=_best_of(existing.score, report.score),
        completion_ids=existing.completion_ids | {report.completion_id},
    )


def lesson_completion_from_reports(
    lesson_id: str, reports: Iterable[LessonCompletionReport]
) -> LessonCompletion | None:
    """The entry built from every report of the lesson (duplicates allowed), or None."""
    entry: LessonCompletion | None = None
    for report in reports:
        entry = record_lesson_completion(entry, lesson_id, report)
    return entry


def _best_of(first: float | None, second: float | None) -> float | None:
    scores = [score for score in (first, second) if score is not None]
    return max(scores) if scores else None
