from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.attempts.domain import (
    ALLOWED_ACTIONS,
    AnswerRecord,
    AttemptAction,
    AttemptAlreadyInProgress,
    AttemptNotExpired,
    AttemptsExhausted,
    AttemptStateConflict,
    AttemptStatus,
    PracticeNotAllowed,
    PreviousAttempt,
    Quiz,
    close_expired_attempt,
    deadline_of,
    ensure_action_allowed,
    grade_attempt,
    is_expired,
    next_attempt_number,
    remaining_attempts,
    start_attempt,
    submit_attempt,
)
from shared.errors import http_status_of

pytestmark = pytest.mark.unit

QuizBuilder = Callable[..., Quiz]
IN_PROGRESS = AttemptStatus.IN_PROGRESS
PENDING = AttemptStatus.PENDING_GRADING
GRADED = AttemptStatus.GRADED

TRANSITIONS = [
    (IN_PROGRESS, AttemptAction.ANSWER, True),
    (IN_PROGRESS, AttemptAction.RECORD_INTEGRITY_FLAG, True),
    (IN_PROGRESS, AttemptAction.SUBMIT, True),
    (IN_PROGRESS, AttemptAction.CLOSE_EXPIRED, True),
    (IN_PROGRESS, AttemptAction.GRADE, False),
    (IN_PROGRESS, AttemptAction.GIVE_FEEDBACK, False),
    (PENDING, AttemptAction.ANSWER, False),
    (PENDING, AttemptAction.SUBMIT, False),
    (PENDING, AttemptAction.CLOSE_EXPIRED, False),
    (PENDING, AttemptAction.GRADE, True),
    (PENDING, AttemptAction.GIVE_FEEDBACK, True),
    (PENDING, AttemptAction.RECORD_INTEGRITY_FLAG, True),
    (GRADED, AttemptAction.ANSWER, False),
    (GRADED, AttemptAction.SUBMIT, False),
    (GRADED, AttemptAction.CLOSE_EXPIRED, False),
    (GRADED, AttemptAction.GRADE, True),
    (GRADED, AttemptAction.GIVE_FEEDBACK, True),
    (GRADED, AttemptAction.RECORD_INTEGRITY_FLAG, True),
]


def test_the_transition_table_covers_every_status_and_action() -> None:
    assert {(s, a) for s, a, _ in TRANSITIONS} == {
        (status, action) for status in AttemptStatus for action in AttemptAction
    }
    assert set(ALLOWED_ACTIONS) == set(AttemptStatus)


@pytest.mark.parametrize(("status", "action", "allowed"), TRANSITIONS)
def test_actions_are_allowed_only_in_the_right_status(
    status: AttemptStatus, action: AttemptAction, allowed: bool
) -> None:
    if allowed:
        ensure_action_allowed(status, action)
    else:
        with pytest.raises(AttemptStateConflict):
            ensure_action_allowed(status, action)


def test_conflict_explains_why_the_action_is_refused() -> None:
    with pytest.raises(AttemptStateConflict) as caught:
        ensure_action_allowed(GRADED, AttemptAction.ANSWER)

    assert caught.value.message == (
        "cannot answer a question: the attempt is already submitted and graded"
    )
    assert http_status_of(caught.value) == 409


def previous(
    number: int,
    *,
    practice: bool = False,
    status: AttemptStatus = GRADED,
    started_at: datetime | None = None,
) -> PreviousAttempt:
    moment = started_at or datetime.fromisoformat("2026-03-01T09:00:00+00:00")
    kind = "P" if practice else "G"
    return PreviousAttempt(f"ATT-{kind}{number}", number, practice, status, moment)


@pytest.mark.parametrize(
    ("earlier", "is_practice", "expected"),
    [
        ([], False, 1),
        ([previous(1), previous(2)], False, 3),
        ([previous(1), previous(1, practice=True)], True, 2),
        ([previous(1, practice=True)], False, 1),
        ([previous(1), previous(3)], False, 4),
    ],
)
def test_attempt_numbers_count_graded_and_practice_attempts_separately(
    earlier: list[PreviousAttempt], is_practice: bool, expected: int
) -> None:
    assert next_attempt_number(earlier, is_practice=is_practice) == expected


@pytest.fixture
def quiz(make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]]) -> Quiz:
    return make_quiz(
        new_raw_question("true_false", "q1"),
        new_raw_question("essay", "q2"),
        time_limit_minutes=20,
        attempts_allowed=2,
        allow_practice=True,
    )


def test_graded_attempts_stop_at_attempts_allowed(quiz: Quiz, start: datetime) -> None:
    used = [previous(1), previous(2, status=PENDING)]

    assert remaining_attempts(quiz, used) == 0
    with pytest.raises(AttemptsExhausted) as caught:
        start_attempt(
            quiz, attempt_id="ATT-3", previous_attempts=used, is_practice=False, now=start
        )
    assert http_status_of(caught.value) == 409


def test_practice_attempts_do_not_use_up_graded_attempts(quiz: Quiz, start: datetime) -> None:
    used = [previous(1), previous(1, practice=True), previous(2, practice=True)]

    assert remaining_attempts(quiz, used) == 1
    started = start_attempt(
        quiz, attempt_id="ATT-4", previous_attempts=used, is_practice=False, now=start
    )
    assert started.attempt_number == 2


def test_practice_is_allowed_after_graded_attempts_run_out(quiz: Quiz, start: datetime) -> None:
    started = start_attempt(
        quiz,
        attempt_id="ATT-5",
        previous_attempts=[previous(1), previous(2)],
        is_practice=True,
        now=start,
    )

    assert (started.is_practice, started.attempt_number) == (True, 1)


def test_practice_needs_a_quiz_that_allows_it(make_quiz: QuizBuilder, start: datetime) -> None:
    with pytest.raises(PracticeNotAllowed) as caught:
        start_attempt(
            make_quiz(), attempt_id="ATT-1", previous_attempts=[], is_practice=True, now=start
        )

    assert list(caught.value.fields) == ["is_practice"]
    assert http_status_of(caught.value) == 422


def test_unlimited_attempts_when_attempts_allowed_is_none(make_quiz: QuizBuilder) -> None:
    assert remaining_attempts(make_quiz(), [previous(n) for n in range(1, 50)]) is None


def test_an_open_attempt_blocks_a_new_one_until_it_expires(quiz: Quiz, start: datetime) -> None:
    open_attempt = previous(1, status=IN_PROGRESS, started_at=start)

    with pytest.raises(AttemptAlreadyInProgress):
        start_attempt(
            quiz,
            attempt_id="ATT-2",
            previous_attempts=[open_attempt],
            is_practice=True,
            now=start + timedelta(minutes=5),
        )
    later = start_attempt(
        quiz,
        attempt_id="ATT-2",
        previous_attempts=[open_attempt],
        is_practice=False,
        now=start + timedelta(minutes=21),
    )
    assert later.attempt_number == 2


def test_start_records_order_limit_and_metadata(quiz: Quiz, start: datetime) -> None:
    started = start_attempt(
        quiz, attempt_id="ATT-1", previous_attempts=[], is_practice=False, now=start
    )

    assert started.status is IN_PROGRESS
    assert started.started_at == start
    assert started.time_limit_ends_at == start + timedelta(minutes=20)
    assert started.question_order == ("q1", "q2")
    assert (started.randomized, started.adaptive, started.difficulty_adjustments) == (
        False,
        False,
        (),
    )


@pytest.mark.parametrize(
    ("elapsed", "expired"),
    [
        (timedelta(minutes=20), False),
        (timedelta(minutes=20, seconds=30), False),
        (timedelta(minutes=20, seconds=30, microseconds=1), True),
    ],
)
def test_attempt_expires_after_time_limit_plus_grace(
    quiz: Quiz, start: datetime, elapsed: timedelta, expired: bool
) -> None:
    assert is_expired(quiz, start, start + elapsed) is expired
    assert deadline_of(quiz, start) == start + timedelta(minutes=20, seconds=30)


def test_quiz_without_time_limit_never_expires(make_quiz: QuizBuilder, start: datetime) -> None:
    assert is_expired(make_quiz(), start, start + timedelta(days=365)) is False


def test_submit_scores_and_closes_as_graded_without_essays(quiz: Quiz, start: datetime) -> None:
    answers = [AnswerRecord("q1", True, start)]
    closed = submit_attempt(
        quiz,
        status=IN_PROGRESS,
        answers=answers,
        started_at=start,
        now=start + timedelta(minutes=3),
    )

    assert closed.status is GRADED
    assert closed.completed_at == start + timedelta(minutes=3)
    assert closed.score.points_earned == 2


def test_submit_with_an_answered_essay_awaits_grading(quiz: Quiz, start: datetime) -> None:
    answers = [AnswerRecord("q1", True, start), AnswerRecord("q2", "Essay.", start)]

    closed = submit_attempt(quiz, status=IN_PROGRESS, answers=answers, started_at=start, now=start)

    assert closed.status is PENDING
    assert closed.score.passed is None


def test_submitting_twice_is_a_conflict(quiz: Quiz, start: datetime) -> None:
    with pytest.raises(AttemptStateConflict, match="cannot submit"):
        submit_attempt(quiz, status=GRADED, answers=[], started_at=start, now=start)


def test_sweep_closes_an_expired_attempt_at_the_end_of_its_time_limit(
    quiz: Quiz, start: datetime
) -> None:
    answers = [AnswerRecord("q1", True, start + timedelta(minutes=2))]

    closed = close_expired_attempt(
        quiz, status=IN_PROGRESS, answers=answers, started_at=start, now=start + timedelta(hours=2)
    )

    assert closed.status is GRADED
    assert closed.completed_at == start + timedelta(minutes=20)
    assert closed.score.time_limit_exceeded is True
    assert closed.score.time_spent_minutes == 20
    assert closed.score.points_earned == 2


def test_sweep_refuses_an_attempt_that_has_not_expired(quiz: Quiz, start: datetime) -> None:
    with pytest.raises(AttemptNotExpired):
        close_expired_attempt(
            quiz,
            status=IN_PROGRESS,
            answers=[],
            started_at=start,
            now=start + timedelta(minutes=20, seconds=30),
        )


def test_sweep_refuses_a_quiz_without_time_limit(make_quiz: QuizBuilder, start: datetime) -> None:
    with pytest.raises(AttemptNotExpired):
        close_expired_attempt(
            make_quiz(), status=IN_PROGRESS, answers=[], started_at=start, now=start
        )


def test_grading_settles_a_pending_attempt_and_keeps_its_time_record(
    quiz: Quiz, start: datetime
) -> None:
    answers = [AnswerRecord("q1", False, start), AnswerRecord("q2", "Essay.", start)]
    completed = start + timedelta(minutes=20)

    graded = grade_attempt(
        quiz,
        status=PENDING,
        answers=answers,
        started_at=start,
        completed_at=completed,
        time_limit_exceeded=True,
        overrides={"q2": 2},
    )

    assert graded.status is GRADED
    assert graded.completed_at == completed
    assert (graded.score.score, graded.score.passed) == (50.0, False)
    assert graded.score.time_limit_exceeded is True


def test_partial_grading_leaves_the_attempt_pending(
    make_quiz: QuizBuilder, new_raw_question: Callable[..., dict[str, Any]], start: datetime
) -> None:
    quiz = make_quiz(new_raw_question("essay", "e1"), new_raw_question("essay", "e2"))
    answers = [AnswerRecord("e1", "One.", start), AnswerRecord("e2", "Two.", start)]

    graded = grade_attempt(
        quiz,
        status=PENDING,
        answers=answers,
        started_at=start,
        completed_at=start,
        time_limit_exceeded=False,
        overrides={"e1": 2},
    )

    assert graded.status is PENDING


def test_an_attempt_in_progress_cannot_be_graded(quiz: Quiz, start: datetime) -> None:
    with pytest.raises(AttemptStateConflict, match="still in progress"):
        grade_attempt(
            quiz,
            status=IN_PROGRESS,
            answers=[],
            started_at=start,
            completed_at=start,
            time_limit_exceeded=False,
            overrides={},
        )


def test_sweep_leaves_an_expired_attempt_with_an_essay_pending_grading(
    quiz: Quiz, start: datetime
) -> None:
    answers = [AnswerRecord("q2", "Essay.", start + timedelta(minutes=2))]

    closed = close_expired_attempt(
        quiz, status=IN_PROGRESS, answers=answers, started_at=start, now=start + timedelta(hours=2)
    )

    assert closed.status is AttemptStatus.PENDING_GRADING
    assert closed.score.pending_grading is True


def test_an_open_attempt_is_named_in_the_refusal(quiz: Quiz, start: datetime) -> None:
    open_attempt = previous(1, status=IN_PROGRESS, started_at=start)

    with pytest.raises(AttemptAlreadyInProgress) as caught:
        start_attempt(
            quiz,
            attempt_id="ATT-2",
            previous_attempts=[open_attempt],
            is_practice=False,
            now=start + timedelta(minutes=5),
        )

    assert (
        str(caught.value)
        == f"attempt {open_attempt.attempt_id!r} on this quiz is still in progress"
    )
