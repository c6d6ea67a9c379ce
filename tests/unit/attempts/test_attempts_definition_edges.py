"""A quiz definition at the edges of its limits, and every problem of it reported at once."""

from __future__ import annotations

import pytest

from services.attempts.domain import QuestionNotFound, parse_quiz_definition, score_answer
from services.attempts.domain.answer_key_parsing import MAX_ID_LENGTH, MAX_MODEL_ANSWER_LENGTH
from services.attempts.domain.definitions import MAX_QUESTIONS
from services.attempts.domain.errors import InvalidQuizDefinition
from tests.unit.attempts.conftest import raw_question, raw_quiz

pytestmark = pytest.mark.unit


def refusal(raw: dict) -> dict[str, list[str]]:
    with pytest.raises(InvalidQuizDefinition) as caught:
        parse_quiz_definition(raw)
    return caught.value.fields


def test_every_limit_is_inclusive() -> None:
    longest_id = "Q" * MAX_ID_LENGTH
    questions = [raw_question("true_false", f"q{n}", points=1000) for n in range(MAX_QUESTIONS)]
    questions[0]["tags"] = ["t" * MAX_ID_LENGTH]
    raw = raw_quiz(*questions, passing_score=100, time_limit_minutes=1440)
    raw["quiz_id"] = longest_id

    quiz = parse_quiz_definition(raw)

    assert len(quiz.questions) == MAX_QUESTIONS
    assert quiz.quiz_id == longest_id
    assert quiz.passing_score == 100
    assert quiz.questions[0].tags == ("t" * MAX_ID_LENGTH,)


@pytest.mark.parametrize(
    "setting", ["randomize_questions", "randomize_options", "allow_practice", "adaptive"]
)
def test_a_switch_that_is_not_true_or_false_is_named(setting: str) -> None:
    assert refusal(raw_quiz(**{setting: "yes"})) == {setting: ["must be true or false"]}


def test_allow_review_that_is_not_true_or_false_is_named() -> None:
    assert refusal(raw_quiz(allow_review=1)) == {"allow_review": ["must be true or false"]}


def test_a_missing_passing_score_is_required() -> None:
    raw = raw_quiz()
    del raw["passing_score"]

    assert refusal(raw) == {"passing_score": ["is required"]}


def test_problems_of_every_question_are_reported_after_a_broken_or_repeated_one() -> None:
    no_id = raw_question("true_false", "x")
    del no_id["question_id"]
    other_no_id = dict(no_id)
    raw = raw_quiz(
        "not a question",
        no_id,
        other_no_id,
        raw_question("true_false", "q1"),
        raw_question("true_false", "q1"),
        raw_question("true_false", "q2", points=0),
    )

    assert refusal(raw) == {
        "questions[0]": ["must be a JSON object"],
        "questions[1].question_id": ["is required"],
        "questions[2].question_id": ["is required"],
        "questions[4].question_id": ["'q1' duplicates questions[3].question_id"],
        "questions[5].points": ["must be greater than 0 and at most 1000"],
    }


def test_asking_a_quiz_for_a_question_it_lacks_names_both() -> None:
    quiz = parse_quiz_definition(raw_quiz())

    with pytest.raises(QuestionNotFound) as caught:
        quiz.question("q-missing")

    assert str(caught.value) == f"question 'q-missing' is not part of quiz {quiz.quiz_id!r}"


def test_option_ids_and_model_answers_may_reach_their_limits() -> None:
    longest_option = "o" * MAX_ID_LENGTH
    quiz = parse_quiz_definition(
        raw_quiz(
            raw_question(
                "multiple_choice", "q1", options=[longest_option, "b"], answer_key=longest_option
            ),
            raw_question("essay", "q2", answer_key="m" * MAX_MODEL_ANSWER_LENGTH),
        )
    )

    assert quiz.questions[0].option_ids == (longest_option, "b")


def test_a_blank_or_too_long_option_id_is_named() -> None:
    raw = raw_quiz(
        raw_question("multiple_choice", "q1", options=["a", " ", "o" * (MAX_ID_LENGTH + 1)])
    )

    problems = refusal(raw)

    message = f"must be a non-empty string of at most {MAX_ID_LENGTH} characters"
    assert problems["questions[0].options[1]"] == [message]
    assert problems["questions[0].options[2]"] == [message]


def test_a_numeric_answer_key_of_zero_is_zero() -> None:
    quiz = parse_quiz_definition(raw_quiz(raw_question("numeric", "q1", answer_key=0, tolerance=0)))

    assert score_answer(quiz.questions[0], 0).is_correct
    assert not score_answer(quiz.questions[0], 1).is_correct
