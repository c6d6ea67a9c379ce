from __future__ import annotations

from collections.abc import Callable

import pytest

from services.attempts.domain import InvalidAnswer, Question, validate_answer
from shared.errors import http_status_of

pytestmark = pytest.mark.unit

QuestionBuilder = Callable[..., Question]

VALID_ANSWERS = [
    ("multiple_choice", "b", "b"),
    ("multiple_response", ["5", "2"], ["2", "5"]),
    ("multiple_response", [], []),
    ("true_false", False, False),
    ("numeric", 3, 3.0),
    ("numeric", -0.5, -0.5),
    ("numeric", " 3.14 ", 3.14),
    ("numeric", "-1e3", -1000.0),
    ("numeric", ".5", 0.5),
    ("short_text", " paris ", " paris "),
    ("matching", {"1/4": "0.25", "1/2": "0.2"}, {"1/2": "0.2", "1/4": "0.25"}),
    ("matching", {}, {}),
    ("ordering", ["1", "1/2", "1/4", "1/8"], ["1", "1/2", "1/4", "1/8"]),
    ("essay", "Because 2/4 simplifies.", "Because 2/4 simplifies."),
]


@pytest.mark.parametrize(("question_type", "answer", "normalized"), VALID_ANSWERS)
def test_accepts_answers_of_the_right_shape_and_normalizes_them(
    make_question: QuestionBuilder, question_type: str, answer: object, normalized: object
) -> None:
    assert validate_answer(make_question(question_type), answer) == normalized


INVALID_ANSWERS = [
    ("multiple_choice", None, "is required"),
    ("multiple_choice", "z", "not an option"),
    ("multiple_choice", ["a"], "one option id"),
    ("multiple_response", "2", "list of option ids"),
    ("multiple_response", ["2", 3], "list of option ids"),
    ("multiple_response", ["2", "2"], "same option id twice"),
    ("multiple_response", ["2", "7"], "'7' is not an option"),
    ("true_false", "true", "true or false"),
    ("true_false", 1, "true or false"),
    ("numeric", True, "finite number"),
    ("numeric", "3,14", "finite number"),
    ("numeric", "nan", "finite number"),
    ("numeric", "1e999", "finite number"),
    ("numeric", float("inf"), "finite number"),
    ("numeric", "1_000", "finite number"),
    ("short_text", "   ", "non-blank string"),
    ("short_text", 42, "non-blank string"),
    ("short_text", "x" * 1001, "at most 1000"),
    ("matching", [["1/2", "0.5"]], "object mapping"),
    ("matching", {"1/3": "0.5"}, "not a left item"),
    ("matching", {"1/2": "0.9"}, "not one of the right items"),
    ("matching", {"1/2": 0.5}, "not one of the right items"),
    ("ordering", ["1/8", "1/4", "1/2"], "each of the 4 items exactly once"),
    ("ordering", ["1/8", "1/4", "1/2", "1/2"], "same item twice"),
    ("ordering", ["1/8", "1/4", "1/2", "2"], "each of the 4 items exactly once"),
    ("essay", "", "non-blank string"),
]


@pytest.mark.parametrize(("question_type", "answer", "message"), INVALID_ANSWERS)
def test_rejects_answers_of_the_wrong_shape_naming_the_answer_field(
    make_question: QuestionBuilder, question_type: str, answer: object, message: str
) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        validate_answer(make_question(question_type), answer)

    assert list(caught.value.fields) == ["answer"]
    assert message in caught.value.fields["answer"][0]
    assert http_status_of(caught.value) == 422
