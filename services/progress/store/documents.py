"""Reading an enrollment's whole document: the enrollment row, its notes and bookmarks.

``GET /enrollments/{id}`` is the service's hottest request. On PostgreSQL it reads the
three in one statement, the notes and bookmarks aggregated into JSON arrays by
correlated subqueries, so a read is one round trip and one snapshot (read sessions
commit every statement on its own: ``shared.web.read_session``). SQLite (embedded mode)
reads them one query each. Either way the entries come in creation order; the
aggregated ones are dicts whose timestamps are ISO strings, which the compiled
``EnrollmentSchema`` dumper parses (``schemas.ENROLLMENT_DUMPER``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from services.progress.models import Bookmark, Enrollment, Note
from services.progress.store.notes import children_of

NOTE_FIELDS = ("id", "lesson_id", "content", "created_at", "updated_at", "tags")
BOOKMARK_FIELDS = ("id", "content_type", "content_id", "position", "created_at", "note")


@dataclass(frozen=True)
class EnrollmentDocument:
    enrollment: Enrollment
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
    row = session.execute(_document_query(), {"enrollment_id": enrollment_id}).one_or_none()
    if row is None:
        return None
    enrollment, notes, bookmarks = row
    return EnrollmentDocument(enrollment, notes, bookmarks)


@functools.cache
def _document_query() -> sa.Select[tuple[Enrollment, Any, Any]]:
    """Built once: building it costs more than running it."""
    return sa.select(
        Enrollment,
        _aggregated(Note, NOTE_FIELDS),
        _aggregated(Bookmark, BOOKMARK_FIELDS),
    ).where(Enrollment.id == sa.bindparam("enrollment_id"))


def _aggregated(model: type[Note] | type[Bookmark], names: tuple[str, ...]) -> Any:
    """The enrollment's rows of ``model`` as one JSON array, oldest first (PostgreSQL)."""
    columns = [getattr(model, name) for name in names]
    entry = sa.func.json_build_object(
        *[part for name, column in zip(names, columns, strict=True) for part in (name, column)]
    )
    ordered = postgresql.aggregate_order_by(entry, model.created_at, model.id)
    return (
        sa.select(sa.func.coalesce(sa.func.json_agg(ordered), sa.text("'[]'::json")))
        .where(model.enrollment_id == Enrollment.id)
        .correlate(Enrollment)
        .scalar_subquery()
        .label(model.__tablename__)
    )
