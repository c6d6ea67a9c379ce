# ruff: noqa: E501 (the table of refusals keeps one case a line)
"""What a quiz definition is refused with, by exact path and message: every problem of a
``PUT /quizzes/{quiz_id}`` body, as the API returns it under ``errors``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services.attempts.domain import parse_quiz_definition
from services.attempts.domain.errors import InvalidQuizDefinition
from tests.unit.attempts.conftest import raw_question, raw_quiz

pytestmark = pytest.mark.unit

CASES = [
    pytest.param(lambda: [], {"quiz": ["must be a JSON object"]}, id="not an object"),
    pytest.param(
        lambda: dict(raw_quiz(), colour="red"),
        {"colour": ["is not a known field"]},
        id="unknown quiz field",
    ),
    pytest.param(
        lambda: {k: v for k, v in raw_quiz().items() if k != "quiz_id"},
        {"quiz_id": ["is required"]},
        id="quiz_id missing",
    ),
    pytest.param(
        lambda: raw_quiz(title="  "), {"title": ["must be a non-empty string"]}, id="title blank"
    ),
    pytest.param(
        lambda: raw_quiz(lesson_id=5),
        {"lesson_id": ["must be a non-empty string"]},
        id="lesson_id not text",
    ),
    pytest.param(
        lambda: raw_quiz(passing_score=100.5),
        {"passing_score": ["must be at least 0 and at most 100"]},
        id="passing_score above 100",
    ),
    pytest.param(
        lambda: raw_quiz(passing_score="60"),
        {"passing_score": ["must be a number"]},
        id="passing_score text",
    ),
    pytest.param(
        lambda: raw_quiz(passing_score=-1),
        {"passing_score": ["must be at least 0 and at most 100"]},
        id="passing_score below 0",
    ),
    pytest.param(
        lambda: raw_quiz(time_limit_minutes=0),
        {"time_limit_minutes": ["must be greater than 0 and at most 1440"]},
        id="time limit 0",
    ),
    pytest.param(
        lambda: raw_quiz(time_limit_minutes=100000),
        {"time_limit_minutes": ["must be greater than 0 and at most 1440"]},
        id="time limit too long",
    ),
    pytest.param(
        lambda: raw_quiz(attempts_allowed=0),
        {"attempts_allowed": ["must be between 1 and 1000"]},
        id="attempts 0",
    ),
    pytest.param(
        lambda: raw_quiz(attempts_allowed=1.5),
        {"attempts_allowed": ["must be a whole number"]},
        id="attempts 1.5",
    ),
    pytest.param(
        lambda: raw_quiz(attempts_allowed=10**6),
        {"attempts_allowed": ["must be between 1 and 1000"]},
        id="attempts too many",
    ),
    pytest.param(
        lambda: raw_quiz(grace_seconds=-1),
        {"grace_seconds": ["must be between 0 and 300"]},
        id="grace negative",
    ),
    pytest.param(
        lambda: raw_quiz(grace_seconds=10**6),
        {"grace_seconds": ["must be between 0 and 300"]},
        id="grace too long",
    ),
    pytest.param(
        lambda: raw_quiz(adaptive="yes"),
        {"adaptive": ["must be true or false"]},
        id="adaptive not bool",
    ),
    pytest.param(
        lambda: raw_quiz(questions=[]),
        {"questions": ["must hold between 1 and 500 questions"]},
        id="no questions",
    ),
    pytest.param(
        lambda: dict(raw_quiz(), questions="q"),
        {"questions": ["is required and must be a list"]},
        id="questions not list",
    ),
    pytest.param(
        lambda: dict(raw_quiz(), questions=["q"]),
        {"questions[0]": ["must be a JSON object"]},
        id="question not object",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", hint="x")),
        {"questions[0].hint": ["is not a known field"]},
        id="unknown question field",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", points=0)),
        {"questions[0].points": ["must be greater than 0 and at most 1000"]},
        id="points 0",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", points=1001)),
        {"questions[0].points": ["must be greater than 0 and at most 1000"]},
        id="points too many",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", prompt="")),
        {"questions[0].prompt": ["must be a non-empty string"]},
        id="prompt blank",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", type="poll")),
        {
            "questions[0].type": [
                "must be one of: multiple_choice, multiple_response, true_false, numeric, short_text, matching, ordering, essay"
            ]
        },
        id="type unknown",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", tags="fractions")),
        {"questions[0].tags": ["must be a list of skill names"]},
        id="tags not list",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", tags=["ok", " "])),
        {"questions[0].tags[1]": ["must be a non-empty skill name"]},
        id="tag blank",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", difficulty=0)),
        {"questions[0].difficulty": ["must be between 1 and 5"]},
        id="difficulty 0",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", difficulty=6)),
        {"questions[0].difficulty": ["must be between 1 and 5"]},
        id="difficulty 6",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", "q1"), raw_question("true_false", "q1")),
        {"questions[1].question_id": ["'q1' duplicates questions[0].question_id"]},
        id="duplicate question id",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", options=["a", "b"])),
        {"questions[0].options": ["is not used by true_false questions"]},
        id="options on true_false",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("short_text", tolerance=1)),
        {"questions[0].tolerance": ["is only used by numeric questions"]},
        id="tolerance on text",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("numeric", case_sensitive=True)),
        {"questions[0].case_sensitive": ["is only used by short_text questions"]},
        id="case_sensitive on numeric",
    ),
    pytest.param(
        lambda: raw_quiz(
            {k: v for k, v in raw_question("true_false").items() if k != "answer_key"}
        ),
        {"questions[0].answer_key": ["must be true or false"]},
        id="answer_key missing",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("multiple_choice", options="a")),
        {"questions[0].options": ["must be a list"]},
        id="options not list",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("multiple_choice", options=["a"], answer_key="a")),
        {"questions[0].options": ["must offer at least 2 options"]},
        id="one option",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("multiple_choice", options=["a", 5], answer_key="a")),
        {"questions[0].options[1]": ["must be a string or an object with id and text"]},
        id="option not text",
    ),
    pytest.param(
        lambda: raw_quiz(
            raw_question("multiple_choice", options=["a", {"id": "", "text": "x"}], answer_key="a")
        ),
        {"questions[0].options[1].id": ["must be a non-empty string"]},
        id="option id blank",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("multiple_choice", options=["a", "b", "a"], answer_key="a")),
        {"questions[0].options[2]": ["'a' duplicates the id of questions[0].options[0]"]},
        id="duplicate option",
    ),
    pytest.param(
        lambda: raw_quiz(
            raw_question("multiple_choice", options=["a", {"id": "a", "text": "x"}], answer_key="a")
        ),
        {"questions[0].options[1].id": ["'a' duplicates the id of questions[0].options[0]"]},
        id="duplicate option object",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("multiple_choice", answer_key="z")),
        {"questions[0].answer_key": ["'z' is not among the options"]},
        id="mc key not option",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("multiple_choice", answer_key=["a"])),
        {"questions[0].answer_key": ["must be the id of the one correct option"]},
        id="mc key list",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("multiple_response", answer_key=[])),
        {"questions[0].answer_key": ["must be a list of at least 1 item(s)"]},
        id="mr key empty",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("multiple_response", answer_key=["2", "9"])),
        {"questions[0].answer_key[1]": ["'9' is not among the options"]},
        id="mr key not option",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("multiple_response", answer_key=["2", "2"])),
        {"questions[0].answer_key[1]": ["duplicates questions[0].answer_key[0]"]},
        id="mr key duplicate",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("true_false", answer_key="true")),
        {"questions[0].answer_key": ["must be true or false"]},
        id="tf key text",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("numeric", answer_key="3.14")),
        {"questions[0].answer_key": ["must be a finite number"]},
        id="numeric key text",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("numeric", tolerance=-1)),
        {"questions[0].tolerance": ["must be at least 0"]},
        id="numeric tolerance negative",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("short_text", answer_key=["Paris", "?!"])),
        {"questions[0].answer_key[1]": ["is empty once normalized (only punctuation)"]},
        id="short key punctuation",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("short_text", answer_key=[])),
        {"questions[0].answer_key": ["must be a list of at least 1 item(s)"]},
        id="short key empty list",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("short_text", case_sensitive="no")),
        {"questions[0].case_sensitive": ["must be true or false"]},
        id="short case not bool",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("matching", answer_key={})),
        {
            "questions[0].answer_key": [
                "must map each left item to its right item (at least one pair)"
            ]
        },
        id="matching empty",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("matching", answer_key={"1/2": ""})),
        {"questions[0].answer_key.1/2": ["must be a non-empty string (the matching right item)"]},
        id="matching right blank",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("matching", answer_key={"": "0.5"})),
        {"questions[0].answer_key.": ["left item must be a non-empty string"]},
        id="matching left blank",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("matching", options=["0.5"])),
        {
            "questions[0].answer_key.1/4": ["'0.25' is not among the options"],
            "questions[0].answer_key.3/4": ["'0.75' is not among the options"],
        },
        id="matching options miss right",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("ordering", answer_key=["1"])),
        {"questions[0].answer_key": ["must be a list of at least 2 item(s)"]},
        id="ordering one item",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("ordering", answer_key=["1", "2", "1"])),
        {"questions[0].answer_key[2]": ["duplicates questions[0].answer_key[0]"]},
        id="ordering duplicate",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("ordering", answer_key=["1", ""])),
        {"questions[0].answer_key[1]": ["must be a non-empty string"]},
        id="ordering blank",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("ordering", options=["1/8", "1/4"])),
        {"questions[0].options": ["must list exactly the items of answer_key"]},
        id="ordering options differ",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("essay", answer_key=5)),
        {
            "questions[0].answer_key": [
                "must be a model answer of at most 20000 characters, or null"
            ]
        },
        id="essay key not text",
    ),
    pytest.param(
        lambda: raw_quiz(raw_question("essay", answer_key="x" * 20001)),
        {
            "questions[0].answer_key": [
                "must be a model answer of at most 20000 characters, or null"
            ]
        },
        id="essay key too long",
    ),
]


@pytest.mark.parametrize(("build", "fields"), CASES)
def test_definitions_are_refused_by_exact_path_and_message(
    build: Callable[[], Any], fields: dict[str, list[str]]
) -> None:
    with pytest.raises(InvalidQuizDefinition) as error:
        parse_quiz_definition(build())
    assert error.value.fields == fields


def test_the_summary_names_the_first_problem_and_counts_the_rest() -> None:
    raw = raw_quiz(raw_question("true_false", points=0), title="", passing_score=101)
    with pytest.raises(InvalidQuizDefinition) as error:
        parse_quiz_definition(raw)
    assert error.value.fields == {
        "title": ["must be a non-empty string"],
        "questions[0].points": ["must be greater than 0 and at most 1000"],
        "passing_score": ["must be at least 0 and at most 100"],
    }
    assert str(error.value) == (
        "invalid quiz definition: title: must be a non-empty string; "
        "questions[0].points: must be greater than 0 and at most 1000; "
        "passing_score: must be at least 0 and at most 100"
    )
