"""Contracts of the attempts service's events (docs/events.md, "Attempts service events").

Every envelope has ``subject`` = the student id and ``course_id`` = the quiz's course.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from shared.events.contracts.base import Payload, UtcDatetime, contract
from shared.events.contracts.fields import Count, Id, Minutes, Score

Environment = Literal["classroom", "home", "mobile"]


@contract("attempts.attempt.started", version=1)
class AttemptStarted(Payload, frozen=True, kw_only=True):
    attempt_id: Id
    quiz_id: Id
    lesson_id: Id | None = None
    attempt_number: Annotated[int, msgspec.Meta(ge=1)]
    is_practice: bool = False
    started_at: UtcDatetime
    time_limit_ends_at: UtcDatetime | None = None
    environment: Environment | None = None


class AttemptResult(Payload, frozen=True, kw_only=True):
    """What ``submitted`` and ``graded`` both carry: the attempt's result after the change.

    While an essay waits for its teacher, ``score`` is null, ``pending_grading`` true and
    ``passed`` false.
    """

    attempt_id: Id
    quiz_id: Id
    lesson_id: Id | None = None
    attempt_number: Annotated[int, msgspec.Meta(ge=1)] = 1
    is_practice: bool = False
    started_at: UtcDatetime | None = None
    completed_at: UtcDatetime | None = None
    time_spent: Minutes | None = None
    score: Score | None = None
    points_earned: float | None = None
    points_possible: float | None = None
    passed: bool
    passing_score: Score | None = None
    pending_grading: bool = False
    graded_at: UtcDatetime | None = None


@contract("attempts.attempt.submitted", version=1)
class AttemptSubmitted(AttemptResult, frozen=True, kw_only=True):
    """Emitted once per attempt: submitted by the student, or closed past its deadline."""

    completed_at: UtcDatetime
    time_spent: Minutes


@contract("attempts.attempt.graded", version=1)
class AttemptGraded(AttemptResult, frozen=True, kw_only=True):
    """A teacher's grading left the attempt final; a regrade emits another (latest wins)."""

    score: Score
    graded_at: UtcDatetime


@contract("attempts.attempt.flagged", version=1)
class AttemptFlagged(Payload, frozen=True, kw_only=True):
    attempt_id: Id
    quiz_id: Id
    lesson_id: Id | None = None
    is_practice: bool = False
    flag_type: Id
    flagged_at: UtcDatetime
    flag_counts: dict[str, Count] = {}
    interruptions: Count = 0
