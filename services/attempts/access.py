"""Who may do what to quizzes and attempts, on top of ``shared.audit`` (every decision is audited).

* Quizzes are published by the course's teachers and admins; any authenticated caller
  may read a quiz, but only those authors see its answer keys.
* An attempt is taken (started, answered, flagged, submitted) by its student alone.
* Feedback and grading, and item analysis, belong to the course's teachers and admins.
* Reading follows the platform rule (``Principal.may_read``): the student, their
  parents, the course's teachers, admins and services; the document is then redacted
  per role by the domain's visibility rules.

A caller who may not see the attempt gets 404 as if it did not exist; a caller who may
see it but not do this gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from services.attempts import store
from services.attempts.domain import Quiz
from services.attempts.models import Attempt, QuizRecord
from shared.audit import audit_missing, authorize_action, authorize_record
from shared.auth import Principal
from shared.errors import Conflict, NotFound


class OwnedAttempt(Protocol):
    """What the rules look at: an ``Attempt``, or a row that selected these columns."""

    @property
    def student_id(self) -> str: ...

    @property
    def course_id(self) -> str: ...


Rule = Callable[[Principal, OwnedAttempt], bool]
Found = TypeVar("Found", bound=OwnedAttempt)


def resource_of(attempt_id: str) -> str:
    return f"attempt/{attempt_id}"


def is_own_attempt(principal: Principal, attempt: OwnedAttempt) -> bool:
    return principal.role == "student" and principal.sub == attempt.student_id


def is_course_staff(principal: Principal, attempt: OwnedAttempt) -> bool:
    return may_author(principal, attempt.course_id)


def may_author(principal: Principal, course_id: str) -> bool:
    """Teachers of the course and admins write quizzes, grade and analyse items."""
    return principal.role == "admin" or (
        principal.role == "teacher" and course_id in principal.courses
    )


def attempt_for(
    session: Session,
    principal: Principal,
    attempt_id: str,
    *,
    action: str,
    rule: Rule | None = None,
    lock: bool = False,
) -> tuple[Attempt, Quiz]:
    """The attempt, locked when it will change, and the quiz version it runs on, once
    ``principal`` may ``action`` it. Without ``rule`` reading is enough; with it, the
    caller must also satisfy it."""
    attempt = authorize_attempt(
        principal, attempt_id, store.attempt_by_id(session, attempt_id, lock=lock),
        action=action, rule=rule,
    )  # fmt: skip
    return attempt, store.parsed_quiz(session, attempt.quiz_id, attempt.quiz_version)


def attempt_to_answer(
    statements: store.Statements, principal: Principal, attempt_id: str
) -> store.AnswerTarget:
    """The attempt's row as saving an answer needs it, locked, once it is the caller's."""
    return authorize_attempt(
        principal, attempt_id, store.answer_target(statements, attempt_id),
        action="answer", rule=is_own_attempt,
    )  # fmt: skip


def authorize_attempt(
    principal: Principal,
    attempt_id: str,
    attempt: Found | None,
    *,
    action: str,
    rule: Rule | None = None,
) -> Found:
    """``attempt`` (None when ``attempt_id`` does not exist) once ``principal`` may
    ``action`` it, audited either way; without ``rule`` reading is enough."""
    return authorize_record(
        principal,
        attempt,
        action=action,
        resource=resource_of(attempt_id),
        permitted=None if rule is None else (lambda found: rule(principal, found)),
    )


def quiz_to_publish(
    session: Session, principal: Principal, quiz_id: str, course_id: str
) -> QuizRecord | None:
    """The quiz as stored (locked; None before its first publication), once ``principal``
    may publish it: in its course, or in ``course_id`` for a new quiz.

    A quiz id is owned by the course that created it: a teacher of the course the body
    names learns only that the id is taken (the quiz is readable by any caller anyway),
    and chooses another.
    """
    record = store.quiz_record(session, quiz_id, lock=True)
    if record is not None and record.course_id != course_id:
        authorize_quiz_author(principal, quiz_id, course_id, action="publish")
        raise Conflict(f"quiz id {quiz_id} is taken by another course; choose another id")
    course = record.course_id if record is not None else course_id
    authorize_quiz_author(principal, quiz_id, course, action="publish")
    return record


def authored_quiz(
    session: Session, principal: Principal, quiz_id: str, *, action: str
) -> QuizRecord:
    """The quiz, once ``principal`` is one of its authors (item analysis)."""
    record = store.quiz_record(session, quiz_id)
    if record is None:
        raise NotFound(f"quiz {quiz_id} not found")
    authorize_quiz_author(principal, quiz_id, record.course_id, action=action)
    return record


def quiz_to_start(session: Session, principal: Principal, quiz_id: str) -> QuizRecord:
    """The quiz, once ``principal`` may start an attempt at it."""
    record = store.quiz_record(session, quiz_id)
    if record is None:
        raise audit_missing(principal, action="start", resource=f"quiz/{quiz_id}")
    authorize_start(principal, quiz_id, record.course_id)
    return record


def authorize_quiz_author(
    principal: Principal, quiz_id: str, course_id: str, *, action: str
) -> None:
    authorize_action(
        principal,
        allowed=may_author(principal, course_id),
        action=action,
        resource=f"quiz/{quiz_id}",
        course_id=course_id,
    )


def authorize_start(principal: Principal, quiz_id: str, course_id: str) -> None:
    """Only a student starts an attempt, and only their own."""
    is_student = principal.role == "student"
    authorize_action(
        principal,
        allowed=is_student,
        action="start",
        resource=f"quiz/{quiz_id}/attempts",
        student_id=principal.sub if is_student else None,
        course_id=course_id,
    )


def authorize_operator(principal: Principal, *, action: str) -> None:
    """Operational endpoints (the expiry sweep): service tokens and admins."""
    if principal.role not in {"service", "admin"}:
        authorize_action(principal, allowed=False, action=action, resource="attempts")
