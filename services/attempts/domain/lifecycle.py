"""Starting, submitting, expiring and grading attempts.

Attempt numbers and limits:

* Graded and practice attempts are numbered separately, each from 1:
  ``attempt_number`` is one more than the highest number of the same kind so far
  (so numbers are never reused, even if an attempt record was erased).
* ``attempts_allowed`` limits graded attempts only, counting every earlier graded
  attempt whatever its state. Practice attempts need ``allow_practice`` and are unlimited.
* A student has at most one open attempt per quiz: one that is in progress and not yet
  expired blocks a new one. An expired one does not; the caller closes it first with
  :func:`close_expired_attempt`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .adaptive import next_adaptive_question
from .answering import AnswerRecord
from .attempt_scoring import AttemptScore, score_attempt
from .errors import (
    AttemptAlreadyInProgress,
    AttemptNotExpired,
    AttemptsExhausted,
    PracticeNotAllowed,
)
from .presentation import question_order_for
from .quizzes import Quiz
from .states import AttemptAction, AttemptStatus, ensure_action_allowed, status_after_scoring
from .timing import is_expired, require_aware, time_limit_ends_at


@dataclass(frozen=True)
class PreviousAttempt:
    """What the rules need to know about an earlier attempt of the same student and quiz."""

    attempt_id: str
    attempt_number: int
    is_practice: bool
    status: AttemptStatus
    started_at: datetime


@dataclass(frozen=True)
class StartedAttempt:
    """A new attempt. ``question_order`` holds the questions presented so far: all of
    them, or, in an adaptive quiz, just the first."""

    attempt_id: str
    attempt_number: int
    is_practice: bool
    status: AttemptStatus
    started_at: datetime
    time_limit_ends_at: datetime | None
    question_order: tuple[str, ...]
    randomized: bool
    adaptive: bool
    difficulty_adjustments: tuple[int, ...] = ()


@dataclass(frozen=True)
class ClosedAttempt:
    """An attempt after submission, expiry or grading: its status, end and score."""

    status: AttemptStatus
    completed_at: datetime
    score: AttemptScore


def next_attempt_number(previous: Sequence[PreviousAttempt], *, is_practice: bool) -> int:
    """One more than the highest number among earlier attempts of the same kind."""
    numbers = [a.attempt_number for a in previous if a.is_practice == is_practice]
    return max(numbers, default=0) + 1


def remaining_attempts(quiz: Quiz, previous: Sequence[PreviousAttempt]) -> int | None:
    """Graded attempts the student may still start; None when unlimited."""
    if quiz.attempts_allowed is None:
        return None
    used = sum(1 for attempt in previous if not attempt.is_practice)
    return max(0, quiz.attempts_allowed - used)


def ensure_attempt_can_start(
    quiz: Quiz, previous: Sequence[PreviousAttempt], *, is_practice: bool, now: datetime
) -> None:
    """Raise why a new attempt may not start: PracticeNotAllowed, AttemptAlreadyInProgress
    or AttemptsExhausted."""
    if is_practice and not quiz.allow_practice:
        raise PracticeNotAllowed.for_field(
            "is_practice", f"quiz {quiz.quiz_id!r} does not allow practice attempts"
        )
    for attempt in previous:
        if attempt.status is AttemptStatus.IN_PROGRESS and not is_expired(
            quiz, attempt.started_at, now
        ):
            raise AttemptAlreadyInProgress(
                f"attempt {attempt.attempt_id!r} on this quiz is still in progress"
            )
    if not is_practice and remaining_attempts(quiz, previous) == 0:
        raise AttemptsExhausted(
            f"all {quiz.attempts_allowed} graded attempt(s) of quiz {quiz.quiz_id!r} are used"
        )


def start_attempt(
    quiz: Quiz,
    *,
    attempt_id: str,
    previous_attempts: Sequence[PreviousAttempt],
    is_practice: bool,
    now: datetime,
) -> StartedAttempt:
    """Start attempt ``attempt_id`` at ``now`` if the rules allow (see the module)."""
    require_aware("now", now)
    ensure_attempt_can_start(quiz, previous_attempts, is_practice=is_practice, now=now)
    if quiz.adaptive:
        first = next_adaptive_question(quiz, attempt_id, ()).next_question_id
        question_order: tuple[str, ...] = () if first is None else (first,)
    else:
        question_order = question_order_for(quiz, attempt_id)
    return StartedAttempt(
        attempt_id=attempt_id,
        attempt_number=next_attempt_number(previous_attempts, is_practice=is_practice),
        is_practice=is_practice,
        status=AttemptStatus.IN_PROGRESS,
        started_at=now,
        time_limit_ends_at=time_limit_ends_at(quiz, now),
        question_order=question_order,
        randomized=quiz.randomize_questions,
        adaptive=quiz.adaptive,
    )


def submit_attempt(
    quiz: Quiz,
    *,
    status: AttemptStatus,
    answers: Sequence[AnswerRecord],
    started_at: datetime,
    now: datetime,
) -> ClosedAttempt:
    """Close an in-progress attempt submitted by the student at ``now`` and score it.

    A submission after the deadline is still accepted (the sweep may not have run yet);
    it is scored with ``time_limit_exceeded`` and late answers ignored.
    """
    ensure_action_allowed(status, AttemptAction.SUBMIT)
    score = score_attempt(quiz, answers, started_at=started_at, submitted_at=now)
    return ClosedAttempt(status_after_scoring(score.pending_grading), now, score)


def close_expired_attempt(
    quiz: Quiz,
    *,
    status: AttemptStatus,
    answers: Sequence[AnswerRecord],
    started_at: datetime,
    now: datetime,
) -> ClosedAttempt:
    """Close an in-progress attempt whose deadline has passed (the sweep's job).

    The answers given in time are scored; ``completed_at`` is when the time limit ran
    out (not when the sweep ran), and ``time_limit_exceeded`` is true. Raises
    :class:`AttemptNotExpired` if the attempt's deadline has not passed at ``now``.
    """
    ensure_action_allowed(status, AttemptAction.CLOSE_EXPIRED)
    ends_at = time_limit_ends_at(quiz, started_at)
    if ends_at is None or not is_expired(quiz, started_at, now):
        raise AttemptNotExpired("cannot close the attempt as expired: its deadline has not passed")
    score = score_attempt(
        quiz, answers, started_at=started_at, submitted_at=ends_at, closed_by_time_limit=True
    )
    return ClosedAttempt(status_after_scoring(score.pending_grading), ends_at, score)


def grade_attempt(
    quiz: Quiz,
    *,
    status: AttemptStatus,
    answers: Sequence[AnswerRecord],
    started_at: datetime,
    completed_at: datetime,
    time_limit_exceeded: bool,
    overrides: Mapping[str, object],
) -> ClosedAttempt:
    """Rescore a closed attempt with a teacher's points per question (``overrides``).

    ``completed_at`` and ``time_limit_exceeded`` are as recorded when it closed. The
    attempt becomes ``graded`` once no answered essay lacks points; regrading a graded
    attempt is allowed. An in-progress attempt cannot be graded.
    """
    ensure_action_allowed(status, AttemptAction.GRADE)
    score = score_attempt(
        quiz,
        answers,
        started_at=started_at,
        submitted_at=completed_at,
        overrides=overrides,
        closed_by_time_limit=time_limit_exceeded,
    )
    return ClosedAttempt(status_after_scoring(score.pending_grading), completed_at, score)
