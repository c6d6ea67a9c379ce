from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services.attempts.domain import (
    EssayKey,
    InvalidQuizDefinition,
    MatchingKey,
    MultipleChoiceKey,
    NumericKey,
    Option,
    QuestionType,
    ShortTextKey,
    parse_quiz_definition,
)
from shared.errors import http_status_of

pytestmark = pytest.mark.unit

RawBuilder = Callable[..., dict[str, Any]]


def problems_of(raw: object) -> dict[str, list[str]]:
    with pytest.raises(InvalidQuizDefinition) as caught:
        parse_quiz_definition(raw)
    return caught.value.fields


def test_parses_every_question_type_into_value_objects(
    new_raw_quiz: RawBuilder, new_raw_question: RawBuilder
) -> None:
    raw = new_raw_quiz(
        new_raw_question("multiple_choice", "q1", tags=["fractions", "addition"], difficulty=4),
        new_raw_question("numeric", "q2"),
        new_raw_question("short_text", "q3", case_sensitive=True),
        new_raw_question("matching", "q4"),
        new_raw_question("essay", "q5"),
        time_limit_minutes=15,
        attempts_allowed=3,
        adaptive=True,
    )

    quiz = parse_quiz_definition(raw)

    assert quiz.quiz_id == "QZ-FRACTIONS-1"
    assert quiz.lesson_id == "LSN-7"
    assert quiz.time_limit_minutes == 15
    assert quiz.attempts_allowed == 3
    assert quiz.adaptive is True
    assert quiz.question_ids == ("q1", "q2", "q3", "q4", "q5")
    first = quiz.question("q1")
    assert first.type is QuestionType.MULTIPLE_CHOICE
    assert first.answer_key == MultipleChoiceKey("a")
    assert first.options == (Option("a", "3/4"), Option("b", "2/6"), Option("c", "c"))
    assert first.tags == ("fractions", "addition")
    assert first.difficulty == 4
    assert quiz.question("q2").answer_key == NumericKey(3.14, 0.005)
    assert quiz.question("q3").answer_key == ShortTextKey(("Paris", "Paname"), True)
    assert quiz.question("q4").answer_key == MatchingKey(
        (("1/2", "0.5"), ("1/4", "0.25"), ("3/4", "0.75"))
    )
    assert quiz.question("q5").answer_key == EssayKey("Equivalent fractions.")
    assert quiz.points_possible == 10


def test_applies_the_documented_defaults(new_raw_quiz: RawBuilder) -> None:
    raw = new_raw_quiz()
    del raw["lesson_id"]

    quiz = parse_quiz_definition(raw)

    assert quiz.lesson_id is None
    assert quiz.time_limit_minutes is None
    assert quiz.attempts_allowed is None
    assert quiz.grace_seconds == 30
    assert (
        quiz.randomize_questions,
        quiz.randomize_options,
        quiz.allow_practice,
        quiz.adaptive,
        quiz.allow_review,
    ) == (False, False, False, False, False)
    assert quiz.questions[0].difficulty == 3
    assert quiz.questions[0].tags == ()


def test_a_single_accepted_answer_may_be_given_as_a_string(
    new_raw_quiz: RawBuilder, new_raw_question: RawBuilder
) -> None:
    quiz = parse_quiz_definition(new_raw_quiz(new_raw_question("short_text", answer_key="Paris")))

    assert quiz.questions[0].answer_key == ShortTextKey(("Paris",))


INVALID_QUIZ_SETTINGS = [
    ({"passing_score": 101}, "passing_score", "at most 100"),
    ({"passing_score": -1}, "passing_score", "at least 0"),
    ({"passing_score": True}, "passing_score", "must be a number"),
    ({"passing_score": None}, "passing_score", "is required"),
    ({"time_limit_minutes": 0}, "time_limit_minutes", "greater than 0"),
    ({"time_limit_minutes": "10"}, "time_limit_minutes", "must be a number"),
    ({"attempts_allowed": 0}, "attempts_allowed", "between 1 and"),
    ({"attempts_allowed": 1.5}, "attempts_allowed", "whole number"),
    ({"grace_seconds": 301}, "grace_seconds", "between 0 and 300"),
    ({"adaptive": "yes"}, "adaptive", "true or false"),
    ({"allow_review": 1}, "allow_review", "true or false"),
    ({"quiz_id": ""}, "quiz_id", "non-empty string"),
    ({"course_id": None}, "course_id", "is required"),
    ({"title": "x" * 301}, "title", "at most 300"),
    ({"lesson_id": 7}, "lesson_id", "non-empty string"),
    ({"passing_scor": 50}, "passing_scor", "not a known field"),
    ({"questions": []}, "questions", "between 1 and 500"),
    ({"questions": "q1"}, "questions", "must be a list"),
    ({"questions": [7]}, "questions[0]", "JSON object"),
]


@pytest.mark.parametrize(("settings", "field", "message"), INVALID_QUIZ_SETTINGS)
def test_rejects_invalid_quiz_settings_naming_the_field(
    new_raw_quiz: RawBuilder, settings: dict[str, Any], field: str, message: str
) -> None:
    problems = problems_of(new_raw_quiz(**settings))

    assert field in problems, problems
    assert any(message in text for text in problems[field]), problems[field]


INVALID_QUESTIONS = [
    ("multiple_choice", {"answer_key": "z"}, "answer_key", "not among the options"),
    ("multiple_choice", {"answer_key": ["a"]}, "answer_key", "id of the one correct option"),
    ("multiple_choice", {"options": ["a"]}, "options", "at least 2 options"),
    ("multiple_choice", {"options": None}, "options", "is required"),
    ("multiple_choice", {"options": ["a", "a"], "answer_key": "a"}, "options[1]", "duplicates"),
    ("multiple_choice", {"options": [{"id": "a"}, {"id": "a"}]}, "options[1].id", "duplicates"),
    ("multiple_choice", {"options": [{"text": "x"}, "b"]}, "options[0].id", "is required"),
    ("multiple_choice", {"options": ["a", {"id": "b", "x": 1}]}, "options[1].x", "not a known"),
    ("multiple_choice", {"options": ["a", 3]}, "options[1]", "string or an object"),
    ("multiple_choice", {"tolerance": 0.1}, "tolerance", "only used by numeric"),
    ("multiple_response", {"answer_key": []}, "answer_key", "at least 1 item"),
    ("multiple_response", {"answer_key": ["2", "9"]}, "answer_key[1]", "not among the options"),
    ("multiple_response", {"answer_key": ["2", "2"]}, "answer_key[1]", "duplicates"),
    ("true_false", {"answer_key": "true"}, "answer_key", "true or false"),
    ("true_false", {"options": ["true", "false"]}, "options", "not used by true_false"),
    ("numeric", {"tolerance": -0.5}, "tolerance", "at least 0"),
    ("numeric", {"answer_key": "3.14"}, "answer_key", "finite number"),
    ("numeric", {"answer_key": float("nan")}, "answer_key", "finite number"),
    ("numeric", {"case_sensitive": True}, "case_sensitive", "only used by short_text"),
    ("short_text", {"answer_key": []}, "answer_key", "at least 1 item"),
    ("short_text", {"answer_key": ["Paris", ""]}, "answer_key[1]", "non-empty string"),
    ("short_text", {"answer_key": ["Paris", " ?! "]}, "answer_key[1]", "empty once normalized"),
    ("short_text", {"case_sensitive": "no"}, "case_sensitive", "true or false"),
    ("matching", {"answer_key": {}}, "answer_key", "at least one pair"),
    ("matching", {"answer_key": {"1/2": "0.9"}}, "answer_key.1/2", "not among the options"),
    ("matching", {"answer_key": {"1/2": ""}}, "answer_key.1/2", "non-empty string"),
    ("ordering", {"answer_key": ["only"]}, "answer_key", "at least 2 item"),
    ("ordering", {"answer_key": ["a", "b", "a"]}, "answer_key[2]", "duplicates"),
    ("ordering", {"options": ["1/8", "1/4"]}, "options", "exactly the items"),
    ("essay", {"answer_key": 5}, "answer_key", "model answer"),
    ("essay", {"options": ["a", "b"]}, "options", "not used by essay"),
    ("essay", {"points": 0}, "points", "greater than 0"),
    ("essay", {"points": 1001}, "points", "at most 1000"),
    ("essay", {"difficulty": 6}, "difficulty", "between 1 and 5"),
    ("essay", {"difficulty": 0}, "difficulty", "between 1 and 5"),
    ("essay", {"tags": "algebra"}, "tags", "list of skill names"),
    ("essay", {"tags": ["algebra", ""]}, "tags[1]", "non-empty skill name"),
    ("essay", {"prompt": "   "}, "prompt", "non-empty string"),
    ("essay", {"type": "fill_in"}, "type", "must be one of"),
    ("essay", {"type": None}, "type", "must be one of"),
    ("essay", {"hint": "think"}, "hint", "not a known field"),
]


@pytest.mark.parametrize(("question_type", "fields", "field", "message"), INVALID_QUESTIONS)
def test_rejects_invalid_questions_naming_the_exact_field_path(
    new_raw_quiz: RawBuilder,
    new_raw_question: RawBuilder,
    question_type: str,
    fields: dict[str, Any],
    field: str,
    message: str,
) -> None:
    raw = new_raw_quiz(
        new_raw_question("true_false", "q0"),
        new_raw_question(question_type, "q1", **fields),
    )

    problems = problems_of(raw)

    path = f"questions[1].{field}"
    assert path in problems, problems
    assert any(message in text for text in problems[path]), problems[path]


def test_rejects_duplicate_question_ids_pointing_at_the_first(
    new_raw_quiz: RawBuilder, new_raw_question: RawBuilder
) -> None:
    raw = new_raw_quiz(
        new_raw_question("true_false", "q1"),
        new_raw_question("essay", "q2"),
        new_raw_question("numeric", "q1"),
    )

    problems = problems_of(raw)

    assert problems == {"questions[2].question_id": ["'q1' duplicates questions[0].question_id"]}


def test_reports_every_problem_at_once(
    new_raw_quiz: RawBuilder, new_raw_question: RawBuilder
) -> None:
    raw = new_raw_quiz(
        new_raw_question("multiple_choice", answer_key="z"),
        new_raw_question("numeric", "q2", tolerance=-1),
        passing_score=150,
    )

    with pytest.raises(InvalidQuizDefinition) as caught:
        parse_quiz_definition(raw)

    assert set(caught.value.fields) == {
        "passing_score",
        "questions[0].answer_key",
        "questions[1].tolerance",
    }
    assert "questions[1].tolerance: must be at least 0" in caught.value.message


@pytest.mark.parametrize("raw", [None, [], "quiz", 3])
def test_rejects_a_definition_that_is_not_an_object(raw: object) -> None:
    assert problems_of(raw) == {"quiz": ["must be a JSON object"]}


def test_invalid_definition_answers_422_through_the_shared_table(
    new_raw_quiz: RawBuilder,
) -> None:
    with pytest.raises(InvalidQuizDefinition) as caught:
        parse_quiz_definition(new_raw_quiz(passing_score=-5))

    assert http_status_of(caught.value) == 422


def test_tags_are_trimmed_and_deduplicated(
    new_raw_quiz: RawBuilder, new_raw_question: RawBuilder
) -> None:
    raw = new_raw_quiz(new_raw_question("essay", tags=[" algebra", "algebra", "proof"]))

    assert parse_quiz_definition(raw).questions[0].tags == ("algebra", "proof")


def test_matching_choices_default_to_the_keys_right_items(
    new_raw_quiz: RawBuilder, new_raw_question: RawBuilder
) -> None:
    raw_question = new_raw_question("matching")
    del raw_question["options"]

    question = parse_quiz_definition(new_raw_quiz(raw_question)).questions[0]

    assert question.matching_choices == ("0.5", "0.25", "0.75")
    assert question.matching_left_items == ("1/2", "1/4", "3/4")
