"""Builders shared by the attempts domain's unit tests: raw definitions and quizzes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from services.attempts.domain import Question, Quiz, parse_quiz_definition

RawDefinition = dict[str, Any]

#: A valid raw question of each type; tests override fields to build the case they need.
SAMPLE_QUESTIONS: dict[str, RawDefinition] = {
    "multiple_choice": {
        "prompt": "What is 1/2 + 1/4?",
        "options": [{"id": "a", "text": "3/4"}, {"id": "b", "text": "2/6"}, "c"],
        "answer_key": "a",
    },
    "multiple_response": {
        "prompt": "Which are prime?",
        "options": ["2", "3", "4", "5", "6"],
        "answer_key": ["2", "3", "5"],
    },
    "true_false": {"prompt": "0.5 equals 1/2.", "answer_key": True},
    "numeric": {"prompt": "Pi to two decimals?", "answer_key": 3.14, "tolerance": 0.005},
    "short_text": {"prompt": "Capital of France?", "answer_key": ["Paris", "Paname"]},
    "matching": {
        "prompt": "Match fractions and decimals.",
        "answer_key": {"1/2": "0.5", "1/4": "0.25", "3/4": "0.75"},
        "options": ["0.5", "0.25", "0.75", "0.2"],
    },
    "ordering": {"prompt": "Smallest first.", "answer_key": ["1/8", "1/4", "1/2", "1"]},
    "essay": {"prompt": "Explain why 1/2 = 2/4.", "answer_key": "Equivalent fractions."},
}

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def raw_question(question_type: str, question_id: str = "q1", **fields: Any) -> RawDefinition:
    """A raw question of ``question_type`` worth 2 points, with ``fields`` overriding."""
    sample = copy.deepcopy(SAMPLE_QUESTIONS[question_type])
    return {"question_id": question_id, "type": question_type, "points": 2, **sample, **fields}


def raw_quiz(*questions: RawDefinition, **settings: Any) -> RawDefinition:
    """A raw quiz definition (one multiple-choice question unless ``questions`` given)."""
    return {
        "quiz_id": "QZ-FRACTIONS-1",
        "course_id": "CRS-MATH-1001",
        "lesson_id": "LSN-7",
        "title": "Fractions check",
        "passing_score": 60,
        "questions": list(questions) or [raw_question("multiple_choice")],
        **settings,
    }


@pytest.fixture
def start() -> datetime:
    return START


@pytest.fixture
def make_quiz() -> Callable[..., Quiz]:
    def build(*questions: RawDefinition, **settings: Any) -> Quiz:
        return parse_quiz_definition(raw_quiz(*questions, **settings))

    return build


@pytest.fixture
def make_question() -> Callable[..., Question]:
    def build(question_type: str, **fields: Any) -> Question:
        quiz = parse_quiz_definition(raw_quiz(raw_question(question_type, **fields)))
        return quiz.questions[0]

    return build


@pytest.fixture
def every_type_quiz() -> Quiz:
    """One question of each type, ids ``q-<type>``, each worth 2 points."""
    questions = [raw_question(kind, f"q-{kind}") for kind in SAMPLE_QUESTIONS]
    return parse_quiz_definition(raw_quiz(*questions))


@pytest.fixture
def new_raw_quiz() -> Callable[..., RawDefinition]:
    return raw_quiz


@pytest.fixture
def new_raw_question() -> Callable[..., RawDefinition]:
    return raw_question
