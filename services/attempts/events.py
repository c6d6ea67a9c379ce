"""The attempts service's events, built through ``shared.events.contracts``.

Every envelope has ``subject`` = the student id, ``course_id`` = the quiz's course and
``correlation_id`` = the request id that caused it (None for the expiry sweep)
(docs/events.md, "Attempts service events"). The service consumes no event yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.attempts.domain import AttemptStatus, IntegrityFlag
from services.attempts.models import Attempt
from shared.events import Envelope
from shared.events.contracts import Payload, attempts
from shared.time import in_utc

PRODUCER = "attempts"


def envelope(attempt: Attempt, payload: Payload, cause: str | None) -> Envelope:
    return payload.to_envelope(
        producer=PRODUCER,
        subject=attempt.student_id,
        course_id=attempt.course_id,
        correlation_id=cause,
    )


def started(attempt: Attempt) -> attempts.AttemptStarted:
    return attempts.AttemptStarted(
        attempt_id=attempt.id,
        quiz_id=attempt.quiz_id,
        lesson_id=attempt.lesson_id,
        attempt_number=attempt.attempt_number,
        is_practice=attempt.is_practice,
        started_at=in_utc(attempt.started_at),
        time_limit_ends_at=_utc(attempt.time_limit_ends_at),
        environment=attempt.environment,  # type: ignore[arg-type]
    )


def submitted(attempt: Attempt) -> attempts.AttemptSubmitted:
    """Once per attempt: submitted by the student, or closed past its deadline."""
    return attempts.AttemptSubmitted(**_result(attempt))


def graded(attempt: Attempt) -> attempts.AttemptGraded:
    """A teacher's grading left the attempt final."""
    return attempts.AttemptGraded(**_result(attempt))


def _result(attempt: Attempt) -> dict[str, Any]:
    """What ``submitted`` and ``graded`` carry (docs/events.md, version 1).

    While an essay waits for its teacher, ``score`` is null, ``pending_grading`` true and
    ``passed`` false (not passed yet: the progress service requires a boolean).
    """
    pending = attempt.status == AttemptStatus.PENDING_GRADING
    return {
        "attempt_id": attempt.id,
        "quiz_id": attempt.quiz_id,
        "lesson_id": attempt.lesson_id,
        "attempt_number": attempt.attempt_number,
        "is_practice": attempt.is_practice,
        "started_at": in_utc(attempt.started_at),
        "completed_at": _utc(attempt.completed_at),
        "time_spent": attempt.time_spent,
        "score": None if pending else attempt.score,
        "points_earned": attempt.points_earned,
        "points_possible": attempt.points_possible,
        "passed": bool(attempt.passed),
        "passing_score": attempt.passing_score,
        "pending_grading": pending,
        "graded_at": _utc(attempt.graded_at),
    }


def flagged(
    attempt: Attempt, flag: IntegrityFlag, counts: Mapping[str, int]
) -> attempts.AttemptFlagged:
    """What analytics needs of a new integrity flag: never its free-text details."""
    return attempts.AttemptFlagged(
        attempt_id=attempt.id,
        quiz_id=attempt.quiz_id,
        lesson_id=attempt.lesson_id,
        is_practice=attempt.is_practice,
        flag_type=flag.type.value,
        flagged_at=in_utc(flag.timestamp),
        flag_counts=dict(counts),
        interruptions=attempt.interruptions,
    )


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else in_utc(moment)
