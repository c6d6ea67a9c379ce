"""Loading and locking enrollments.

A changing enrollment is locked with ``SELECT ... FOR UPDATE``. Work keyed by
(student, course) first takes a transaction-scoped advisory lock on that key
(``lock_student_course``), so an attempt or activity event that races with the
enrollment's creation is either seen by it or sees it; the first publication of an
outline is serialized the same way (``outlines.lock_course_outline``). SQLite (embedded
mode) serializes writers with ``BEGIN IMMEDIATE`` and needs neither. A batch of events
takes the locks of all its keys in one statement, in the order of the lock keys, so two
batches never wait for each other in a cycle.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.progress.models import Enrollment
from shared.recordsets import is_postgresql


def lock_student_course(session: Session, student_id: str, course_id: str) -> None:
    """Serialize work on one (student, course) until the transaction ends (PostgreSQL)."""
    advisory_lock(session, f"progress:{student_id}\x00{course_id}")


def lock_students_courses(session: Session, keys: Iterable[tuple[str, str]]) -> None:
    """``lock_student_course`` for many keys in one statement, in lock-key order."""
    if not is_postgresql(session):
        return
    lock_keys = sorted(
        {_lock_key(f"progress:{student_id}\x00{course_id}") for student_id, course_id in keys}
    )
    if lock_keys:
        session.execute(
            sa.text(
                "SELECT pg_advisory_xact_lock(key) FROM unnest(CAST(:keys AS bigint[])) AS key"
            ),
            {"keys": lock_keys},
        )


def advisory_lock(session: Session, name: str) -> None:
    if not is_postgresql(session):
        return
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)})


def _lock_key(name: str) -> int:
    return zlib.crc32(name.encode())


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


def enrollments_by_keys(
    session: Session, keys: Collection[tuple[str, str]], *, for_update: bool = False
) -> list[Enrollment]:
    """The enrollments of these (student, course) keys, in id order (the row-lock order)."""
    if not keys:
        return []
    query = (
        sa.select(Enrollment)
        .where(sa.tuple_(Enrollment.student_id, Enrollment.course_id).in_(sorted(keys)))
        .order_by(Enrollment.id)
    )
    if for_update:
        query = query.with_for_update()
    return list(session.execute(query).scalars())


def enrollments_in_course(session: Session, course_id: str) -> list[Enrollment]:
    """Every enrollment of the course, locked in id order."""
    query = (
        sa.select(Enrollment)
        .where(Enrollment.course_id == course_id)
        .order_by(Enrollment.id)
        .with_for_update()
    )
    return list(session.execute(query).scalars())
