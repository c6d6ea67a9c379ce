"""Loading and locking the progress service's rows.

A changing enrollment is locked with ``SELECT ... FOR UPDATE``. Work keyed by
(student, course) first takes a transaction-scoped advisory lock on that key
(``lock_student_course``), so an attempt or activity event that races with the
enrollment's creation is either seen by it or sees it; the first publication of an
outline is serialized the same way. SQLite (embedded mode) serializes writers with
``BEGIN IMMEDIATE`` and needs neither.
"""

from __future__ import annotations

import zlib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.progress.domain import Outline, parse_outline
from services.progress.models import CourseOutline, Enrollment
from shared.errors import Conflict


def lock_student_course(session: Session, student_id: str, course_id: str) -> None:
    """Serialize work on one (student, course) until the transaction ends (PostgreSQL)."""
    _advisory_lock(session, f"progress:{student_id}\x00{course_id}")


def lock_course_outline(session: Session, course_id: str) -> None:
    """Serialize publications of one course's outline (the first one inserts its row)."""
    _advisory_lock(session, f"progress-outline:{course_id}")


def _advisory_lock(session: Session, name: str) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(name.encode())
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def enrollment_by_id(
    session: Session, enrollment_id: str, *, for_update: bool = False
) -> Enrollment | None:
    query = sa.select(Enrollment).where(Enrollment.id == enrollment_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def enrollment_by_key(
    session: Session, student_id: str, course_id: str, *, for_update: bool = False
) -> Enrollment | None:
    query = sa.select(Enrollment).where(
        Enrollment.student_id == student_id, Enrollment.course_id == course_id
    )
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def require_outline(session: Session, course_id: str) -> Outline:
    """The course's current outline; Conflict while none is published."""
    row = session.get(CourseOutline, course_id)
    if row is None:
        raise Conflict(f"course {course_id!r} has no outline yet: publish it first")
    return parse_outline(row.document)
