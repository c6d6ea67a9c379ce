"""Adaptive quizzes: the next question's difficulty follows the answers so far.

Rules:

* The target difficulty starts at 3 (the middle of 1-5).
* After each answer: fully correct -> one level up; earning nothing -> one level down;
  partial credit, or an essay that cannot be scored yet -> unchanged. The level stays
  within 1-5.
* ``difficulty_adjustments`` records the change applied after each answer, in order
  (+1, -1 or 0; 0 also when a bound stopped the move), as the spec's
  ``metadata.difficulty_adjustments``.
* The next question is the unanswered one whose difficulty is closest to the target;
  ties go to the one earlier in the attempt's base order (``question_order_for``:
  definition order, or the seeded shuffle when questions are randomized).
* Every question is presented once; the attempt is complete when none is left. Scoring
  is therefore the same as for a fixed quiz: the adaptivity is in the path, not the
  scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .answering import AnswerRecord
from .errors import QuizNotAdaptive
from .presentation import question_order_for
from .question_scoring import QuestionResult, score_answer
from .quizzes import Quiz

START_DIFFICULTY = 3
MIN_DIFFICULTY = 1
MAX_DIFFICULTY = 5


class AdaptiveOutcome(StrEnum):
    CORRECT = "correct"
    PARTIAL = "partial"
    INCORRECT = "incorrect"
    UNSCORED = "unscored"


@dataclass(frozen=True)
class AdaptiveStep:
    """Where an adaptive attempt stands: the next question (None when all are answered)."""

    next_question_id: str | None
    target_difficulty: int
    difficulty_adjustments: tuple[int, ...]


def outcome_of(result: QuestionResult) -> AdaptiveOutcome:
    """How a scored answer moves the difficulty."""
    if result.pending:
        return AdaptiveOutcome.UNSCORED
    if result.is_correct:
        return AdaptiveOutcome.CORRECT
    return AdaptiveOutcome.PARTIAL if result.points_earned > 0 else AdaptiveOutcome.INCORRECT


def adjusted_difficulty(current: int, outcome: AdaptiveOutcome) -> int:
    """The target difficulty after an answer with ``outcome``, within 1-5."""
    step = {AdaptiveOutcome.CORRECT: 1, AdaptiveOutcome.INCORRECT: -1}.get(outcome, 0)
    return min(MAX_DIFFICULTY, max(MIN_DIFFICULTY, current + step))


def next_adaptive_question(
    quiz: Quiz, attempt_id: str, answered: Sequence[AnswerRecord]
) -> AdaptiveStep:
    """The next question of an adaptive attempt, given its answers in the order given.

    Raises :class:`QuizNotAdaptive` for a quiz that is not adaptive, and
    QuestionNotFound for an answer to a question the quiz lacks.
    """
    if not quiz.adaptive:
        raise QuizNotAdaptive(f"quiz {quiz.quiz_id!r} is not adaptive")
    target = START_DIFFICULTY
    adjustments: list[int] = []
    for record in answered:
        result = score_answer(quiz.question(record.question_id), record.answer)
        new_target = adjusted_difficulty(target, outcome_of(result))
        adjustments.append(new_target - target)
        target = new_target
    answered_ids = {record.question_id for record in answered}
    base_order = question_order_for(quiz, attempt_id)
    remaining = [question_id for question_id in base_order if question_id not in answered_ids]
    next_id = min(
        remaining,
        key=lambda question_id: abs(quiz.question(question_id).difficulty - target),
        default=None,
    )
    return AdaptiveStep(next_id, target, tuple(adjustments))
