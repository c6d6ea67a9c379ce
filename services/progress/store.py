"""Loading and locking the progress service's rows.

A changing enrollment is locked with ``SELECT ... FOR UPDATE``. Work keyed by
(student, course) first takes a transaction-scoped advisory lock on that key
(``lock_student_course``), so an attempt or activity event that races with the
enrollment's creation is either seen by it or sees it; the first publication of an
outline is serialized the same way. SQLite (embedded mode) serializes writers with
``BEGIN IMMEDIATE`` and needs neither. A batch of events takes the locks of all its
keys in one statement, in the order of the lock keys, so two batches never wait for
each other in a cycle.

Event batches read and write the enrollment columns that recorded work changes as
plain rows (``ProgressRow``: one ``SELECT ... FOR UPDATE`` and one ``UPDATE`` per
batch), without the ORM's per-object bookkeeping. On PostgreSQL a batch's keys and
rows travel as one JSON parameter (``json_rows``): the statement's text is then the
same for every batch, so neither psycopg nor the server parses it again, and the
server runs one statement instead of one per row.

Parsed outlines are kept per course while the stored version and document are the
ones parsed (``ParsedOutlines``): an event batch or a request does not parse again the
outline the previous one parsed.
"""

from __future__ import annotations

import copy
import json
import threading
import zlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.selectable import TableValuedAlias

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


@dataclass(eq=False, slots=True)
class ProgressRow:
    """The columns of one enrollment that recorded work reads and derives.

    ``derived.refresh`` works on it as on an ``Enrollment``; ``write_progress_rows``
    stores the columns it may have changed.
    """

    id: str
    student_id: str
    course_id: str
    status: str
    completed_lessons: list[dict[str, Any]]
    completed_quizzes: list[dict[str, Any]]
    completed_assignments: list[dict[str, Any]]
    progress_percentage: int
    current_module_id: str | None
    current_lesson_id: str | None
    completed_at: datetime | None
    certificate_issued: bool
    certificate_requested_at: datetime | None
    updated_at: datetime


PROGRESS_COLUMNS = tuple(ProgressRow.__dataclass_fields__)
#: what recorded quiz work may change (the status, position and certificate follow it)
WRITTEN_PROGRESS_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("status", sa.Text()),
    ("completed_quizzes", sa.JSON()),
    ("progress_percentage", sa.Integer()),
    ("current_module_id", sa.Text()),
    ("current_lesson_id", sa.Text()),
    ("completed_at", sa.DateTime(timezone=True)),
    ("certificate_requested_at", sa.DateTime(timezone=True)),
    ("updated_at", sa.DateTime(timezone=True)),
)


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def json_rows(
    columns: Sequence[tuple[str, sa.types.TypeEngine[Any]]], rows: Iterable[Sequence[Any]]
) -> TableValuedAlias:
    """Rows as a PostgreSQL table: ``json_to_recordset`` of one JSON parameter.

    The server converts each field to its column's type (timestamps from ISO 8601).
    """
    names = [name for name, _type in columns]
    document = json.dumps([dict(zip(names, row, strict=True)) for row in rows], default=_iso)
    return (
        sa.func.json_to_recordset(sa.cast(sa.bindparam(None, document, type_=sa.Text), sa.JSON))
        .table_valued(*(sa.column(name, type_) for name, type_ in columns))
        .render_derived(with_types=True)
    )


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def keys_in(
    session: Session,
    columns: Sequence[sa.ColumnElement[Any] | QueryableAttribute[Any]],
    keys: Collection[tuple[str, ...]],
) -> sa.ColumnElement[bool]:
    """``(columns) IN keys``: on PostgreSQL against the keys as one parameter (``json_rows``)."""
    ordered = sorted(keys)
    if not is_postgresql(session):
        return sa.tuple_(*columns).in_(ordered)
    names = [(f"k{index}", sa.Text()) for index in range(len(columns))]
    return sa.tuple_(*columns).in_(sa.select(json_rows(names, ordered)))


def progress_rows_by_keys(session: Session, keys: Collection[tuple[str, str]]) -> list[ProgressRow]:
    """The progress rows of these (student, course) keys, locked in id order.

    Changes of enrollments still pending in the session are flushed first, so the rows
    read are the ones the transaction sees.
    """
    if not keys:
        return []
    session.flush()
    table = _enrollments_table()
    query = (
        sa.select(*(table.c[name] for name in PROGRESS_COLUMNS))
        .where(keys_in(session, [table.c.student_id, table.c.course_id], keys))
        .order_by(table.c.id)
        .with_for_update()
    )
    return [ProgressRow(*row) for row in session.execute(query)]


def write_progress_rows(session: Session, rows: Sequence[ProgressRow]) -> None:
    """Store the ``WRITTEN_PROGRESS_COLUMNS`` of these rows in one ``UPDATE``.

    Enrollments of these ids already loaded into the session are expired, so a later
    read through the ORM sees what was written here.
    """
    if not rows:
        return
    ordered = sorted(rows, key=lambda row: row.id)
    if is_postgresql(session):
        _update_from_json(session, ordered)
    else:
        table = _enrollments_table()
        session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("row_id")),
            [{"row_id": row.id, **_written(row)} for row in ordered],
        )
    written = {row.id for row in rows}
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, Enrollment) and loaded.id in written:
            session.expire(loaded)


def _update_from_json(session: Session, rows: Sequence[ProgressRow]) -> None:
    """``UPDATE enrollments ... FROM json_to_recordset(...)``: one statement for the batch."""
    table = _enrollments_table()
    values = json_rows(
        [("id", sa.Text()), *WRITTEN_PROGRESS_COLUMNS],
        [[row.id, *_written(row).values()] for row in rows],
    )
    assignments = {name: values.c[name] for name, _type in WRITTEN_PROGRESS_COLUMNS}
    session.execute(sa.update(table).where(table.c.id == values.c.id).values(assignments))


def _written(row: ProgressRow) -> dict[str, Any]:
    """The written columns' values, in ``WRITTEN_PROGRESS_COLUMNS`` order."""
    return {name: getattr(row, name) for name, _type in WRITTEN_PROGRESS_COLUMNS}


def _enrollments_table() -> sa.Table:
    return cast(sa.Table, Enrollment.__table__)


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
