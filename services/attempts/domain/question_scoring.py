"""Scoring one answer to one question.

Rules per type (credit is the share of the question's points earned, 0 to 1):

* multiple_choice, true_false: all or nothing.
* multiple_response: ``(correct selected - wrong selected) / number of correct options``,
  floored at 0. Selecting everything therefore never beats selecting only the right ones.
* numeric: all or nothing; correct when ``|answer - key| <= tolerance`` (absolute, with a
  1e-9 relative allowance for float rounding).
* short_text: all or nothing; correct when the normalized answer equals a normalized
  accepted answer (``text_matching.normalize_text_answer``).
* matching: ``correct pairs / pairs in the key``; a pair left out counts as wrong.
* ordering: ``(L - 1) / (n - 1)`` where ``L`` is the longest subsequence of the answer
  that is in correct relative order (items need not be adjacent). A fully reversed
  order earns 0; moving one item out of place in an otherwise correct order costs
  ``1 / (n - 1)``.
* essay: never auto-scored; an answered essay is *pending* until a teacher gives points.

A teacher's points for a question override whatever the rule above gives.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from shared.errors import InvalidInput

from .answers import validate_answer
from .field_checks import as_number
from .question_types import (
    AnswerValue,
    EssayKey,
    MatchingKey,
    MultipleChoiceKey,
    MultipleResponseKey,
    NumericKey,
    OrderingKey,
    QuestionType,
    ShortTextKey,
    TrueFalseKey,
)
from .quizzes import Question
from .rounding import round_points
from .text_matching import text_answers_match

_FLOAT_ALLOWANCE = 1e-9


@dataclass(frozen=True)
class QuestionResult:
    """How one question of an attempt scored.

    ``is_correct`` is None while ``pending`` (an essay awaiting its teacher);
    ``partial_credit`` is true exactly when ``0 < points_earned < points_possible``.
    """

    question_id: str
    question_type: QuestionType
    answer: AnswerValue | None
    correct_answer: AnswerValue | None
    is_correct: bool | None
    partial_credit: bool
    points_earned: float
    points_possible: float
    pending: bool = False
    answered: bool = True
    graded_by_teacher: bool = False

    @property
    def credit(self) -> float:
        """Share of the points earned, 0 to 1."""
        return self.points_earned / self.points_possible


def answer_credit(question: Question, answer: object) -> Fraction | None:
    """The share (0 to 1, exact) of ``question``'s points ``answer`` earns.

    ``None`` when the question cannot be auto-scored (essay). Raises
    :class:`InvalidAnswer` when the answer's shape does not fit the question type.
    """
    value = validate_answer(question, answer)
    key = question.answer_key
    match key:
        case MultipleChoiceKey():
            return _all_or_nothing(value == key.option_id)
        case TrueFalseKey():
            return _all_or_nothing(value is key.value)
        case NumericKey():
            number = as_number(value)
            allowance = _FLOAT_ALLOWANCE * max(1.0, abs(key.value))
            return _all_or_nothing(
                number is not None and abs(number - key.value) <= key.tolerance + allowance
            )
        case ShortTextKey():
            return _all_or_nothing(
                isinstance(value, str)
                and any(
                    text_answers_match(value, accepted, case_sensitive=key.case_sensitive)
                    for accepted in key.accepted_answers
                )
            )
        case MultipleResponseKey():
            return _multiple_response_credit(key.option_ids, _strings(value))
        case MatchingKey():
            given = value if isinstance(value, dict) else {}
            right = sum(1 for left, target in key.pairs if given.get(left) == target)
            return Fraction(right, len(key.pairs))
        case OrderingKey():
            return _ordering_credit(key.order, _strings(value))
        case EssayKey():
            return None


def score_answer(
    question: Question, answer: object | None, *, teacher_points: float | None = None
) -> QuestionResult:
    """Score ``answer`` (None: unanswered) to ``question``; see the module for the rules.

    ``teacher_points`` (0 to the question's points) overrides the automatic result and
    settles a pending essay. An unanswered question earns 0 and is never pending.
    """
    normalized = None if answer is None else validate_answer(question, answer)
    if teacher_points is not None:
        earned = _checked_teacher_points(question, teacher_points)
        return _result(question, normalized, earned, graded_by_teacher=True)
    if normalized is None:
        return _result(question, None, 0.0)
    credit = answer_credit(question, normalized)
    if credit is None:
        return _result(question, normalized, 0.0, pending=True)
    earned = question.points if credit == 1 else round_points(question.points * float(credit))
    return _result(question, normalized, earned)


def _result(
    question: Question,
    answer: AnswerValue | None,
    earned: float,
    *,
    pending: bool = False,
    graded_by_teacher: bool = False,
) -> QuestionResult:
    possible = question.points
    return QuestionResult(
        question_id=question.question_id,
        question_type=question.type,
        answer=answer,
        correct_answer=question.correct_answer,
        is_correct=None if pending else earned == possible,
        partial_credit=0 < earned < possible,
        points_earned=earned,
        points_possible=possible,
        pending=pending,
        answered=answer is not None,
        graded_by_teacher=graded_by_teacher,
    )


def _checked_teacher_points(question: Question, points: object) -> float:
    number = as_number(points)
    if number is None or not 0 <= number <= question.points:
        raise InvalidInput.for_field(
            f"overrides.{question.question_id}",
            f"must be a number from 0 to {question.points:g} (the question's points)",
        )
    return number


def _all_or_nothing(correct: bool) -> Fraction:
    return Fraction(1) if correct else Fraction(0)


def _strings(value: AnswerValue) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _multiple_response_credit(correct: Sequence[str], selected: Sequence[str]) -> Fraction:
    right = sum(1 for option_id in selected if option_id in correct)
    wrong = len(selected) - right
    return Fraction(max(0, right - wrong), len(correct))


def _ordering_credit(correct_order: Sequence[str], answer: Sequence[str]) -> Fraction:
    position = {item: index for index, item in enumerate(correct_order)}
    in_order = _longest_increasing_run([position[item] for item in answer if item in position])
    return Fraction(max(0, in_order - 1), len(correct_order) - 1)


def _longest_increasing_run(values: Sequence[int]) -> int:
    """Length of the longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []
    for value in values:
        index = bisect_left(tails, value)
        if index == len(tails):
            tails.append(value)
        else:
            tails[index] = value
    return len(tails)
