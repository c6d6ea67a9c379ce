"""Item analysis for teachers: how hard each question was and how well it separated
stronger from weaker students.

Rules:

* Only closed (``pending_grading`` or ``graded``), non-practice attempts count. Within
  them, a question's result counts unless it is still pending (an ungraded essay);
  unanswered counts as earning 0.
* ``facility``: the mean share of the question's points earned (partial credit
  counts), 0 to 1. ``fully_correct_share``: the share of attempts that got it fully
  right.
* ``discrimination``: the facility in the upper group minus the facility in the lower
  group, -1 to 1. The groups are the top and bottom 27% of the counted attempts by
  total score (27% of the count, rounded half-up; ties at the boundary are broken by
  attempt id, so the result is deterministic). When either group holds fewer than 2
  counted results for the question, discrimination is None: too few to mean anything.
* Values are rounded to 4 decimals; a question nobody answered has None throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .question_scoring import QuestionResult
from .quizzes import Quiz
from .rounding import POINT_PLACES, round_half_up
from .states import CLOSED_STATUSES, AttemptStatus

GROUP_SHARE = 0.27
MIN_GROUP_SIZE = 2


@dataclass(frozen=True)
class AttemptForAnalysis:
    """What item analysis needs of one attempt."""

    attempt_id: str
    status: AttemptStatus
    is_practice: bool
    score: float
    results: tuple[QuestionResult, ...]


@dataclass(frozen=True)
class ItemStatistics:
    question_id: str
    responses: int
    facility: float | None
    fully_correct_share: float | None
    discrimination: float | None


def analyze_items(quiz: Quiz, attempts: Sequence[AttemptForAnalysis]) -> tuple[ItemStatistics, ...]:
    """Statistics of every question of ``quiz`` (in quiz order) over ``attempts``."""
    counted = sorted(
        (a for a in attempts if a.status in CLOSED_STATUSES and not a.is_practice),
        key=lambda a: (-a.score, a.attempt_id),
    )
    group_size = int(round_half_up(GROUP_SHARE * len(counted), 0))
    upper = counted[:group_size]
    lower = counted[len(counted) - group_size :] if group_size else []
    return tuple(
        _statistics(question_id, counted, upper, lower) for question_id in quiz.question_ids
    )


def _statistics(
    question_id: str,
    counted: Sequence[AttemptForAnalysis],
    upper: Sequence[AttemptForAnalysis],
    lower: Sequence[AttemptForAnalysis],
) -> ItemStatistics:
    results = _graded_results(question_id, counted)
    if not results:
        return ItemStatistics(question_id, 0, None, None, None)
    fully_correct = sum(1 for result in results if result.is_correct) / len(results)
    upper_results = _graded_results(question_id, upper)
    lower_results = _graded_results(question_id, lower)
    discrimination = None
    if min(len(upper_results), len(lower_results)) >= MIN_GROUP_SIZE:
        discrimination = _rounded(_facility(upper_results) - _facility(lower_results))
    return ItemStatistics(
        question_id=question_id,
        responses=len(results),
        facility=_rounded(_facility(results)),
        fully_correct_share=_rounded(fully_correct),
        discrimination=discrimination,
    )


def _graded_results(
    question_id: str, attempts: Sequence[AttemptForAnalysis]
) -> list[QuestionResult]:
    return [
        result
        for attempt in attempts
        for result in attempt.results
        if result.question_id == question_id and not result.pending
    ]


def _facility(results: Sequence[QuestionResult]) -> float:
    return sum(result.credit for result in results) / len(results)


def _rounded(value: float) -> float:
    return round_half_up(value, POINT_PLACES)
