"""Reading an enrollment's whole document: the enrollment row, its notes and bookmarks.

``GET /enrollments/{id}`` is the service's hottest request. On PostgreSQL it reads the
three in one statement, the notes and bookmarks aggregated into JSON arrays by
correlated subqueries, so a read is one round trip and one snapshot (read sessions
commit every statement on its own: ``shared.web.read_session``), on the driver's cursor
(``shared.db.session_cursor``): the enrollment comes back as an ``EnrollmentRow`` of the
columns the document shows, not as an ORM object (SQLAlchemy's execution and the
entity's loading had cost more CPU than the statement). SQLite (embedded mode) reads
them one query each. Either way the entries come in creation order; the
aggregated ones are dicts whose timestamps are ISO strings, which the compiled
``EnrollmentSchema`` dumper parses (``schemas.ENROLLMENT_DUMPER``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from services.progress.models import Bookmark, Enrollment, Note
from services.progress.store.notes import children_of
from shared.db import session_cursor

NOTE_FIELDS = ("id", "lesson_id", "content", "created_at", "updated_at", "tags")
BOOKMARK_FIELDS = ("id", "content_type", "content_id", "position", "created_at", "note")


class EnrollmentRow(NamedTuple):
    """The columns of an enrollment its document shows (``schemas.enrollment_document``)."""

    id: str
    student_id: str
    course_id: str
    enrolled_at: datetime
    last_accessed: datetime | None
    status: str
    completed_lessons: list[dict[str, Any]]
    completed_quizzes: list[dict[str, Any]]
    completed_assignments: list[dict[str, Any]]
    current_lesson_id: str | None
    current_module_id: str | None
    progress_percentage: int
    certificate_issued: bool
    certificate_url: str | None
    certificate_issued_at: datetime | None
    certificate_requested_at: datetime | None
    total_time_spent_seconds: float
    login_streak: int
    last_streak_date: date | None
    last_notification_sent: datetime | None
    notification_preferences: dict[str, bool]
    custom_fields: dict[str, Any]
    time_zone: str
    final_result: str | None
    final_result_at: datetime | None


ROW_COLUMNS = EnrollmentRow._fields
MOMENTS = (
    "enrolled_at",
    "last_accessed",
    "certificate_issued_at",
    "certificate_requested_at",
    "last_notification_sent",
    "final_result_at",
)
#: the row's positions of its moments, read back in UTC as ``UTCDateTime`` does
_MOMENTS = tuple(ROW_COLUMNS.index(name) for name in MOMENTS)


@dataclass(frozen=True)
class EnrollmentDocument:
    enrollment: Enrollment | EnrollmentRow
    notes: list[Any]  # Note rows, or dicts of NOTE_FIELDS
    bookmarks: list[Any]  # Bookmark rows, or dicts of BOOKMARK_FIELDS


def document_of(session: Session, enrollment: Enrollment) -> EnrollmentDocument:
    """The document of an enrollment already loaded (after a change)."""
    return EnrollmentDocument(
        enrollment,
        children_of(session, Note, enrollment.id),
        children_of(session, Bookmark, enrollment.id),
    )


def read_document(session: Session, enrollment_id: str) -> EnrollmentDocument | None:
    """The enrollment with its notes and bookmarks, or None if there is no such enrollment."""
    if session.get_bind().dialect.name != "postgresql":
        enrollment = session.get(Enrollment, enrollment_id)
        return None if enrollment is None else document_of(session, enrollment)
    with session_cursor(session) as cursor:
        cursor.execute(_document_sql(), {"enrollment_id": enrollment_id})
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index in _MOMENTS:
        if values[index] is not None:
            values[index] = values[index].astimezone(UTC)
    bookmarks = values.pop()
    notes = values.pop()
    return EnrollmentDocument(EnrollmentRow._make(values), notes, bookmarks)


@functools.cache
def _document_sql() -> str:
    """Built and compiled once: building it costs more than running it."""
    table = Enrollment.__table__
    query = sa.select(
        *[table.c[name] for name in ROW_COLUMNS],
        _aggregated(Note, NOTE_FIELDS),
        _aggregated(Bookmark, BOOKMARK_FIELDS),
    ).where(table.c.id == sa.bindparam("enrollment_id"))
    return str(query.compile(dialect=postgresql.psycopg.dialect()))


def _aggregated(model: type[Note] | type[Bookmark], names: tuple[str, ...]) -> Any:
    """The enrollment's rows of ``model`` as one JSON array, oldest first (PostgreSQL)."""
    parts: list[Any] = []
    for name in names:  # the keys as literals: the compiled text has one parameter
        parts += [sa.literal_column(f"'{name}'"), getattr(model, name)]
    entry = sa.func.json_build_object(*parts)
    ordered = postgresql.aggregate_order_by(entry, model.created_at, model.id)
    return (
        sa.select(sa.func.coalesce(sa.func.json_agg(ordered), sa.text("'[]'::json")))
        .where(model.enrollment_id == Enrollment.id)
        .correlate(Enrollment)
        .scalar_subquery()
        .label(model.__tablename__)
    )
