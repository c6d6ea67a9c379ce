"""Completion and certificate criteria: met or not, and what exactly is missing.

Each evaluation returns every unmet criterion with a human-readable message (and the
item it is about, if any), so the API can show a student what is left to do.
"Required" items are the outline's counted items: the required ones, or every item
when the outline marks none as required.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from .outline import ItemKind, Outline, OutlineItem
from .percentage import exact_decimal, progress_percentage
from .status import EnrollmentStatus
from .work import CourseWork


@dataclass(frozen=True)
class UnmetCriterion:
    """One reason the criteria are not met. ``criterion`` is the criterion's field name."""

    criterion: str
    message: str
    item_id: str | None = None


@dataclass(frozen=True)
class CriteriaEvaluation:
    unmet: tuple[UnmetCriterion, ...]

    @property
    def met(self) -> bool:
        return not self.unmet

    @property
    def reasons(self) -> list[str]:
        return [unmet.message for unmet in self.unmet]


def evaluate_completion(outline: Outline, work: CourseWork) -> CriteriaEvaluation:
    """Whether the student has completed the course under the outline's completion criteria.

    A recorded final result decides alone: met when it passes, unmet otherwise, whatever
    the items. Without one, the item criteria apply, and ``requires_final_result`` is
    unmet until a final result is recorded.
    """
    return CriteriaEvaluation(tuple(_unmet_for_completion(outline, work)))


def completion_met(outline: Outline, work: CourseWork) -> bool:
    """``evaluate_completion(outline, work).met``, stopping at the first unmet criterion
    (no message written for the others): what deriving progress needs on every change."""
    return next(_unmet_for_completion(outline, work), None) is None


def _unmet_for_completion(outline: Outline, work: CourseWork) -> Iterator[UnmetCriterion]:
    criteria = outline.completion
    if work.final_result is not None:
        if not work.final_result.passed:
            message = f"the final result is {work.final_result.value}"
            yield UnmetCriterion("final_result", message)
        return
    for item in outline.counted_items():
        if item.kind is ItemKind.LESSON and criteria.all_required_lessons:
            if not work.is_done(item):
                yield _about(item, "all_required_lessons", "is not completed")
        elif item.kind is ItemKind.QUIZ and criteria.all_required_quizzes_passed:
            if not work.is_done(item):
                yield _about(item, "all_required_quizzes_passed", _quiz_shortfall(item, work))
        elif item.kind is ItemKind.ASSIGNMENT:
            yield from _assignment_shortfall(outline, item, work)
    minimum = criteria.min_progress_percentage
    if minimum is not None and (percentage := progress_percentage(outline, work)) < minimum:
        message = f"progress is {percentage}%, below the required {minimum}%"
        yield UnmetCriterion("min_progress_percentage", message)
    if criteria.requires_final_result:
        message = "the course is decided by its final result, and none is recorded yet"
        yield UnmetCriterion("requires_final_result", message)


def evaluate_certificate(
    outline: Outline, work: CourseWork, status: EnrollmentStatus
) -> CriteriaEvaluation:
    """Whether the student has earned the certificate under the outline's certificate criteria."""
    return CriteriaEvaluation(tuple(_unmet_for_certificate(outline, work, status)))


def certificate_met(outline: Outline, work: CourseWork, status: EnrollmentStatus) -> bool:
    """``evaluate_certificate(outline, work, status).met``, stopping at the first unmet
    criterion (the average score is not computed for a course not completed)."""
    return next(_unmet_for_certificate(outline, work, status), None) is None


def _unmet_for_certificate(
    outline: Outline, work: CourseWork, status: EnrollmentStatus
) -> Iterator[UnmetCriterion]:
    criteria = outline.certificate
    if criteria.requires_completion and status is not EnrollmentStatus.COMPLETED:
        message = f"the course is not completed (status: {status.value})"
        yield UnmetCriterion("requires_completion", message)
    minimum = criteria.min_average_score
    if minimum is None:
        return
    average = average_score(outline, work)
    if average is not None and average < minimum:
        unscored = sum(1 for item in _scored_items(outline) if work.score_of(item) is None)
        pending = f" ({unscored} not scored yet, counted as 0)" if unscored else ""
        message = f"average score {_number(average)} is below the required {_number(minimum)}"
        yield UnmetCriterion("min_average_score", message + pending)


def average_score(outline: Outline, work: CourseWork) -> float | None:
    """Weighted average of counted quizzes' best scores and assignments' grades, to 0.01.

    An item without a score counts 0. The exact average is rounded half up to two
    decimals, and that rounded value is both shown and compared with the minimum, so
    a student never reads "76.67 is below the required 76.67". None when the outline
    counts no quiz or assignment: ``min_average_score`` then has nothing to judge and
    is met.
    """
    scored = [
        (item, weight)
        for item, weight in zip(outline.counted_items(), outline.counted_weights, strict=True)
        if item.kind is not ItemKind.LESSON
    ]
    if not scored:
        return None
    # Exact integer arithmetic: the weights share one denominator (which cancels out),
    # the scores are brought to theirs, and rounding half up is a floor division.
    scores = [exact_decimal(work.score_of(item) or 0) for item, _weight in scored]
    common = math.lcm(*(score.denominator for score in scores))
    weighted = sum(
        weight * score.numerator * (common // score.denominator)
        for (_item, weight), score in zip(scored, scores, strict=True)
    )
    denominator = common * sum(weight for _item, weight in scored)
    return (200 * weighted + denominator) // (2 * denominator) / 100


def _assignment_shortfall(
    outline: Outline, item: OutlineItem, work: CourseWork
) -> list[UnmetCriterion]:
    criteria = outline.completion
    entry = work.assignments.get(item.item_id)
    minimum = criteria.assignments_min_grade
    if entry is None:
        if criteria.all_required_assignments_submitted:
            return [_about(item, "all_required_assignments_submitted", "is not submitted")]
        if minimum is not None:
            problem = f"is not submitted (a grade of at least {_number(minimum)} is required)"
            return [_about(item, "assignments_min_grade", problem)]
        return []
    if minimum is None:
        return []
    if entry.grade is None:
        problem = f"is not graded yet (a grade of at least {_number(minimum)} is required)"
        return [_about(item, "assignments_min_grade", problem)]
    if entry.grade < minimum:
        problem = f"is graded {_number(entry.grade)}, below the required {_number(minimum)}"
        return [_about(item, "assignments_min_grade", problem)]
    return []


def _quiz_shortfall(item: OutlineItem, work: CourseWork) -> str:
    result = work.quizzes.get(item.item_id)
    if result is None:
        return "is not attempted yet"
    if result.best_score is None:
        return "is not passed yet (awaiting grading)"
    return f"is not passed yet (best score {_number(result.best_score)})"


def _about(item: OutlineItem, criterion: str, problem: str) -> UnmetCriterion:
    message = f"{item.kind.value} {item.title!r} ({item.item_id}) {problem}"
    return UnmetCriterion(criterion, message, item.item_id)


def _scored_items(outline: Outline) -> list[OutlineItem]:
    return [item for item in outline.counted_items() if item.kind is not ItemKind.LESSON]


def _number(value: float) -> str:
    return f"{round(float(value), 2):g}"
