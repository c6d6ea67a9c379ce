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

from services.attempts.models import Attempt
from shared.audit import audit_missing, authorize, authorize_action
from shared.auth import Principal


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
) -> Attempt:
    """The attempt, locked when it will change, once ``principal`` may ``action`` it.

    Without ``rule`` reading is enough; with it, the caller must also satisfy it.
    """
    attempt = session.get(Attempt, attempt_id, with_for_update=lock or None)
    return authorize_attempt(principal, attempt_id, attempt, action=action, rule=rule)


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
    resource = resource_of(attempt_id)
    if attempt is None:
        raise audit_missing(principal, action=action, resource=resource)
    authorize(
        principal,
        action=action,
        resource=resource,
        student_id=attempt.student_id,
        course_id=attempt.course_id,
        permitted=rule is None or rule(principal, attempt),
    )
    return attempt


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
