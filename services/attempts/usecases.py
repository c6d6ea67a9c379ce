"""The attempts service's use cases: one function per command or query, one transaction.

The caller (a view) has loaded and authorized the quiz or the attempt, which is
locked when it will change; each command applies the domain's rules
(``services.attempts.domain``), stores the result, records its events in the outbox of
the same transaction and commits. An attempt found past its deadline is closed (and
that closing committed) before anything else.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.attempts import access, events, store
from services.attempts.documents import document_for
from services.attempts.domain import (
    AnswerRecord,
    AttemptAction,
    AttemptExpired,
    AttemptForAnalysis,
    AttemptStatus,
    ClosedAttempt,
    PreviousAttempt,
    Quiz,
    add_integrity_flag,
    analyze_items,
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
    parse_quiz_definition,
    record_answer,
    start_attempt,
    submit_attempt,
)
from services.attempts.models import Attempt, QuizRecord, QuizVersion
from shared.audit import (
    audit_committed,
    audit_mark,
    commit_with_audit,
    discard_audit_since,
    pending_audit_rows,
)
from shared.auth import Principal
from shared.db import Database, driver_transaction
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import record_event
from shared.events.contracts import Payload
from shared.pagination import Page, filter_and_paginate

Document = dict[str, Any]


def _emit(session: Session, attempt: Attempt, payload: Payload, cause: str | None) -> None:
    record_event(session, events.envelope(attempt, payload, cause))


# -- quizzes -------------------------------------------------------------------------------
def read_quiz(
    session: Session, quiz_id: str, version: int | None
) -> tuple[QuizRecord, QuizVersion, Quiz]:
    """A quiz version (default: its current one); NotFound beyond it."""
    record = store.quiz_record(session, quiz_id)
    number = record.current_version if record is not None and version is None else version or 0
    if record is None or number > record.current_version:
        raise NotFound(f"quiz {quiz_id} not found")
    version_row, quiz = store.quiz_version(session, quiz_id, number)
    return record, version_row, quiz


def publish_quiz(
    session: Session,
    record: QuizRecord | None,
    quiz_id: str,
    raw: Mapping[str, Any],
    *,
    by: str,
    now: datetime,
) -> tuple[QuizRecord, QuizVersion, Quiz]:
    """Validate ``raw`` and make it the current version of ``quiz_id`` (``record``,
    locked, is the quiz as stored, None before its first publication).

    A PUT of the definition already current changes nothing (a retried request is
    harmless). A quiz stays in the course it was first published in.
    """
    if raw.get("quiz_id", quiz_id) != quiz_id:
        raise InvalidInput.for_field("quiz_id", "must match the quiz id of the path")
    definition = {**raw, "quiz_id": quiz_id}
    quiz = parse_quiz_definition(definition)
    if record is not None and record.course_id != quiz.course_id:
        raise Conflict(f"quiz {quiz_id} belongs to course {record.course_id}; it cannot move")
    record, version = store.add_quiz_version(session, record, quiz, definition, by=by, now=now)
    session.commit()
    return record, version, quiz


def analyse_items(
    session: Session, record: QuizRecord, version: int | None
) -> tuple[list[Attempt], Document]:
    """Facility and discrimination per question over closed, graded-kind attempts; the
    attempts counted come first (the caller audits them)."""
    number = record.current_version if version is None else version
    if number > record.current_version:
        raise NotFound(f"quiz {record.quiz_id} has no version {number}")
    _, quiz = store.quiz_version(session, record.quiz_id, number)
    rows = store.closed_attempts_of_version(session, record.quiz_id, number)
    analysed = [
        AttemptForAnalysis(
            attempt_id=row.id,
            status=AttemptStatus(row.status),
            is_practice=row.is_practice,
            score=row.score or 0.0,
            results=tuple(store.question_result(stored) for stored in row.results or []),
        )
        for row in rows
    ]
    return rows, {
        "quiz_id": record.quiz_id,
        "version": number,
        "attempts_counted": len(analysed),
        "items": analyze_items(quiz, analysed),
    }


# -- starting ------------------------------------------------------------------------------
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


def start(
    session: Session,
    record: QuizRecord,
    *,
    student_id: str,
    role: str,
    context: StartContext,
    ip_hash_key: str,
    now: datetime,
    cause: str | None = None,
) -> Document:
    """Start the student's next attempt; expired open attempts are closed first."""
    quiz = store.parsed_quiz(session, record.quiz_id, record.current_version)
    earlier = store.attempts_at_quiz(session, student_id, record.quiz_id)
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
    store.add_attempt(session, attempt)
    _emit(session, attempt, events.started(attempt), cause)
    session.commit()
    return document_for(role, attempt, quiz, [])


# -- closing -------------------------------------------------------------------------------
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
    attempt.results = [store.stored_result(result) for result in score.results]
    attempt.auto_feedback = auto_feedback(quiz, score)
    attempt.graded_at = now if closed.status is AttemptStatus.GRADED else None
    attempt.updated_at = now


def _as_answered(session: Session, attempt: Attempt) -> dict[str, Any]:
    """What scoring an attempt reads of it: its status, answers and start."""
    return {
        "status": AttemptStatus(attempt.status),
        "answers": store.answer_records(session, attempt.id),
        "started_at": attempt.started_at,
    }


def close_expired(
    session: Session, attempts: Sequence[Attempt], now: datetime, cause: str | None = None
) -> list[Attempt]:
    """Close the in-progress attempts among ``attempts`` whose deadline has passed."""
    quizzes = store.quizzes_of_versions(session, {(a.quiz_id, a.quiz_version) for a in attempts})
    closed = []
    for attempt in attempts:
        quiz = quizzes[(attempt.quiz_id, attempt.quiz_version)]
        if not is_due_closing(attempt, quiz, now):
            continue
        result = close_expired_attempt(quiz, **_as_answered(session, attempt), now=now)
        _apply_closing(attempt, quiz, result, now)
        _emit(session, attempt, events.submitted(attempt), cause)
        closed.append(attempt)
    session.flush()
    return closed


def close_expired_attempts(session: Session, now: datetime, *, limit: int = 500) -> list[Attempt]:
    """Close up to ``limit`` expired in-progress attempts (the caller commits).

    Rows another sweep or a request holds are skipped, so concurrent sweeps never close
    an attempt twice; what is skipped is closed by the next run or when it is next
    touched.
    """
    return close_expired(session, store.expired_attempts(session, now, limit), now)


def sweep(session: Session, now: datetime) -> list[Attempt]:
    """The sweep (run by cron): close every attempt past its deadline, and commit."""
    closed = close_expired_attempts(session, now)
    session.commit()
    return closed


def is_due_closing(
    target: store.AnswerTarget | sa.Row[Any] | Attempt, quiz: Quiz, now: datetime
) -> bool:
    """True when the attempt is still open but ran out of time."""
    return target.status == AttemptStatus.IN_PROGRESS and is_expired(quiz, target.started_at, now)


def expired_error() -> AttemptExpired:
    return AttemptExpired("the attempt's time limit has passed; it was closed and scored")


def _close_if_expired(
    session: Session, attempt: Attempt, quiz: Quiz, now: datetime, cause: str | None
) -> bool:
    """Close a touched attempt that ran out of time (committed with the change); True if
    it did."""
    if is_due_closing(attempt, quiz, now):
        close_expired(session, [attempt], now, cause)
        return True
    return False


def _document(session: Session, role: str, attempt: Attempt, quiz: Quiz) -> Document:
    """The attempt as ``role`` sees it. Built before committing: on SQLite a query after
    the commit would open a write transaction that the audit writer then waits for."""
    return document_for(role, attempt, quiz, store.answers_of(session, attempt.id))


def read_attempt(
    session: Session, attempt: Attempt, quiz: Quiz, *, role: str, now: datetime, cause: str | None
) -> Document:
    """The attempt as ``role`` may see it (closed first if it ran out of time)."""
    closed = _close_if_expired(session, attempt, quiz, now, cause)
    document = _document(session, role, attempt, quiz)
    if closed:
        session.commit()
    return document


def list_attempts(
    session: Session, principal: Principal, query: Mapping[str, Any]
) -> tuple[Page, list[Document]]:
    """Attempts the caller may see, filtered, oldest start first, as its role sees them."""
    page = filter_and_paginate(
        session,
        Attempt,
        where=principal.scope().where(Attempt.student_id, Attempt.course_id),
        filters={
            name: query.get(name) for name in ("student_id", "quiz_id", "course_id", "status")
        },
        order_by=("started_at", "id"),
        limit=query["limit"],
        cursor=query["cursor"],
    )
    quizzes = store.quizzes_of_versions(session, {(a.quiz_id, a.quiz_version) for a in page.items})
    answers = store.answers_of_attempts(session, [row.id for row in page.items])
    documents = [
        document_for(principal.role, row, quizzes[(row.quiz_id, row.quiz_version)], answers[row.id])
        for row in page.items
    ]
    return page, documents


# -- answering -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SavedAnswer:
    record: AnswerRecord
    question_type: str
    question_order: list[str]


def answer_on_driver(
    database: Database,
    principal: Principal,
    attempt_id: str,
    *,
    question_id: str,
    answer: object,
    time_spent: float,
    confidence_level: int | None,
    now: datetime,
) -> SavedAnswer | None:
    """``answer`` in one driver transaction, without a session (PostgreSQL): lock and
    authorize, the held answer, then the write and its audit in one statement.

    None when the attempt needs the general path: an adaptive quiz (its next question
    is chosen on the attempt's object), an attempt out of time (closed and scored), a
    quiz version this process has not parsed yet. Nothing was written then; the lock is
    released and the access is left unaudited, for ``answer`` to do it all again.
    """
    mark = audit_mark()
    with driver_transaction(database.engine, pipeline=False) as cursor:
        target = access.attempt_to_answer(cursor, principal, attempt_id)
        quiz = store.cached_quiz(database.engine, target.quiz_id, target.quiz_version)
        if quiz is None or quiz.adaptive or is_due_closing(target, quiz, now):
            discard_audit_since(mark)
            return None
        held = store.held_answer(cursor, target.id, question_id)
        saved = _answered(
            quiz, target, held, question_id, answer, time_spent, confidence_level, now
        )
        rows = pending_audit_rows(200)
        store.write_answer_with_audit(
            cursor,
            target.id,
            saved.record,
            saved.question_type,
            held=held is not None,
            audit=rows,
        )
    audit_committed(len(rows))
    return saved


def answer(
    session: Session,
    target: store.AnswerTarget,
    *,
    question_id: str,
    answer: object,
    time_spent: float,
    confidence_level: int | None,
    now: datetime,
    cause: str | None,
) -> SavedAnswer:
    """Record the answer (one row per question, inserted or rewritten in place) and
    commit it with its audit; an attempt out of time is closed instead (409).

    ``target`` is ``store.answer_target``'s row: the attempt is locked, so no other
    request writes its answers meanwhile. Only an adaptive attempt, which changes with
    each answer, is loaded as an object.
    """
    quiz = store.parsed_quiz(session, target.quiz_id, target.quiz_version)
    if is_due_closing(target, quiz, now):
        close_expired(session, [store.locked_attempt(session, target.id)], now, cause)
        session.commit()
        raise expired_error()
    held = store.held_answer(session, target.id, question_id)
    saved = _answered(quiz, target, held, question_id, answer, time_spent, confidence_level, now)
    record, question_type = saved.record, saved.question_type
    if not quiz.adaptive:
        store.commit_answer(session, target.id, record, question_type, held=held is not None)
        return saved
    store.write_answer(session, target.id, record, question_type, held=held is not None)
    attempt = store.locked_attempt(session, target.id)
    _present_next_question(session, attempt, quiz)
    attempt.updated_at = now
    commit_with_audit(session, 200)
    return SavedAnswer(record, question_type, list(attempt.question_order))


def _answered(
    quiz: Quiz,
    target: store.AnswerTarget,
    held: AnswerRecord | None,
    question_id: str,
    answer: object,
    time_spent: float,
    confidence_level: int | None,
    now: datetime,
) -> SavedAnswer:
    """The answer record the rules make of the request (``record_answer``)."""
    record = record_answer(
        quiz,
        status=AttemptStatus(target.status),
        started_at=target.started_at,
        question_order=target.question_order,
        previous=held,
        question_id=question_id,
        answer=answer,
        time_spent_seconds=time_spent,
        confidence_level=confidence_level,
        now=now,
    )
    question_type = quiz.question(question_id).type.value
    return SavedAnswer(record, question_type, list(target.question_order))


def _present_next_question(session: Session, attempt: Attempt, quiz: Quiz) -> None:
    """Adaptive: record the difficulty moves so far and present the next question."""
    step = next_adaptive_question(quiz, attempt.id, store.answer_records(session, attempt.id))
    order = list(attempt.question_order)
    if step.next_question_id is not None and step.next_question_id not in order:
        order.append(step.next_question_id)
    attempt.question_order = order
    attempt.difficulty_adjustments = list(step.difficulty_adjustments)


# -- integrity, submission, grading -------------------------------------------------------
def flag(
    session: Session,
    attempt: Attempt,
    quiz: Quiz,
    raw_flag: Mapping[str, Any],
    *,
    role: str,
    now: datetime,
    cause: str | None,
) -> Document:
    """Record an integrity flag; one of the same type within a second folds into the
    one held (and emits nothing)."""
    _close_if_expired(session, attempt, quiz, now, cause)
    new = parse_integrity_flag(raw_flag)
    ensure_integrity_flag_accepted(
        AttemptStatus(attempt.status), new, completed_at=attempt.completed_at
    )
    existing = [store.integrity_flag(stored) for stored in attempt.integrity_flags]
    flags = add_integrity_flag(existing, new)
    if len(flags) > len(existing):
        attempt.integrity_flags = [store.stored_flag(kept) for kept in flags]
        attempt.interruptions = count_interruptions(flags)
        attempt.updated_at = now
        _emit(session, attempt, events.flagged(attempt, new, count_flags_by_type(flags)), cause)
    document = _document(session, role, attempt, quiz)
    session.commit()
    return document


def submit(
    session: Session, attempt: Attempt, quiz: Quiz, *, role: str, now: datetime, cause: str | None
) -> Document:
    """Submit and score; submitting a closed attempt again returns it unchanged."""
    _close_if_expired(session, attempt, quiz, now, cause)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        closed = submit_attempt(quiz, **_as_answered(session, attempt), now=now)
        _apply_closing(attempt, quiz, closed, now)
        _emit(session, attempt, events.submitted(attempt), cause)
        session.flush()
    document = _document(session, role, attempt, quiz)
    session.commit()
    return document


def give_feedback(
    session: Session,
    attempt: Attempt,
    quiz: Quiz,
    *,
    feedback: str | None,
    points: Mapping[str, float],
    by: str,
    role: str,
    now: datetime,
    cause: str | None = None,
) -> Document:
    """Record a teacher's feedback and points, rescore, and emit ``graded`` once final."""
    _close_if_expired(session, attempt, quiz, now, cause)
    ensure_action_allowed(AttemptStatus(attempt.status), AttemptAction.GIVE_FEEDBACK)
    overrides = {**attempt.teacher_points, **points}
    assert attempt.completed_at is not None  # closed attempts always have one
    closed = grade_attempt(
        quiz,
        **_as_answered(session, attempt),
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
        _emit(session, attempt, events.graded(attempt), cause)
    session.flush()
    document = _document(session, role, attempt, quiz)
    session.commit()
    return document
