"""Refusals of the attempt lifecycle word for word, and the edges where a rule changes:
a flag at the very moment of submission, review visibility for students, per-attempt
option orders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.attempts.domain import (
    AnswerChangeNotAllowed,
    AttemptStatus,
    QuestionNotPresented,
    Quiz,
    option_order_for,
    option_orders_for,
    parse_integrity_flag,
    record_answer,
    redact_attempt,
    visible_answer_fields,
)
from services.attempts.domain.errors import AttemptStateConflict
from services.attempts.domain.integrity import ensure_integrity_flag_accepted
from services.attempts.domain.visibility import ANSWER_FIELDS, REVIEW_ANSWER_FIELDS

pytestmark = pytest.mark.unit

GRADED = AttemptStatus.GRADED


@pytest.fixture
def adaptive_quiz(make_quiz: Callable[..., Quiz], new_raw_question: Callable[..., Any]) -> Quiz:
    return make_quiz(
        new_raw_question("multiple_choice", "q1"),
        new_raw_question("multiple_choice", "q2"),
        adaptive=True,
    )


def answer(quiz: Quiz, start: datetime, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "status": AttemptStatus.IN_PROGRESS,
        "started_at": start,
        "question_order": ("q1",),
        "previous": None,
        "question_id": "q1",
        "answer": "a",
        "time_spent_seconds": 10,
        "now": start + timedelta(minutes=1),
        **changes,
    }
    return record_answer(quiz, **arguments)


def test_an_adaptive_question_not_presented_is_refused_by_name(
    adaptive_quiz: Quiz, start: datetime
) -> None:
    with pytest.raises(QuestionNotPresented) as error:
        answer(adaptive_quiz, start, question_id="q2")
    assert str(error.value) == "question 'q2' has not been presented in this adaptive attempt"


def test_changing_an_adaptive_answer_is_refused_saying_why(
    adaptive_quiz: Quiz, start: datetime
) -> None:
    first = answer(adaptive_quiz, start)
    with pytest.raises(AnswerChangeNotAllowed) as error:
        answer(adaptive_quiz, start, answer="b", previous=first, question_order=("q1", "q2"))
    assert str(error.value) == (
        "question 'q1' was already answered; adaptive quizzes do not allow changing an "
        "answer once the next question was chosen from it"
    )


def flag_at(moment: datetime) -> Any:
    return parse_integrity_flag({"type": "tab_switch", "timestamp": moment.isoformat()})


def test_a_flag_raised_at_the_moment_of_submission_is_kept(start: datetime) -> None:
    completed = start + timedelta(minutes=10)
    ensure_integrity_flag_accepted(GRADED, flag_at(completed), completed_at=completed)
    ensure_integrity_flag_accepted(
        GRADED, flag_at(completed - timedelta(seconds=1)), completed_at=completed
    )
    with pytest.raises(AttemptStateConflict) as error:
        ensure_integrity_flag_accepted(
            GRADED, flag_at(completed + timedelta(microseconds=1)), completed_at=completed
        )
    assert str(error.value) == (
        "cannot record an integrity flag raised after the attempt was submitted"
    )
    with pytest.raises(AttemptStateConflict):
        ensure_integrity_flag_accepted(GRADED, flag_at(start), completed_at=None)


@pytest.mark.parametrize("role", ["student", "parent"])
def test_students_and_parents_see_the_key_on_review_of_a_closed_attempt(role: str) -> None:
    closed = visible_answer_fields(role, status=GRADED, allow_review=True)
    assert closed == ANSWER_FIELDS
    pending = visible_answer_fields(role, status=AttemptStatus.PENDING_GRADING, allow_review=True)
    assert pending == ANSWER_FIELDS
    no_review = visible_answer_fields(role, status=GRADED, allow_review=False)
    assert no_review == ANSWER_FIELDS - REVIEW_ANSWER_FIELDS
    in_progress = visible_answer_fields(role, status=AttemptStatus.IN_PROGRESS, allow_review=True)
    assert in_progress == ANSWER_FIELDS - REVIEW_ANSWER_FIELDS


def test_a_student_s_redacted_attempt_keeps_the_key_on_review_only() -> None:
    document = {
        "id": "ATT-1",
        "answers": [
            {"question_id": "q1", "answer": "a", "correct_answer": "b", "is_correct": False}
        ],
    }
    reviewed = redact_attempt(document, "student", status=GRADED, allow_review=True)
    assert reviewed["answers"] == document["answers"]
    hidden = redact_attempt(document, "student", status=GRADED, allow_review=False)
    assert hidden["answers"] == [{"question_id": "q1", "answer": "a"}]
    open_attempt = redact_attempt(
        document, "student", status=AttemptStatus.IN_PROGRESS, allow_review=True
    )
    assert open_attempt["answers"] == [{"question_id": "q1", "answer": "a"}]


def test_option_orders_are_seeded_by_the_attempt(
    make_quiz: Callable[..., Quiz], new_raw_question: Callable[..., Any]
) -> None:
    quiz = make_quiz(
        new_raw_question(
            "multiple_choice", "q1", options=[str(n) for n in range(12)], answer_key="0"
        ),
        new_raw_question("true_false", "q2"),
        randomize_options=True,
    )
    first, second = option_orders_for(quiz, "ATT-1"), option_orders_for(quiz, "ATT-2")
    assert first == {"q1": option_order_for(quiz, quiz.questions[0], "ATT-1")}
    assert second == {"q1": option_order_for(quiz, quiz.questions[0], "ATT-2")}
    assert first != second
