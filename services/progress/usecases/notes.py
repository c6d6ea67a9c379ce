"""A student's notes and bookmarks under an enrollment.

Everyone who may read the enrollment reads them; only the student writes them (the
API authorizes). Notes are markdown stored as written and returned as JSON strings,
never rendered. Note lists are filtered by the domain's search (``note_matches``, the
same search everywhere) over the enrollment's notes, which are capped at
``MAX_NOTES_PER_ENROLLMENT``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.progress.domain import (
    BookmarkContentType,
    ItemKind,
    create_bookmark,
    edit_note,
    normalize_tags,
    note_matches,
    require_item_in_outline,
    write_note,
)
from services.progress.domain import Note as NoteValue
from services.progress.models import Bookmark, Enrollment, Note
from services.progress.store.notes import count_of
from services.progress.store.outlines import require_outline
from shared.errors import Conflict, InvalidInput
from shared.pagination import Page, filter_and_paginate

MAX_NOTES_PER_ENROLLMENT = 1_000
MAX_BOOKMARKS_PER_ENROLLMENT = 1_000


def _note_value(row: Note) -> NoteValue:
    return NoteValue(
        row.id, row.lesson_id, row.content, row.created_at, row.updated_at, tuple(row.tags)
    )


# -- notes ---------------------------------------------------------------------------------
def list_notes(session: Session, enrollment: Enrollment, query: Mapping[str, Any]) -> Page:
    """The student's notes, oldest first; by lesson, by tag, and searched by text."""
    tag = _query_tag(query.get("tag"))
    text = query.get("q")

    def wanted(row: Note) -> bool:
        if tag is not None and tag not in row.tags:
            return False
        return not text or note_matches(_note_value(row), text)

    return filter_and_paginate(
        session,
        Note,
        where=[Note.enrollment_id == enrollment.id],
        filters={"lesson_id": query.get("lesson_id") or None},
        order_by=("created_at", "id"),
        limit=query["limit"],
        cursor=query["cursor"],
        keep=wanted,
    )


def _query_tag(raw: str | None) -> str | None:
    """The ``tag`` filter normalized as stored tags are (``Exam Prep`` finds ``exam-prep``)."""
    if raw is None:
        return None
    try:
        return normalize_tags([raw])[0]
    except InvalidInput as exc:
        message = next(iter(exc.fields.values()))[0] if exc.fields else exc.message
        raise InvalidInput.for_field("tag", message) from None


def add_note(
    session: Session, enrollment: Enrollment, body: Mapping[str, Any], now: datetime
) -> Note:
    """Write a note on a lesson of the course."""
    outline = require_outline(session, enrollment.course_id)
    require_item_in_outline(outline, body["lesson_id"], ItemKind.LESSON, field="lesson_id")
    if count_of(session, Note, enrollment.id) >= MAX_NOTES_PER_ENROLLMENT:
        raise Conflict(f"an enrollment holds at most {MAX_NOTES_PER_ENROLLMENT:,} notes")
    note = write_note(str(uuid.uuid4()), body["lesson_id"], body["content"], body["tags"], now)
    row = Note(
        id=note.note_id,
        enrollment_id=enrollment.id,
        lesson_id=note.lesson_id,
        content=note.content,
        tags=list(note.tags),
        created_at=note.created_at,
        updated_at=note.updated_at,
    )
    session.add(row)
    session.commit()
    return row


def change_note(session: Session, row: Note, changes: Mapping[str, Any], now: datetime) -> Note:
    """Edit a note's content and/or tags."""
    edited = edit_note(
        _note_value(row), now=now, content=changes.get("content"), tags=changes.get("tags")
    )
    row.content, row.tags, row.updated_at = edited.content, list(edited.tags), edited.updated_at
    session.commit()
    return row


def delete_child(session: Session, row: Note | Bookmark) -> None:
    """Delete a note or a bookmark."""
    session.delete(row)
    session.commit()


# -- bookmarks -----------------------------------------------------------------------------
def list_bookmarks(session: Session, enrollment: Enrollment, query: Mapping[str, Any]) -> Page:
    """The student's bookmarks, oldest first, optionally of one content item or type."""
    return filter_and_paginate(
        session,
        Bookmark,
        where=[Bookmark.enrollment_id == enrollment.id],
        filters={name: query.get(name) or None for name in ("content_id", "content_type")},
        order_by=("created_at", "id"),
        limit=query["limit"],
        cursor=query["cursor"],
    )


def add_bookmark(
    session: Session, enrollment: Enrollment, body: Mapping[str, Any], now: datetime
) -> Bookmark:
    """Bookmark a position in a lesson, video or quiz."""
    bookmark = create_bookmark(
        str(uuid.uuid4()),
        body["content_type"],
        body["content_id"],
        body.get("position"),
        body.get("note"),
        now,
    )
    _check_bookmark_target(session, enrollment, body["content_type"], body["content_id"])
    if count_of(session, Bookmark, enrollment.id) >= MAX_BOOKMARKS_PER_ENROLLMENT:
        raise Conflict(f"an enrollment holds at most {MAX_BOOKMARKS_PER_ENROLLMENT:,} bookmarks")
    row = Bookmark(
        id=bookmark.bookmark_id,
        enrollment_id=enrollment.id,
        content_type=bookmark.content_type.value,
        content_id=bookmark.content_id,
        position=bookmark.position,
        note=bookmark.note,
        created_at=bookmark.created_at,
    )
    session.add(row)
    session.commit()
    return row


def _check_bookmark_target(
    session: Session, enrollment: Enrollment, content_type: str, content_id: str
) -> None:
    """Lesson and quiz bookmarks name an item of the outline; videos are not outline items."""
    kinds = {"lesson": ItemKind.LESSON, "quiz": ItemKind.QUIZ}
    if content_type in kinds:
        outline = require_outline(session, enrollment.course_id)
        require_item_in_outline(outline, content_id, kinds[content_type], field="content_id")


def change_bookmark(session: Session, row: Bookmark, changes: Mapping[str, Any]) -> Bookmark:
    """Move a bookmark or change its note."""
    edited = create_bookmark(
        row.id,
        BookmarkContentType(row.content_type).value,
        row.content_id,
        changes.get("position", row.position),
        changes.get("note", row.note),
        row.created_at,
    )
    row.position, row.note = edited.position, edited.note
    session.commit()
    return row
