"""Every query, lock and row <-> domain mapping of the attempts service.

Quiz versions are never changed or deleted, so an attempt is always scored against
the definition it started on, and a parsed definition stays right for the life of the
process (``parsed_quiz``). An attempt that changes is locked (``SELECT ... FOR UPDATE``
on PostgreSQL). Saving an answer, the most frequent request, reads and writes with
statements built once (no ORM unit of work).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Json
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.attempts.domain import (
    AnswerRecord,
    AttemptStatus,
    IntegrityFlag,
    IntegrityFlagType,
    QuestionResult,
    QuestionType,
    Quiz,
    parse_quiz_definition,
)
from services.attempts.models import Attempt, AttemptAnswer, QuizRecord, QuizVersion
from shared.audit import commit_statement_with_audit, commit_with_audit, execute_with_audit
from shared.db import session_cursor
from shared.errors import Conflict
from shared.time import parse_iso, to_iso


# -- quizzes -------------------------------------------------------------------------------
def quiz_record(session: Session, quiz_id: str, *, lock: bool = False) -> QuizRecord | None:
    return session.get(QuizRecord, quiz_id, with_for_update=lock or None)


def quiz_version(session: Session, quiz_id: str, version: int) -> tuple[QuizVersion, Quiz]:
    """A stored version and its parsed definition (stored versions were validated)."""
    row = session.get(QuizVersion, (quiz_id, version))
    if row is None:
        raise LookupError(f"quiz {quiz_id} has no version {version}")
    return row, parse_quiz_definition(row.definition)


def add_quiz_version(
    session: Session,
    record: QuizRecord | None,
    quiz: Quiz,
    definition: dict[str, Any],
    *,
    by: str,
    now: datetime,
) -> tuple[QuizRecord, QuizVersion]:
    """The quiz's current version: ``definition`` if it is the current one already,
    else a new version (the record is inserted on the first publication)."""
    if record is None:
        record = QuizRecord(
            quiz_id=quiz.quiz_id, course_id=quiz.course_id, current_version=0, updated_at=now,
            updated_by=by,
        )  # fmt: skip
        session.add(record)
    else:
        current = session.get(QuizVersion, (quiz.quiz_id, record.current_version))
        if current is not None and current.definition == definition:
            return record, current
    version = QuizVersion(
        quiz_id=quiz.quiz_id,
        version=record.current_version + 1,
        definition=definition,
        published_at=now,
        published_by=by,
    )
    record.current_version = version.version
    record.updated_at, record.updated_by = now, by
    session.add(version)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another publication of the same quiz committed first; the client may retry.
        raise Conflict(f"quiz {quiz.quiz_id} was published concurrently; send it again") from exc
    return record, version


#: Parsed definitions by (database, quiz, version). A stored version never changes, so
#: a parsed copy stays right for the life of the process; the bound keeps memory small.
_PARSED: OrderedDict[tuple[str, str, int], Quiz] = OrderedDict()
_PARSED_LIMIT = 512


def cached_quiz(engine: sa.Engine, quiz_id: str, version: int) -> Quiz | None:
    """The parsed definition of a stored version if this process has parsed it already."""
    return _PARSED.get((str(engine.url), quiz_id, version))


def parsed_quiz(session: Session, quiz_id: str, version: int) -> Quiz:
    """The parsed definition of a stored version, read and parsed once per process."""
    key = (str(session.get_bind().engine.url), quiz_id, version)
    quiz = _PARSED.get(key)
    if quiz is None:
        quiz = quiz_version(session, quiz_id, version)[1]
        _PARSED[key] = quiz
        while len(_PARSED) > _PARSED_LIMIT:
            _PARSED.popitem(last=False)
    return quiz


def quizzes_of_versions(
    session: Session, keys: Collection[tuple[str, int]]
) -> dict[tuple[str, int], Quiz]:
    """The parsed definitions of several versions at once (for the sweep and listings)."""
    return {key: parsed_quiz(session, *key) for key in sorted(keys)}


# -- attempts ------------------------------------------------------------------------------
def attempt_by_id(session: Session, attempt_id: str, *, lock: bool = False) -> Attempt | None:
    return session.get(Attempt, attempt_id, with_for_update=lock or None)


def locked_attempt(session: Session, attempt_id: str) -> Attempt:
    """An attempt already locked by this transaction (``answer_target``)."""
    return session.get_one(Attempt, attempt_id)


def attempts_at_quiz(session: Session, student_id: str, quiz_id: str) -> list[Attempt]:
    """The student's attempts at the quiz, locked (a start counts them)."""
    query = (
        sa.select(Attempt)
        .where(Attempt.student_id == student_id, Attempt.quiz_id == quiz_id)
        .with_for_update()
    )
    return list(session.execute(query).scalars())


def add_attempt(session: Session, attempt: Attempt) -> None:
    session.add(attempt)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another start of the same student and quiz committed first.
        raise Conflict("another attempt on this quiz was started at the same time") from exc


def expired_attempts(session: Session, now: datetime, limit: int) -> list[Attempt]:
    """Up to ``limit`` in-progress attempts past their deadline, locked; rows another
    transaction holds are skipped (``SKIP LOCKED``)."""
    query = (
        sa.select(Attempt)
        .where(Attempt.status == AttemptStatus.IN_PROGRESS.value, Attempt.expires_at < now)
        .order_by(Attempt.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.execute(query).scalars())


def closed_attempts_of_version(session: Session, quiz_id: str, version: int) -> list[Attempt]:
    """The closed, graded-kind (not practice) attempts on one version of a quiz."""
    query = sa.select(Attempt).where(
        Attempt.quiz_id == quiz_id,
        Attempt.quiz_version == version,
        Attempt.is_practice.is_(False),
        Attempt.status != AttemptStatus.IN_PROGRESS.value,
    )
    return list(session.execute(query).scalars())


def answers_of(session: Session, attempt_id: str) -> list[AttemptAnswer]:
    query = sa.select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)
    return list(session.execute(query.order_by(AttemptAnswer.answered_at)).scalars())


def answers_of_attempts(
    session: Session, attempt_ids: Collection[str]
) -> dict[str, list[AttemptAnswer]]:
    answers: dict[str, list[AttemptAnswer]] = {attempt_id: [] for attempt_id in attempt_ids}
    if answers:
        query = sa.select(AttemptAnswer).where(AttemptAnswer.attempt_id.in_(list(answers)))
        for answer in session.execute(query).scalars():
            answers[answer.attempt_id].append(answer)
    return answers


# -- answers -------------------------------------------------------------------------------
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


class AnswerTarget(NamedTuple):
    """The attempt as saving an answer needs it (``LOCK_ANSWERED_ATTEMPT``'s columns)."""

    id: str
    student_id: str
    course_id: str
    quiz_id: str
    quiz_version: int
    status: str
    started_at: datetime
    question_order: list[str]


def _driver_sql(statement: sa.Executable) -> str:
    return str(statement.compile(dialect=postgresql.psycopg.dialect()))  # type: ignore[attr-defined]


# On PostgreSQL the three statements of an answer run on the driver's cursor of the
# request's session (``shared.db.session_cursor``), in its transaction: SQLAlchemy's
# execution of each had cost more CPU than the statement.
_LOCK_SQL = _driver_sql(LOCK_ANSWERED_ATTEMPT)
_HELD_SQL = _driver_sql(HELD_ANSWER)
_ANSWER_VALUES = (
    "question_type",
    "answer",
    "answered_at",
    "time_spent_seconds",
    "attempts_before_answer",
    "confidence_level",
)
_INSERT_SQL = (
    f"INSERT INTO {ANSWERS.name} (attempt_id, question_id, {', '.join(_ANSWER_VALUES)}) "
    f"VALUES (%(attempt_id)s, %(question_id)s, "
    f"{', '.join(f'%({name})s' for name in _ANSWER_VALUES)})"
)
_UPDATE_SQL = (
    f"UPDATE {ANSWERS.name} SET {', '.join(f'{name} = %({name})s' for name in _ANSWER_VALUES)} "
    f"WHERE attempt_id = %(attempt_id)s AND question_id = %(question_id)s"
)


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


#: where the answer save's statements run: the request's session, or the cursor of a
#: driver transaction (PostgreSQL, ``usecases.answer_on_driver``)
Statements = Session | psycopg.Cursor[Any]


@contextmanager
def _cursor(statements: Statements) -> Iterator[psycopg.Cursor[Any]]:
    if isinstance(statements, Session):
        with session_cursor(statements) as cursor:
            yield cursor
    else:
        yield statements


def answer_target(statements: Statements, attempt_id: str) -> AnswerTarget | None:
    """The attempt, locked, with the columns saving an answer needs (None: no such attempt)."""
    if isinstance(statements, Session) and not _on_postgresql(statements):
        found = statements.execute(LOCK_ANSWERED_ATTEMPT, {"attempt_id": attempt_id}).first()
        return None if found is None else AnswerTarget._make(found)
    with _cursor(statements) as cursor:
        cursor.execute(_LOCK_SQL, {"attempt_id": attempt_id})
        row = cursor.fetchone()
    if row is None:
        return None
    target = AnswerTarget._make(row)
    return target._replace(started_at=target.started_at.astimezone(UTC))


def held_answer(statements: Statements, attempt_id: str, question_id: str) -> AnswerRecord | None:
    """The answer held for the question, read in a statement of its own: one that waited
    for the attempt's lock sees what the previous holder committed."""
    key = {"key_attempt_id": attempt_id, "key_question_id": question_id}
    if isinstance(statements, Session) and not _on_postgresql(statements):
        held = statements.execute(HELD_ANSWER, key).first()
        return None if held is None else answer_record(held)
    with _cursor(statements) as cursor:
        cursor.execute(_HELD_SQL, key)
        row = cursor.fetchone()
    if row is None:
        return None
    question, answer, answered_at, time_spent, attempts_before, confidence = row
    return AnswerRecord(
        question_id=question,
        answer=answer,
        answered_at=answered_at.astimezone(UTC),
        time_spent_seconds=time_spent,
        attempts_before_answer=attempts_before,
        confidence_level=confidence,
    )


def write_answer(
    session: Session, attempt_id: str, record: AnswerRecord, question_type: str, *, held: bool
) -> None:
    """Insert the question's answer row, or rewrite the one ``held``."""
    if not _on_postgresql(session):
        values = _answer_values(record, question_type)
        if held:
            key = {"key_attempt_id": attempt_id, "key_question_id": record.question_id}
            session.execute(UPDATE_ANSWER, {**key, **values})
        else:
            session.execute(
                INSERT_ANSWER,
                {"attempt_id": attempt_id, "question_id": record.question_id, **values},
            )
        return
    with session_cursor(session) as cursor:
        cursor.execute(*_answer_statement(attempt_id, record, question_type, held=held))


def commit_answer(
    session: Session, attempt_id: str, record: AnswerRecord, question_type: str, *, held: bool
) -> None:
    """``write_answer`` committed with the request's audit rows (``commit_with_audit``);
    on PostgreSQL the write and the audit rows are one statement."""
    if not _on_postgresql(session):
        write_answer(session, attempt_id, record, question_type, held=held)
        commit_with_audit(session, 200)
        return
    statement, parameters = _answer_statement(attempt_id, record, question_type, held=held)
    commit_statement_with_audit(session, 200, statement, parameters)


def write_answer_with_audit(
    cursor: psycopg.Cursor[Any],
    attempt_id: str,
    record: AnswerRecord,
    question_type: str,
    *,
    held: bool,
    audit: Sequence[dict[str, Any]],
) -> None:
    """``write_answer`` and the ``audit`` rows in one statement, in a driver transaction."""
    statement, parameters = _answer_statement(attempt_id, record, question_type, held=held)
    execute_with_audit(cursor, statement, parameters, audit)


def _answer_values(record: AnswerRecord, question_type: str) -> dict[str, Any]:
    return {
        "question_type": question_type,
        "answer": record.answer,
        "answered_at": record.answered_at,
        "time_spent_seconds": record.time_spent_seconds,
        "attempts_before_answer": record.attempts_before_answer,
        "confidence_level": record.confidence_level,
    }


def _answer_statement(
    attempt_id: str, record: AnswerRecord, question_type: str, *, held: bool
) -> tuple[str, dict[str, Any]]:
    """The driver's statement writing the answer row, and its parameters (PostgreSQL)."""
    if record.answered_at.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    values = _answer_values(record, question_type)
    values["answer"] = Json(record.answer)
    values["answered_at"] = record.answered_at.astimezone(UTC)
    return (
        _UPDATE_SQL if held else _INSERT_SQL,
        {"attempt_id": attempt_id, "question_id": record.question_id, **values},
    )


# -- rows <-> the domain's values ----------------------------------------------------------
def answer_record(row: AttemptAnswer | sa.Row[Any]) -> AnswerRecord:
    return AnswerRecord(
        question_id=row.question_id,
        answer=row.answer,
        answered_at=row.answered_at,
        time_spent_seconds=row.time_spent_seconds,
        attempts_before_answer=row.attempts_before_answer,
        confidence_level=row.confidence_level,
    )


def answer_records(session: Session, attempt_id: str) -> list[AnswerRecord]:
    return [answer_record(row) for row in answers_of(session, attempt_id)]


def stored_result(result: QuestionResult) -> dict[str, Any]:
    return {**asdict(result), "question_type": result.question_type.value}


def question_result(stored: Mapping[str, Any]) -> QuestionResult:
    return QuestionResult(**{**stored, "question_type": QuestionType(stored["question_type"])})


def stored_flag(flag: IntegrityFlag) -> dict[str, Any]:
    return {"type": flag.type.value, "timestamp": to_iso(flag.timestamp), "details": flag.details}


def integrity_flag(stored: Mapping[str, Any]) -> IntegrityFlag:
    return IntegrityFlag(
        IntegrityFlagType(stored["type"]), parse_iso(stored["timestamp"]), stored["details"]
    )
