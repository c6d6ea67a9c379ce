from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.attempts.domain import (
    AnswerChangeNotAllowed,
    AnswerRecord,
    AttemptExpired,
    AttemptStateConflict,
    AttemptStatus,
    InvalidAnswer,
    QuestionNotFound,
    QuestionNotPresented,
    Quiz,
    record_answer,
)
from shared.errors import InvalidInput, http_status_of

pytestmark = pytest.mark.unit

QuizBuilder = Callable[..., Quiz]


@pytest.fixture
def quiz(make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]]) -> Quiz:
    return make_quiz(
        new_raw_question("multiple_choice", "q1"),
        new_raw_question("numeric", "q2"),
        time_limit_minutes=10,
        grace_seconds=30,
    )


def answer(
    quiz: Quiz,
    start: datetime,
    *,
    question_id: str = "q1",
    value: object = "a",
    previous: AnswerRecord | None = None,
    after: timedelta = timedelta(minutes=1),
    time_spent: float = 20,
    confidence: int | None = None,
    status: AttemptStatus = AttemptStatus.IN_PROGRESS,
    question_order: tuple[str, ...] = ("q1", "q2"),
) -> AnswerRecord:
    return record_answer(
        quiz,
        status=status,
        started_at=start,
        question_order=question_order,
        previous=previous,
        question_id=question_id,
        answer=value,
        time_spent_seconds=time_spent,
        confidence_level=confidence,
        now=start + after,
    )


def test_first_answer_records_time_confidence_and_no_changes(quiz: Quiz, start: datetime) -> None:
    record = answer(quiz, start, confidence=4)

    assert record == AnswerRecord("q1", "a", start + timedelta(minutes=1), 20, 0, 4)


def test_changing_an_answer_counts_one_change_and_accumulates_time(
    quiz: Quiz, start: datetime
) -> None:
    first = answer(quiz, start, value="a", confidence=2)
    second = answer(quiz, start, value="b", previous=first, after=timedelta(minutes=2))
    third = answer(quiz, start, value="a", previous=second, after=timedelta(minutes=3))

    assert (second.attempts_before_answer, third.attempts_before_answer) == (1, 2)
    assert third.time_spent_seconds == 60
    assert third.answered_at == start + timedelta(minutes=3)
    assert third.confidence_level == 2


def test_sending_the_same_answer_again_is_not_a_change(quiz: Quiz, start: datetime) -> None:
    first = answer(quiz, start, question_id="q2", value=3.14)
    again = answer(
        quiz, start, question_id="q2", value="3.14", previous=first, after=timedelta(minutes=2)
    )

    assert again.attempts_before_answer == 0
    assert again.answered_at == first.answered_at


def test_time_on_a_question_never_exceeds_time_since_the_start(quiz: Quiz, start: datetime) -> None:
    record = answer(quiz, start, after=timedelta(seconds=30), time_spent=600)

    assert record.time_spent_seconds == 30


def test_answer_is_stored_normalized(quiz: Quiz, start: datetime) -> None:
    assert answer(quiz, start, question_id="q2", value=" 3.5 ").answer == 3.5


@pytest.mark.parametrize("confidence", [0, 6, 2.5, True, "3"])
def test_rejects_confidence_outside_one_to_five(
    quiz: Quiz, start: datetime, confidence: Any
) -> None:
    with pytest.raises(InvalidInput) as caught:
        answer(quiz, start, confidence=confidence)

    assert list(caught.value.fields) == ["confidence_level"]


@pytest.mark.parametrize("time_spent", [-1, float("nan"), "10"])
def test_rejects_negative_or_non_numeric_time_spent(
    quiz: Quiz, start: datetime, time_spent: Any
) -> None:
    with pytest.raises(InvalidInput) as caught:
        answer(quiz, start, time_spent=time_spent)

    assert list(caught.value.fields) == ["time_spent"]


@pytest.mark.parametrize("status", [AttemptStatus.PENDING_GRADING, AttemptStatus.GRADED])
def test_answering_a_submitted_attempt_is_a_conflict(
    quiz: Quiz, start: datetime, status: AttemptStatus
) -> None:
    with pytest.raises(AttemptStateConflict, match="already submitted") as caught:
        answer(quiz, start, status=status)

    assert http_status_of(caught.value) == 409


def test_answering_after_limit_plus_grace_is_refused(quiz: Quiz, start: datetime) -> None:
    within_grace = answer(quiz, start, after=timedelta(minutes=10, seconds=30))

    with pytest.raises(AttemptExpired):
        answer(quiz, start, after=timedelta(minutes=10, seconds=31))
    assert within_grace.answer == "a"


def test_answering_an_unknown_question_is_not_found(quiz: Quiz, start: datetime) -> None:
    with pytest.raises(QuestionNotFound) as caught:
        answer(quiz, start, question_id="q9")

    assert http_status_of(caught.value) == 404


def test_answer_of_the_wrong_shape_is_invalid(quiz: Quiz, start: datetime) -> None:
    with pytest.raises(InvalidAnswer):
        answer(quiz, start, value="z")


def test_previous_record_must_belong_to_the_question(quiz: Quiz, start: datetime) -> None:
    first = answer(quiz, start)

    with pytest.raises(InvalidInput):
        answer(quiz, start, question_id="q2", value=1, previous=first)


@pytest.fixture
def adaptive_quiz(make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]]) -> Quiz:
    return make_quiz(
        new_raw_question("multiple_choice", "q1"),
        new_raw_question("multiple_choice", "q2"),
        adaptive=True,
    )


def test_adaptive_attempt_only_answers_presented_questions(
    adaptive_quiz: Quiz, start: datetime
) -> None:
    with pytest.raises(QuestionNotPresented):
        answer(adaptive_quiz, start, question_id="q2", question_order=("q1",))


def test_adaptive_attempt_refuses_to_change_an_answer_but_accepts_a_resend(
    adaptive_quiz: Quiz, start: datetime
) -> None:
    first = answer(adaptive_quiz, start, question_order=("q1",))

    resent = answer(adaptive_quiz, start, previous=first, question_order=("q1", "q2"))
    with pytest.raises(AnswerChangeNotAllowed):
        answer(adaptive_quiz, start, value="b", previous=first, question_order=("q1", "q2"))
    assert resent.attempts_before_answer == 0
