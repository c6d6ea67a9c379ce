"""Course outlines: the stored documents, and their parsed form kept per course.

Parsed outlines are kept per course while the stored version and document are the
ones parsed (``ParsedOutlines``): an event batch or a request does not parse again the
outline the previous one parsed.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.progress.domain import Outline, parse_outline
from services.progress.models import CourseOutline
from services.progress.store.enrollments import advisory_lock
from shared.errors import Conflict


def outline_row(session: Session, course_id: str) -> CourseOutline | None:
    return session.get(CourseOutline, course_id)


def require_outline(session: Session, course_id: str) -> Outline:
    """The course's current outline; Conflict while none is published."""
    row = session.get(CourseOutline, course_id)
    if row is None:
        raise no_outline(course_id)
    return PARSED_OUTLINES.parsed(course_id, row.version, row.document)


def no_outline(course_id: str) -> Conflict:
    return Conflict(f"course {course_id!r} has no outline yet: publish it first")


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


def store_outline(
    session: Session, course_id: str, document: dict[str, Any], *, by: str, now: datetime
) -> tuple[CourseOutline, bool]:
    """Make ``document`` the course's outline: its first version, or the next one; and
    whether it changed (the same document again leaves the row as it is).

    Publications of one course are serialized: the first one inserts the row.
    """
    advisory_lock(session, f"progress-outline:{course_id}")
    row = session.get(CourseOutline, course_id, with_for_update=True)
    if row is None:
        row = CourseOutline(course_id=course_id, version=1, document=document)
        session.add(row)
    elif row.document == document:
        return row, False
    else:
        row.version += 1
        row.document = document
    row.updated_at = now
    row.updated_by = by
    return row, True


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
