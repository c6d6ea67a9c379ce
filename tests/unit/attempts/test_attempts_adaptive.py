from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from services.attempts.domain import (
    AdaptiveOutcome,
    AnswerRecord,
    AnswerValue,
    QuestionNotFound,
    Quiz,
    QuizNotAdaptive,
    adjusted_difficulty,
    next_adaptive_question,
    start_attempt,
)

pytestmark = pytest.mark.unit

QuizBuilder = Callable[..., Quiz]


@pytest.fixture
def quiz(make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]]) -> Quiz:
    """Questions d1..d5 of difficulty 1..5 (d3 also has a twin, t3); answer "a" is right."""
    questions = [
        new_raw_question("multiple_choice", f"d{level}", difficulty=level) for level in range(1, 6)
    ]
    questions.append(new_raw_question("multiple_choice", "t3", difficulty=3))
    questions.append(new_raw_question("multiple_response", "partial", difficulty=5))
    questions.append(new_raw_question("essay", "essay", difficulty=1))
    return make_quiz(*questions, adaptive=True)


def answers(start: datetime, *pairs: tuple[str, AnswerValue]) -> list[AnswerRecord]:
    return [AnswerRecord(question_id, value, start) for question_id, value in pairs]


@pytest.mark.parametrize(
    ("current", "outcome", "expected"),
    [
        (3, AdaptiveOutcome.CORRECT, 4),
        (3, AdaptiveOutcome.INCORRECT, 2),
        (3, AdaptiveOutcome.PARTIAL, 3),
        (3, AdaptiveOutcome.UNSCORED, 3),
        (5, AdaptiveOutcome.CORRECT, 5),
        (1, AdaptiveOutcome.INCORRECT, 1),
    ],
)
def test_difficulty_moves_one_level_within_one_to_five(
    current: int, outcome: AdaptiveOutcome, expected: int
) -> None:
    assert adjusted_difficulty(current, outcome) == expected


def test_starts_with_a_middle_difficulty_question(quiz: Quiz) -> None:
    step = next_adaptive_question(quiz, "ATT-1", [])

    assert (step.next_question_id, step.target_difficulty, step.difficulty_adjustments) == (
        "d3",
        3,
        (),
    )


def test_correct_answer_leads_to_a_harder_question(quiz: Quiz, start: datetime) -> None:
    step = next_adaptive_question(quiz, "ATT-1", answers(start, ("d3", "a")))

    assert (step.next_question_id, step.target_difficulty, step.difficulty_adjustments) == (
        "d4",
        4,
        (1,),
    )


def test_wrong_answer_leads_to_an_easier_question(quiz: Quiz, start: datetime) -> None:
    step = next_adaptive_question(quiz, "ATT-1", answers(start, ("d3", "b")))

    assert (step.next_question_id, step.difficulty_adjustments) == ("d2", (-1,))


def test_records_every_adjustment_including_bounded_ones(quiz: Quiz, start: datetime) -> None:
    history = answers(start, ("d3", "a"), ("d4", "a"), ("d5", "a"), ("partial", ["2"]))

    step = next_adaptive_question(quiz, "ATT-1", history)

    assert step.difficulty_adjustments == (1, 1, 0, 0)
    assert step.target_difficulty == 5
    assert step.next_question_id == "t3"


def test_pending_essay_leaves_difficulty_unchanged(quiz: Quiz, start: datetime) -> None:
    step = next_adaptive_question(quiz, "ATT-1", answers(start, ("essay", "Some text.")))

    assert step.difficulty_adjustments == (0,)
    assert step.next_question_id == "d3"


def test_no_question_is_left_once_all_are_answered(quiz: Quiz, start: datetime) -> None:
    history = answers(start, *((question_id, "a") for question_id in quiz.question_ids[:6]))
    history += answers(start, ("partial", ["2", "3", "5"]), ("essay", "Text."))

    assert next_adaptive_question(quiz, "ATT-1", history).next_question_id is None


def test_randomized_adaptive_quiz_breaks_ties_by_the_seeded_order(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]]
) -> None:
    quiz = make_quiz(
        *(new_raw_question("true_false", f"q{n}") for n in range(8)),
        adaptive=True,
        randomize_questions=True,
    )

    firsts = {next_adaptive_question(quiz, f"ATT-{n}", []).next_question_id for n in range(20)}

    assert len(firsts) > 1
    assert next_adaptive_question(quiz, "ATT-3", []) == next_adaptive_question(quiz, "ATT-3", [])


def test_adaptive_attempt_starts_with_only_the_first_question(quiz: Quiz, start: datetime) -> None:
    started = start_attempt(
        quiz, attempt_id="ATT-1", previous_attempts=[], is_practice=False, now=start
    )

    assert started.question_order == ("d3",)
    assert started.adaptive is True


def test_non_adaptive_quiz_has_no_next_adaptive_question(make_quiz: QuizBuilder) -> None:
    with pytest.raises(QuizNotAdaptive):
        next_adaptive_question(make_quiz(), "ATT-1", [])


def test_answer_to_an_unknown_question_is_not_found(quiz: Quiz, start: datetime) -> None:
    with pytest.raises(QuestionNotFound):
        next_adaptive_question(quiz, "ATT-1", answers(start, ("zz", "a")))
