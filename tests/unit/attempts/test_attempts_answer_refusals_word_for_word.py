# ruff: noqa: E501 (the table of refusals keeps one case a line)
"""What an answer is refused with, word for word (the API returns these messages under
``errors.answer``), and what each question type accepts at its bounds."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.attempts.domain import InvalidAnswer, Question, validate_answer
from services.attempts.domain.answers import MAX_ESSAY_LENGTH, MAX_SHORT_TEXT_LENGTH

pytestmark = pytest.mark.unit

QuestionBuilder = Callable[..., Question]


@pytest.mark.parametrize(
    ("kind", "answer", "message"),
    [
        ("multiple_choice", None, "is required"),
        ("multiple_choice", 1, "must be one option id (a string)"),
        ("multiple_choice", "z", "'z' is not an option of question 'q1'"),
        ("multiple_response", "2", "must be a list of option ids (strings)"),
        ("multiple_response", ["2", 3], "must be a list of option ids (strings)"),
        ("multiple_response", ["2", "2"], "must not list the same option id twice"),
        ("multiple_response", ["2", "9"], "'9' is not an option of question 'q1'"),
        ("true_false", "true", "must be true or false"),
        ("true_false", 1, "must be true or false"),
        ("numeric", "pi", "must be a finite number, or a string such as '3.14'"),
        ("numeric", "1e999", "must be a finite number, or a string such as '3.14'"),
        ("numeric", True, "must be a finite number, or a string such as '3.14'"),
        ("numeric", float("nan"), "must be a finite number, or a string such as '3.14'"),
        ("short_text", "  ", "must be a non-blank string"),
        ("short_text", 5, "must be a non-blank string"),
        ("short_text", "x" * (MAX_SHORT_TEXT_LENGTH + 1), f"must be at most {MAX_SHORT_TEXT_LENGTH} characters"),
        ("essay", "", "must be a non-blank string"),
        ("essay", "x" * (MAX_ESSAY_LENGTH + 1), f"must be at most {MAX_ESSAY_LENGTH} characters"),
        ("matching", ["1/2"], "must be an object mapping left items to right items"),
        ("matching", {"1/3": "0.5"}, "'1/3' is not a left item of question 'q1'"),
        ("matching", {"1/2": "0.3"}, "'0.3' (for '1/2') is not one of the right items"),
        ("matching", {"1/2": 0.5}, "0.5 (for '1/2') is not one of the right items"),
        ("ordering", "1/8", "must be a list of items (strings)"),
        ("ordering", ["1/8", "1/8", "1/2", "1"], "must not list the same item twice"),
        ("ordering", ["1/8", "1/4", "1/2"], "must list each of the 4 items exactly once"),
        ("ordering", ["1/8", "1/4", "1/2", "2"], "must list each of the 4 items exactly once"),
    ],
)  # fmt: skip
def test_answers_are_refused_word_for_word(
    make_question: QuestionBuilder, kind: str, answer: object, message: str
) -> None:
    with pytest.raises(InvalidAnswer) as error:
        validate_answer(make_question(kind), answer)
    assert str(error.value) == f"answer: {message}"
    assert error.value.fields == {"answer": [message]}


@pytest.mark.parametrize(
    ("kind", "answer", "normalized"),
    [
        ("multiple_choice", "a", "a"),
        ("multiple_response", [], []),
        ("multiple_response", ["5", "2"], ["2", "5"]),  # in the order of the options
        ("true_false", False, False),
        ("numeric", 3, 3.0),
        ("numeric", " 3.5 ", 3.5),
        ("numeric", "-1e3", -1000.0),
        ("numeric", ".5", 0.5),
        ("numeric", "+2.", 2.0),
        ("short_text", "x" * MAX_SHORT_TEXT_LENGTH, "x" * MAX_SHORT_TEXT_LENGTH),
        ("essay", " x " * (MAX_ESSAY_LENGTH // 3), " x " * (MAX_ESSAY_LENGTH // 3)),
        ("matching", {}, {}),
        # kept in the key's order of left items, pairs left out stay out
        ("matching", {"3/4": "0.75", "1/2": "0.2"}, {"1/2": "0.2", "3/4": "0.75"}),
        ("ordering", ["1", "1/2", "1/4", "1/8"], ["1", "1/2", "1/4", "1/8"]),
    ],
)
def test_answers_within_the_rules_are_normalized(
    make_question: QuestionBuilder, kind: str, answer: object, normalized: object
) -> None:
    accepted = validate_answer(make_question(kind), answer)
    assert accepted == normalized
    assert type(accepted) is type(normalized)
