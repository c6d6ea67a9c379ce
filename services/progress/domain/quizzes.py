"""A quiz's ``completed_quizzes`` entry, folded from attempt events in any order and number.

Two kinds of fact reach the progress service from the attempts service:

* ``AttemptSubmitted`` (``attempts.attempt.submitted``): time, duration, practice flag
  and the automatic score, None while questions await manual grading;
* ``AttemptGraded`` (``attempts.attempt.graded``): a teacher's (re)grading. The grading
  with the latest ``graded_at`` wins for its attempt, whatever the arrival order; a
  grading overrides the automatic score of the submission.

Per attempt, ``record_attempt_fact`` merges facts into an ``AttemptState`` (commutative
and idempotent); ``quiz_result_of`` summarizes the states. Practice attempts are left
out of the entry entirely (attempt count, time, best score, passed): they are practice,
not assessment, and the time they took still reaches ``total_time_spent`` through
activity logs. An attempt counts only once its submission is known; a grading that
arrives first waits in the state for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from shared.errors import InvalidInput

from .values import (
    add_minutes,
    require_aware,
    require_duration,
    require_identifier,
    require_optional_score,
    require_score,
)


@dataclass(frozen=True)
class AttemptSubmitted:
    attempt_id: str
    completed_at: datetime
    time_spent: float
    score: float | None
    passed: bool
    is_practice: bool = False

    def __post_init__(self) -> None:
        require_identifier(self.attempt_id, "attempt_id")
        require_aware(self.completed_at, "completed_at")
        require_duration(self.time_spent, "time_spent")
        require_optional_score(self.score, "score")


@dataclass(frozen=True)
class AttemptGraded:
    attempt_id: str
    graded_at: datetime
    score: float
    passed: bool

    def __post_init__(self) -> None:
        require_identifier(self.attempt_id, "attempt_id")
        require_aware(self.graded_at, "graded_at")
        require_score(self.score, "score")


QuizAttemptFact = AttemptSubmitted | AttemptGraded


@dataclass(frozen=True)
class AttemptState:
    """What is known of one attempt: its submission and its latest grading, if any."""

    attempt_id: str
    submission: AttemptSubmitted | None = None
    grading: AttemptGraded | None = None

    @property
    def counts(self) -> bool:
        """True when the attempt belongs in the quiz entry: submitted and not practice."""
        return self.submission is not None and not self.submission.is_practice

    @property
    def score(self) -> float | None:
        if self.grading is not None:
            return self.grading.score
        return self.submission.score if self.submission is not None else None

    @property
    def passed(self) -> bool:
        if self.grading is not None:
            return self.grading.passed
        return self.submission is not None and self.submission.passed


@dataclass(frozen=True)
class QuizResult:
    """The spec's ``completed_quizzes`` entry. ``completed_at`` is the best attempt's."""

    quiz_id: str
    completed_at: datetime | None
    attempts: int
    best_score: float | None
    best_attempt_id: str | None
    time_spent: float
    passed: bool


def record_attempt_fact(state: AttemptState | None, fact: QuizAttemptFact) -> AttemptState:
    """The attempt's state with ``fact`` merged in; the same whatever order facts arrive in."""
    current = state if state is not None else AttemptState(fact.attempt_id)
    if fact.attempt_id != current.attempt_id:
        raise InvalidInput.for_field(
            "attempt_id", f"fact of {fact.attempt_id!r} given to attempt {current.attempt_id!r}"
        )
    if isinstance(fact, AttemptSubmitted):
        if current.submission is None:
            return replace(current, submission=fact)
        # Both are the same submission redelivered; should they ever differ, keep a
        # deterministic one so the result still does not depend on arrival order.
        return replace(current, submission=min(current.submission, fact, key=_submission_key))
    if current.grading is None:
        return replace(current, grading=fact)
    return replace(current, grading=max(current.grading, fact, key=_grading_key))


def attempt_states_from_facts(facts: Iterable[QuizAttemptFact]) -> dict[str, AttemptState]:
    """Every attempt's state, by attempt id, from a collection of facts (duplicates allowed)."""
    states: dict[str, AttemptState] = {}
    for fact in facts:
        states[fact.attempt_id] = record_attempt_fact(states.get(fact.attempt_id), fact)
    return states


def quiz_result_of(quiz_id: str, attempts: Iterable[AttemptState]) -> QuizResult | None:
    """The quiz's entry from its attempts' states, or None while no attempt counts.

    The best attempt has the highest score; ties go to the earliest ``completed_at``,
    then to the smallest attempt id. Attempts still awaiting grading count as attempts
    and time, but cannot be the best attempt until graded.
    """
    counted = sorted((a for a in attempts if a.counts), key=lambda a: a.attempt_id)
    if not counted:
        return None
    time_spent = 0.0
    for attempt in counted:
        assert attempt.submission is not None
        time_spent = add_minutes(time_spent, attempt.submission.time_spent)
    scored = [a for a in counted if a.score is not None]
    best = min(scored, key=_best_attempt_key) if scored else None
    return QuizResult(
        quiz_id=quiz_id,
        completed_at=best.submission.completed_at if best and best.submission else None,
        attempts=len(counted),
        best_score=best.score if best else None,
        best_attempt_id=best.attempt_id if best else None,
        time_spent=time_spent,
        passed=any(a.passed for a in counted),
    )


def quiz_result_from_facts(quiz_id: str, facts: Iterable[QuizAttemptFact]) -> QuizResult | None:
    """The quiz's entry straight from every fact received for it."""
    return quiz_result_of(quiz_id, attempt_states_from_facts(facts).values())


def _best_attempt_key(attempt: AttemptState) -> tuple[float, datetime, str]:
    assert attempt.score is not None and attempt.submission is not None
    return (-attempt.score, attempt.submission.completed_at, attempt.attempt_id)


def _submission_key(fact: AttemptSubmitted) -> tuple[datetime, float, float, bool, bool]:
    score = -1.0 if fact.score is None else fact.score
    return (fact.completed_at, fact.time_spent, score, fact.passed, fact.is_practice)


def _grading_key(fact: AttemptGraded) -> tuple[datetime, float, bool]:
    return (fact.graded_at, fact.score, fact.passed)
