"""Checking that a student's answer has the shape its question type needs.

:func:`validate_answer` returns the answer in a normalized, JSON-ready form (option ids
in option order, numbers as floats) so equal answers compare equal. Problems raise
:class:`InvalidAnswer` naming the field ``answer``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from .errors import InvalidAnswer
from .field_checks import as_list, as_number
from .question_types import AnswerValue, QuestionType
from .quizzes import Question

MAX_SHORT_TEXT_LENGTH = 1_000
MAX_ESSAY_LENGTH = 50_000
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def validate_answer(question: Question, answer: object) -> AnswerValue:
    """The answer, normalized, if its shape fits ``question``; else :class:`InvalidAnswer`.

    * multiple_choice: one option id (string).
    * multiple_response: a list of distinct option ids (may be empty: nothing selected).
    * true_false: ``true`` or ``false``.
    * numeric: a number, or a string holding a decimal number (``"3.5"``, ``"-1e3"``).
    * short_text, essay: a non-blank string.
    * matching: an object from left items to right items (pairs may be left out).
    * ordering: a list holding each item exactly once.
    """
    if answer is None:
        raise _invalid("is required")
    return _VALIDATORS[question.type](question, answer)


def _invalid(message: str) -> InvalidAnswer:
    return InvalidAnswer(f"answer: {message}", {"answer": [message]})


def _distinct_strings(answer: object, item_name: str) -> list[str]:
    items = as_list(answer)
    if items is None or not all(isinstance(item, str) for item in items):
        raise _invalid(f"must be a list of {item_name}s (strings)")
    strings = [str(item) for item in items]
    if len(set(strings)) != len(strings):
        raise _invalid(f"must not list the same {item_name} twice")
    return strings


def _multiple_choice(question: Question, answer: object) -> AnswerValue:
    if not isinstance(answer, str):
        raise _invalid("must be one option id (a string)")
    if answer not in question.option_ids:
        raise _invalid(f"{answer!r} is not an option of question {question.question_id!r}")
    return answer


def _multiple_response(question: Question, answer: object) -> AnswerValue:
    selected = _distinct_strings(answer, "option id")
    unknown = [option_id for option_id in selected if option_id not in question.option_ids]
    if unknown:
        raise _invalid(f"{unknown[0]!r} is not an option of question {question.question_id!r}")
    return [option_id for option_id in question.option_ids if option_id in selected]


def _true_false(question: Question, answer: object) -> AnswerValue:
    if not isinstance(answer, bool):
        raise _invalid("must be true or false")
    return answer


def _numeric(question: Question, answer: object) -> AnswerValue:
    number = as_number(answer)
    if isinstance(answer, str) and _DECIMAL.fullmatch(answer.strip()):
        number = as_number(float(answer.strip()))  # "1e999" overflows to inf: rejected
    if number is None:
        raise _invalid("must be a finite number, or a string such as '3.14'")
    return number


def _short_text(question: Question, answer: object) -> AnswerValue:
    return _text(answer, MAX_SHORT_TEXT_LENGTH)


def _essay(question: Question, answer: object) -> AnswerValue:
    return _text(answer, MAX_ESSAY_LENGTH)


def _text(answer: object, limit: int) -> AnswerValue:
    if not isinstance(answer, str) or not answer.strip():
        raise _invalid("must be a non-blank string")
    if len(answer) > limit:
        raise _invalid(f"must be at most {limit} characters")
    return answer


def _matching(question: Question, answer: object) -> AnswerValue:
    if not isinstance(answer, Mapping):
        raise _invalid("must be an object mapping left items to right items")
    lefts = question.matching_left_items
    for left, right in answer.items():
        if left not in lefts:
            raise _invalid(f"{left!r} is not a left item of question {question.question_id!r}")
        if not isinstance(right, str) or right not in question.matching_choices:
            raise _invalid(f"{right!r} (for {left!r}) is not one of the right items")
    return {left: str(answer[left]) for left in lefts if left in answer}


def _ordering(question: Question, answer: object) -> AnswerValue:
    order = _distinct_strings(answer, "item")
    if sorted(order) != sorted(question.ordering_items):
        count = len(question.ordering_items)
        raise _invalid(f"must list each of the {count} items exactly once")
    return order


_VALIDATORS: dict[QuestionType, Callable[[Question, object], AnswerValue]] = {
    QuestionType.MULTIPLE_CHOICE: _multiple_choice,
    QuestionType.MULTIPLE_RESPONSE: _multiple_response,
    QuestionType.TRUE_FALSE: _true_false,
    QuestionType.NUMERIC: _numeric,
    QuestionType.SHORT_TEXT: _short_text,
    QuestionType.MATCHING: _matching,
    QuestionType.ORDERING: _ordering,
    QuestionType.ESSAY: _essay,
}
