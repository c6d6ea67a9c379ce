"""Starting an attempt: refusals word for word, and the orders seeded by the attempt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from services.attempts.domain import (
    AttemptsExhausted,
    AttemptStatus,
    PracticeNotAllowed,
    Quiz,
    QuizNotAdaptive,
    UnknownViewerRole,
    next_adaptive_question,
    question_order_for,
    start_attempt,
    visible_attempt_fields,
)
from services.attempts.domain.lifecycle import PreviousAttempt
from shared.errors import InvalidInput

pytestmark = pytest.mark.unit

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def quiz(make_quiz: Callable[..., Quiz], new_raw_question: Callable[..., Any]) -> Quiz:
    questions = [new_raw_question("true_false", f"q{n}") for n in range(8)]
    return make_quiz(*questions, randomize_questions=True, attempts_allowed=1)


@pytest.fixture
def adaptive(make_quiz: Callable[..., Quiz], new_raw_question: Callable[..., Any]) -> Quiz:
    questions = [new_raw_question("true_false", f"q{n}", difficulty=3) for n in range(8)]
    return make_quiz(*questions, adaptive=True, randomize_questions=True)


def test_a_naive_start_is_refused_by_name(quiz: Quiz) -> None:
    with pytest.raises(InvalidInput) as error:
        start_attempt(
            quiz,
            attempt_id="ATT-1",
            previous_attempts=(),
            is_practice=False,
            now=AT.replace(tzinfo=None),
        )
    assert error.value.fields == {"now": ["must be a timezone-aware date and time"]}


def test_a_started_attempt_carries_its_id_and_the_order_seeded_by_it(quiz: Quiz) -> None:
    orders = set()
    for n in range(6):
        started = start_attempt(
            quiz, attempt_id=f"ATT-{n}", previous_attempts=(), is_practice=False, now=AT
        )
        assert started.attempt_id == f"ATT-{n}"
        assert started.question_order == question_order_for(quiz, f"ATT-{n}")
        orders.add(started.question_order)
    assert len(orders) > 1


def test_an_adaptive_attempt_starts_on_the_question_seeded_by_it(adaptive: Quiz) -> None:
    firsts = set()
    for n in range(12):
        started = start_attempt(
            adaptive, attempt_id=f"ATT-{n}", previous_attempts=(), is_practice=False, now=AT
        )
        expected = next_adaptive_question(adaptive, f"ATT-{n}", ()).next_question_id
        assert started.question_order == (expected,)
        firsts.add(expected)
    assert len(firsts) > 1


def test_practice_on_a_quiz_without_practice_is_refused_by_name(quiz: Quiz) -> None:
    with pytest.raises(PracticeNotAllowed) as error:
        start_attempt(quiz, attempt_id="ATT-1", previous_attempts=(), is_practice=True, now=AT)
    assert error.value.fields == {
        "is_practice": ["quiz 'QZ-FRACTIONS-1' does not allow practice attempts"]
    }


def test_used_up_attempts_are_refused_saying_how_many(quiz: Quiz) -> None:
    done = PreviousAttempt("ATT-0", 1, False, AttemptStatus.GRADED, AT)
    with pytest.raises(AttemptsExhausted) as error:
        start_attempt(
            quiz, attempt_id="ATT-1", previous_attempts=(done,), is_practice=False, now=AT
        )
    assert str(error.value) == "all 1 graded attempt(s) of quiz 'QZ-FRACTIONS-1' are used"


def test_refusals_of_adaptivity_and_of_unknown_viewers_say_why(quiz: Quiz) -> None:
    with pytest.raises(QuizNotAdaptive) as not_adaptive:
        next_adaptive_question(quiz, "ATT-1", ())
    assert str(not_adaptive.value) == "quiz 'QZ-FRACTIONS-1' is not adaptive"
    with pytest.raises(UnknownViewerRole) as unknown:
        visible_attempt_fields("guest")
    assert str(unknown.value) == "role 'guest' may not view attempts"
