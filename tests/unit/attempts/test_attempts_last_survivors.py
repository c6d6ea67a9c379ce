"""Rules of the attempts domain no other test pinned down: an option's text, every
option's problem reported, the float allowance of numeric keys at its edges, who graded
an answer, and a blank text answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.attempts.domain import Question, parse_quiz_definition, score_answer
from services.attempts.domain.errors import InvalidQuizDefinition
from services.attempts.domain.question_types import Option
from services.attempts.domain.text_matching import normalize_text_answer
from tests.unit.attempts.conftest import raw_question, raw_quiz

pytestmark = pytest.mark.unit

QuestionBuilder = Callable[..., Question]


def refusal(raw: object) -> dict[str, list[str]]:
    with pytest.raises(InvalidQuizDefinition) as error:
        parse_quiz_definition(raw)
    return error.value.fields


def test_an_option_given_without_text_shows_its_id() -> None:
    quiz = parse_quiz_definition(
        raw_quiz(
            raw_question(
                "multiple_choice", options=[{"id": "a"}, {"id": "b", "text": "2/6"}], answer_key="a"
            )
        )
    )
    assert quiz.questions[0].options == (Option("a", "a"), Option("b", "2/6"))


def test_an_options_text_is_refused_by_its_path() -> None:
    question = raw_question(
        "multiple_choice", options=["a", {"id": "b", "text": 5}], answer_key="a"
    )
    assert refusal(raw_quiz(question)) == {
        "questions[0].options[1].text": ["must be a non-empty string"]
    }


def test_every_options_problem_is_reported_and_two_bad_ids_are_no_duplicate() -> None:
    question = raw_question(
        "multiple_choice",
        options=["a", {"id": ""}, 5, {"id": " "}, {"id": "b", "text": 7}],
        answer_key="a",
    )
    assert refusal(raw_quiz(question)) == {
        "questions[0].options[1].id": ["must be a non-empty string"],
        "questions[0].options[2]": ["must be a string or an object with id and text"],
        "questions[0].options[3].id": ["must be a non-empty string"],
        "questions[0].options[4].text": ["must be a non-empty string"],
    }


def test_a_choice_question_without_options_is_refused_word_for_word() -> None:
    question = {k: v for k, v in raw_question("multiple_choice").items() if k != "options"}
    assert refusal(raw_quiz(question)) == {
        "questions[0].options": ["is required for this question type"]
    }


@pytest.mark.parametrize(
    ("key", "answer", "correct"),
    [
        # the allowance is 1e-9 of the key's size, at least 1e-9, and includes its edge
        (0.0, 1e-9, True),
        (0.5, 0.5 + 1.5e-9, False),
        (1e6, 1e6 + 5e-4, True),
        (1e6, 1e6 + 2e-3, False),
    ],
)
def test_a_numeric_key_without_tolerance_allows_only_float_rounding(
    make_question: QuestionBuilder, key: float, answer: float, correct: bool
) -> None:
    question = make_question("numeric", answer_key=key, tolerance=0)
    assert score_answer(question, answer).is_correct is correct


def test_only_a_teachers_points_are_graded_by_the_teacher(make_question: QuestionBuilder) -> None:
    question = make_question("multiple_choice")
    assert score_answer(question, "a").graded_by_teacher is False
    assert score_answer(question, None).graded_by_teacher is False
    assert score_answer(make_question("essay"), "Because.").graded_by_teacher is False
    assert score_answer(question, "b", teacher_points=1).graded_by_teacher is True


@pytest.mark.parametrize("blank", ["", "   ", "?!", " . "])
def test_a_blank_or_punctuation_only_text_answer_normalizes_to_nothing(blank: str) -> None:
    assert normalize_text_answer(blank) == ""


def test_a_duplicate_option_does_not_hide_the_problems_after_it() -> None:
    question = raw_question("multiple_choice", options=["a", "a", 5], answer_key="a")
    assert refusal(raw_quiz(question)) == {
        "questions[0].options[1]": ["'a' duplicates the id of questions[0].options[0]"],
        "questions[0].options[2]": ["must be a string or an object with id and text"],
    }
