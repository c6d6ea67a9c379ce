"""Loading and locking the progress service's rows.

A changing enrollment is locked with ``SELECT ... FOR UPDATE``. Work keyed by
(student, course) first takes a transaction-scoped advisory lock on that key
(``lock_student_course``), so an attempt or activity event that races with the
enrollment's creation is either seen by it or sees it; the first publication of an
outline is serialized the same way. SQLite (embedded mode) serializes writers with
``BEGIN IMMEDIATE`` and needs neither. A batch of events takes the locks of all its
keys in one statement, in the order of the lock keys, so two batches never wait for
each other in a cycle.

Parsed outlines are kept per course while the stored version and document are the
ones parsed (``ParsedOutlines``): an event batch or a request does not parse again the
outline the previous one parsed.
"""

from __future__ import annotations

import copy
import threading
import zlib
from collections.abc import Collection, Iterable
from typing import Any

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


def lock_students_courses(session: Session, keys: Iterable[tuple[str, str]]) -> None:
    """``lock_student_course`` for many keys in one statement, in lock-key order."""
    if session.get_bind().dialect.name != "postgresql":
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


def _advisory_lock(session: Session, name: str) -> None:
    if session.get_bind().dialect.name != "postgresql":
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


def require_outline(session: Session, course_id: str) -> Outline:
    """The course's current outline; Conflict while none is published."""
    row = session.get(CourseOutline, course_id)
    if row is None:
        raise Conflict(f"course {course_id!r} has no outline yet: publish it first")
    return PARSED_OUTLINES.parsed(course_id, row.version, row.document)


def outlines_of(session: Session, course_ids: Collection[str]) -> dict[str, Outline]:
    """The current outlines of these courses, by course id (those without one are absent)."""
    if not course_ids:
        return {}
    rows = session.execute(
        sa.select(CourseOutline.course_id, CourseOutline.version, CourseOutline.document).where(
            CourseOutline.course_id.in_(sorted(course_ids))
        )
    )
    return {
        row.course_id: PARSED_OUTLINES.parsed(row.course_id, row.version, row.document)
        for row in rows
    }


class ParsedOutlines:
    """The last parsed outline of up to ``capacity`` courses, by course.

    An entry is used only for the same version and an equal document: a course's
    outline changes only with a new version, and comparing the document as well keeps
    the cache right across databases (tests, restores) that reuse course ids and
    versions. Safe to share between threads.
    """

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self._entries: dict[str, tuple[int, dict[str, Any], Outline]] = {}
        self._lock = threading.Lock()

    def parsed(self, course_id: str, version: int, document: dict[str, Any]) -> Outline:
        with self._lock:
            entry = self._entries.get(course_id)
        if entry is not None and entry[0] == version and entry[1] == document:
            return entry[2]
        outline = parse_outline(document)
        with self._lock:
            self._entries.pop(course_id, None)
            self._entries[course_id] = (version, copy.deepcopy(document), outline)
            while len(self._entries) > self.capacity:
                del self._entries[next(iter(self._entries))]
        return outline


PARSED_OUTLINES = ParsedOutlines()
