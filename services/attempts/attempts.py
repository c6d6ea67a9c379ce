"""The attempt lifecycle on the database: each function is one step of one transaction.

The caller holds the attempt locked (``SELECT ... FOR UPDATE`` on PostgreSQL) while it
changes, commits, and gets the events in the outbox of that same transaction. The rules
are the domain's (``services.attempts.domain``); this module loads, applies and stores.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.attempts import documents
from services.attempts.domain import (
    AnswerRecord,
    AttemptAction,
    AttemptExpired,
    AttemptStatus,
    ClosedAttempt,
    PreviousAttempt,
    Quiz,
    add_integrity_flag,
    auto_feedback,
    close_expired_attempt,
    count_flags_by_type,
    count_interruptions,
    deadline_of,
    ensure_action_allowed,
    ensure_integrity_flag_accepted,
    grade_attempt,
    is_expired,
    next_adaptive_question,
    parse_integrity_flag,
    record_answer,
    start_attempt,
    submit_attempt,
)
from services.attempts.models import Attempt, AttemptAnswer, QuizRecord
from services.attempts.quizzes import quizzes_of_versions
from shared.errors import Conflict
from shared.events import Envelope, record_event

PRODUCER = "attempts"


@dataclass(frozen=True)
class StartContext:
    """What the client tells about where and how the attempt is taken."""

    is_practice: bool = False
    environment: str | None = None
    session_id: str | None = None
    device_info: Mapping[str, Any] | None = None
    location: Mapping[str, Any] | None = None
    client_ip: str | None = None


def hash_ip(ip_address: str, key: str) -> str:
    """The keyed HMAC-SHA256 of an IP address: comparable, never reversible without the key."""
    return hmac.new(key.encode(), ip_address.encode(), hashlib.sha256).hexdigest()


def _emit(
    session: Session, attempt: Attempt, kind: str, payload: Mapping[str, Any], cause: str | None
) -> None:
    record_event(
        session,
        Envelope(
            type=f"attempts.attempt.{kind}",
            producer=PRODUCER,
            subject=attempt.student_id,
            course_id=attempt.course_id,
            correlation_id=cause,
            payload=payload,
        ),
    )


def answers_of(session: Session, attempt_id: str) -> list[AttemptAnswer]:
    query = sa.select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)
    return list(session.execute(query.order_by(AttemptAnswer.answered_at)).scalars())


# -- starting ----------------------------------------------------------------------------
def start(
    session: Session,
    record: QuizRecord,
    quiz: Quiz,
    *,
    student_id: str,
    context: StartContext,
    ip_hash_key: str,
    now: datetime,
    cause: str | None = None,
) -> Attempt:
    """Start the student's next attempt; expired open attempts are closed first."""
    earlier = list(
        session.execute(
            sa.select(Attempt)
            .where(Attempt.student_id == student_id, Attempt.quiz_id == record.quiz_id)
            .with_for_update()
        ).scalars()
    )
    still_open = [a for a in earlier if a.status == AttemptStatus.IN_PROGRESS]
    close_expired(session, still_open, now, cause)
    previous = [
        PreviousAttempt(
            a.id, a.attempt_number, a.is_practice, AttemptStatus(a.status), a.started_at
        )
        for a in earlier
    ]
    attempt_id = f"QZAT-{uuid.uuid4().hex}"
    started = start_attempt(
        quiz, attempt_id=attempt_id, previous_attempts=previous,
        is_practice=context.is_practice, now=now,
    )  # fmt: skip
    location = dict(context.location or {})
    location["ip_address"] = hash_ip(context.client_ip, ip_hash_key) if context.client_ip else None
    attempt = Attempt(
        id=attempt_id,
        student_id=student_id,
        quiz_id=record.quiz_id,
        quiz_version=record.current_version,
        course_id=quiz.course_id,
        lesson_id=quiz.lesson_id,
        status=started.status.value,
        started_at=now,
        time_limit_ends_at=started.time_limit_ends_at,
        expires_at=deadline_of(quiz, now),
        time_limit_exceeded=False,
        points_possible=quiz.points_possible,
        passing_score=quiz.passing_score,
        teacher_points={},
        attempt_number=started.attempt_number,
        is_practice=started.is_practice,
        environment=context.environment,
        device_info=dict(context.device_info or {}),
        location_info=location,
        integrity_flags=[],
        session_id=context.session_id,
        interruptions=0,
        question_order=list(started.question_order),
        randomized=started.randomized,
        adaptive=started.adaptive,
        difficulty_adjustments=list(started.difficulty_adjustments),
        updated_at=now,
    )
    session.add(attempt)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another start of the same student and quiz committed first.
        raise Conflict("another attempt on this quiz was started at the same time") from exc
    _emit(session, attempt, "started", documents.started_payload(attempt), cause)
    return attempt


# -- closing -----------------------------------------------------------------------------
def _apply_closing(attempt: Attempt, quiz: Quiz, closed: ClosedAttempt, now: datetime) -> None:
    score = closed.score
    attempt.status = closed.status.value
    attempt.completed_at = closed.completed_at
    attempt.time_spent = score.time_spent_minutes
    attempt.time_limit_exceeded = score.time_limit_exceeded
    attempt.score = score.score
    attempt.points_earned = score.points_earned
    attempt.points_possible = score.points_possible
    attempt.passed = score.passed
    attempt.passing_score = score.passing_score
    attempt.results = [documents.stored_result(result) for result in score.results]
    attempt.auto_feedback = auto_feedback(quiz, score)
    attempt.graded_at = now if closed.status is AttemptStatus.GRADED else None
    attempt.updated_at = now


def close_expired(
    session: Session, attempts: Sequence[Attempt], now: datetime, cause: str | None = None
) -> list[Attempt]:
    """Close the in-progress attempts among ``attempts`` whose deadline has passed."""
    quizzes = quizzes_of_versions(session, {(a.quiz_id, a.quiz_version) for a in attempts})
    closed = []
    for attempt in attempts:
        quiz = quizzes[(attempt.quiz_id, attempt.quiz_version)]
        if attempt.status != AttemptStatus.IN_PROGRESS or not is_expired(
            quiz, attempt.started_at, now
        ):
            continue
        result = close_expired_attempt(
            quiz,
            status=AttemptStatus(attempt.status),
            answers=[documents.answer_record(row) for row in answers_of(session, attempt.id)],
            started_at=attempt.started_at,
            now=now,
        )
        _apply_closing(attempt, quiz, result, now)
        _emit(session, attempt, "submitted", documents.result_payload(attempt), cause)
        closed.append(attempt)
    session.flush()
    return closed


def close_expired_attempts(session: Session, now: datetime, *, limit: int = 500) -> list[Attempt]:
    """The sweep: close up to ``limit`` expired in-progress attempts (the caller commits).

    Rows another sweep or a request holds are skipped (``SKIP LOCKED``), so concurrent
    sweeps never close an attempt twice; what is skipped is closed by the next run or
    when it is next touched.
    """
    expired = list(
        session.execute(
            sa.select(Attempt)
            .where(Attempt.status == AttemptStatus.IN_PROGRESS.value, Attempt.expires_at < now)
            .order_by(Attempt.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    return close_expired(session, expired, now)


def ensure_open(
    session: Session, attempt: Attempt, quiz: Quiz, now: datetime, cause: str | None = None
) -> bool:
    """False, after closing it, when ``attempt`` ran out of time; the caller then commits
    the closing (and an answer gets 409, :func:`expired_error`)."""
    if attempt.status == AttemptStatus.IN_PROGRESS and is_expired(quiz, attempt.started_at, now):
        close_expired(session, [attempt], now, cause)
        return False
    return True


def expired_error() -> AttemptExpired:
    return AttemptExpired("the attempt's time limit has passed; it was closed and scored")


def submit(
    session: Session, attempt: Attempt, quiz: Quiz, now: datetime, cause: str | None = None
) -> Attempt:
    """Submit and score; submitting a closed attempt again returns it unchanged."""
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return attempt
    closed = submit_attempt(
        quiz,
        status=AttemptStatus(attempt.status),
        answers=[documents.answer_record(row) for row in answers_of(session, attempt.id)],
        started_at=attempt.started_at,
        now=now,
    )
    _apply_closing(attempt, quiz, closed, now)
    _emit(session, attempt, "submitted", documents.result_payload(attempt), cause)
    session.flush()
    return attempt


# -- answering ----------------------------------------------------------------------------
ATTEMPTS = cast(sa.Table, Attempt.__table__)
ANSWERS = cast(sa.Table, AttemptAnswer.__table__)

#: The attempt as saving an answer needs it, locked: its answers change under that lock.
LOCK_ANSWERED_ATTEMPT = (
    sa.select(
        ATTEMPTS.c.id,
        ATTEMPTS.c.student_id,
        ATTEMPTS.c.course_id,
        ATTEMPTS.c.quiz_id,
        ATTEMPTS.c.quiz_version,
        ATTEMPTS.c.status,
        ATTEMPTS.c.started_at,
        ATTEMPTS.c.question_order,
    )
    .where(ATTEMPTS.c.id == sa.bindparam("attempt_id"))
    .with_for_update()
)
_ANSWER_KEY = (ANSWERS.c.attempt_id == sa.bindparam("key_attempt_id")) & (
    ANSWERS.c.question_id == sa.bindparam("key_question_id")
)
HELD_ANSWER = sa.select(
    ANSWERS.c.question_id,
    ANSWERS.c.answer,
    ANSWERS.c.answered_at,
    ANSWERS.c.time_spent_seconds,
    ANSWERS.c.attempts_before_answer,
    ANSWERS.c.confidence_level,
).where(_ANSWER_KEY)
INSERT_ANSWER = ANSWERS.insert()
UPDATE_ANSWER = ANSWERS.update().where(_ANSWER_KEY)


@dataclass(frozen=True)
class SavedAnswer:
    record: AnswerRecord
    question_type: str
    question_order: list[str]


def answer_target(session: Session, attempt_id: str) -> sa.Row[Any] | None:
    """The attempt, locked, with the columns saving an answer needs (None: no such attempt)."""
    return session.execute(LOCK_ANSWERED_ATTEMPT, {"attempt_id": attempt_id}).first()


def is_due_closing(target: sa.Row[Any] | Attempt, quiz: Quiz, now: datetime) -> bool:
    """True when the attempt is still open but ran out of time (see :func:`ensure_open`)."""
    return target.status == AttemptStatus.IN_PROGRESS and is_expired(quiz, target.started_at, now)


def save_answer(
    session: Session,
    target: sa.Row[Any],
    quiz: Quiz,
    *,
    question_id: str,
    answer: object,
    time_spent: float,
    confidence_level: int | None,
    now: datetime,
) -> SavedAnswer:
    """Record the answer: one row per question, inserted or rewritten in place.

    ``target`` is :func:`answer_target`'s row: the caller holds the attempt locked, so no
    other request writes this attempt's answers meanwhile. The answer held is read only
    now, in a statement of its own: one that waited for the lock then sees what the
    previous holder committed. The row is read and written with statements built once
    (no ORM unit of work), this being the service's most frequent request; only an
    adaptive attempt, which changes with each answer, is loaded as an object.
    """
    key = {"key_attempt_id": target.id, "key_question_id": question_id}
    held = session.execute(HELD_ANSWER, key).first()
    record = record_answer(
        quiz,
        status=AttemptStatus(target.status),
        started_at=target.started_at,
        question_order=target.question_order,
        previous=None if held is None else documents.answer_record(held),
        question_id=question_id,
        answer=answer,
        time_spent_seconds=time_spent,
        confidence_level=confidence_level,
        now=now,
    )
    question_type = quiz.question(question_id).type.value
    values = {
        "question_type": question_type,
        "answer": record.answer,
        "answered_at": record.answered_at,
        "time_spent_seconds": record.time_spent_seconds,
        "attempts_before_answer": record.attempts_before_answer,
        "confidence_level": record.confidence_level,
    }
    if held is None:
        session.execute(
            INSERT_ANSWER, {"attempt_id": target.id, "question_id": question_id, **values}
        )
    else:
        session.execute(UPDATE_ANSWER, {**key, **values})
    question_order = list(target.question_order)
    if quiz.adaptive:
        attempt = session.get_one(Attempt, target.id)  # locked by answer_target
        _present_next_question(session, attempt, quiz)
        attempt.updated_at = now
        question_order = list(attempt.question_order)
    return SavedAnswer(record, question_type, question_order)


def _present_next_question(session: Session, attempt: Attempt, quiz: Quiz) -> None:
    """Adaptive: record the difficulty moves so far and present the next question."""
    answered = [documents.answer_record(row) for row in answers_of(session, attempt.id)]
    step = next_adaptive_question(quiz, attempt.id, answered)
    order = list(attempt.question_order)
    if step.next_question_id is not None and step.next_question_id not in order:
        order.append(step.next_question_id)
    attempt.question_order = order
    attempt.difficulty_adjustments = list(step.difficulty_adjustments)


# -- integrity ---------------------------------------------------------------------------
def add_flag(
    session: Session, attempt: Attempt, raw_flag: Mapping[str, Any], now: datetime,
    cause: str | None = None,
) -> bool:  # fmt: skip
    """Record an integrity flag; False when it folded into one already held."""
    flag = parse_integrity_flag(raw_flag)
    ensure_integrity_flag_accepted(
        AttemptStatus(attempt.status), flag, completed_at=attempt.completed_at
    )
    existing = [documents.integrity_flag(stored) for stored in attempt.integrity_flags]
    flags = add_integrity_flag(existing, flag)
    if len(flags) == len(existing):
        return False
    attempt.integrity_flags = [documents.stored_flag(kept) for kept in flags]
    attempt.interruptions = count_interruptions(flags)
    attempt.updated_at = now
    _emit(
        session,
        attempt,
        "flagged",
        documents.flagged_payload(attempt, flag, count_flags_by_type(flags)),
        cause,
    )
    return True


# -- grading -----------------------------------------------------------------------------
def give_feedback(
    session: Session,
    attempt: Attempt,
    quiz: Quiz,
    *,
    feedback: str | None,
    points: Mapping[str, float],
    by: str,
    now: datetime,
    cause: str | None = None,
) -> Attempt:
    """Record a teacher's feedback and points, rescore, and emit ``graded`` once final."""
    ensure_action_allowed(AttemptStatus(attempt.status), AttemptAction.GIVE_FEEDBACK)
    overrides = {**attempt.teacher_points, **points}
    assert attempt.completed_at is not None  # closed attempts always have one
    closed = grade_attempt(
        quiz,
        status=AttemptStatus(attempt.status),
        answers=[documents.answer_record(row) for row in answers_of(session, attempt.id)],
        started_at=attempt.started_at,
        completed_at=attempt.completed_at,
        time_limit_exceeded=attempt.time_limit_exceeded,
        overrides=overrides,
    )
    _apply_closing(attempt, quiz, closed, now)
    attempt.teacher_points = overrides
    if feedback is not None:
        attempt.feedback = feedback
    attempt.feedback_provided_at = now
    attempt.feedback_provided_by = by
    if closed.status is AttemptStatus.GRADED:
        _emit(session, attempt, "graded", documents.result_payload(attempt), cause)
    session.flush()
    return attempt
