"""HTTP routes of a student's notes and bookmarks under an enrollment.

Everyone who may read the enrollment reads them; only the student writes them.
Notes are markdown stored as written and returned as JSON strings, never rendered.
Note lists are filtered in the domain (``note_matches``, the same search everywhere)
over the enrollment's notes, which are capped at ``MAX_NOTES_PER_ENROLLMENT``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.progress import access
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
from services.progress.schemas import (
    BookmarkInSchema,
    BookmarkPageSchema,
    BookmarkPatchSchema,
    BookmarkQuerySchema,
    BookmarkSchema,
    NoteInSchema,
    NotePageSchema,
    NotePatchSchema,
    NoteQuerySchema,
    NoteSchema,
)
from services.progress.store import require_outline
from shared.audit import audit_missing
from shared.errors import Conflict, InvalidInput
from shared.events.envelope import utcnow
from shared.pagination import decode_cursor, encode_cursor, paginate
from shared.web import current_principal, request_session

MAX_NOTES_PER_ENROLLMENT = 1_000
MAX_BOOKMARKS_PER_ENROLLMENT = 1_000

notes_blp = Blueprint(
    "progress_notes", __name__, description="A student's notes and bookmarks in a course."
)


def _note_value(row: Note) -> NoteValue:
    return NoteValue(
        row.id, row.lesson_id, row.content, row.created_at, row.updated_at, tuple(row.tags)
    )


def _child(session: Any, model: Any, enrollment: Enrollment, child_id: str, resource: str) -> Any:
    row = session.get(model, child_id)
    if row is None or row.enrollment_id != enrollment.id:
        raise audit_missing(current_principal(), action="read", resource=resource)
    return row


def _enrollment_child(
    model: Any, collection: str, enrollment_id: str, child_id: str, *, action: str, own: bool
) -> tuple[Any, Any]:
    """The request's session and the note or bookmark ``child_id`` of the enrollment.

    ``own``: only the enrollment's student may do ``action`` (edit, delete); otherwise
    anyone who may read the enrollment may.
    """
    session = request_session()
    child = f"/{collection}/{child_id}"
    find = access.own_enrollment_for if own else access.enrollment_for
    enrollment = find(session, current_principal(), enrollment_id, action=action, child=child)
    row = _child(session, model, enrollment, child_id, access.resource_of(enrollment_id, child))
    return session, row


def _count(model: Any, enrollment_id: str) -> int:
    query = (
        sa.select(sa.func.count()).select_from(model).where(model.enrollment_id == enrollment_id)
    )
    return int(request_session().execute(query).scalar_one())


def _query_tag(raw: str | None) -> str | None:
    """The ``tag`` filter normalized as stored tags are (``Exam Prep`` finds ``exam-prep``)."""
    if raw is None:
        return None
    try:
        return normalize_tags([raw])[0]
    except InvalidInput as exc:
        message = next(iter(exc.fields.values()))[0] if exc.fields else exc.message
        raise InvalidInput.for_field("tag", message) from None


def _note_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    created_at, note_id = decode_cursor(cursor, 2)
    try:
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, str(note_id)
    except (TypeError, ValueError) as exc:
        raise InvalidInput.for_field("cursor", "is not a cursor this API issued") from exc


# -- notes ---------------------------------------------------------------------------------
@notes_blp.route("/enrollments/<enrollment_id>/notes")
class NotesView(MethodView):
    @notes_blp.arguments(NoteQuerySchema, location="query")
    @notes_blp.response(200, NotePageSchema)
    def get(self, query: dict[str, Any], enrollment_id: str) -> dict[str, Any]:
        """The student's notes, oldest first; by lesson, by tag, and searched by text."""
        session = request_session()
        enrollment = access.enrollment_for(
            session, current_principal(), enrollment_id, action="read", child="/notes"
        )
        rows = session.execute(
            sa.select(Note)
            .where(Note.enrollment_id == enrollment.id)
            .order_by(Note.created_at, Note.id)
        ).scalars()
        tag = _query_tag(query.get("tag"))
        after = _note_cursor(query["cursor"])
        selected = []
        for row in rows:
            if after is not None and (row.created_at, row.id) <= after:
                continue
            if query.get("lesson_id") and row.lesson_id != query["lesson_id"]:
                continue
            if tag is not None and tag not in row.tags:
                continue
            if query.get("q") and not note_matches(_note_value(row), query["q"]):
                continue
            selected.append(row)
        page, more = selected[: query["limit"]], len(selected) > query["limit"]
        last = page[-1] if page else None
        cursor = encode_cursor([last.created_at, last.id]) if more and last else None
        return {"items": page, "next_cursor": cursor}

    @notes_blp.arguments(NoteInSchema)
    @notes_blp.response(201, NoteSchema)
    def post(self, body: dict[str, Any], enrollment_id: str) -> Note:
        """Write a note on a lesson of the course (the student only)."""
        session = request_session()
        enrollment = access.own_enrollment_for(
            session, current_principal(), enrollment_id, action="write_note", child="/notes"
        )
        outline = require_outline(session, enrollment.course_id)
        require_item_in_outline(outline, body["lesson_id"], ItemKind.LESSON, field="lesson_id")
        if _count(Note, enrollment.id) >= MAX_NOTES_PER_ENROLLMENT:
            raise Conflict(f"an enrollment holds at most {MAX_NOTES_PER_ENROLLMENT:,} notes")
        note = write_note(
            str(uuid.uuid4()), body["lesson_id"], body["content"], body["tags"], utcnow()
        )
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


@notes_blp.route("/enrollments/<enrollment_id>/notes/<note_id>")
class NoteView(MethodView):
    @notes_blp.response(200, NoteSchema)
    def get(self, enrollment_id: str, note_id: str) -> Note:
        _session, row = _enrollment_child(
            Note, "notes", enrollment_id, note_id, action="read", own=False
        )
        return row

    @notes_blp.arguments(NotePatchSchema)
    @notes_blp.response(200, NoteSchema)
    def patch(self, changes: dict[str, Any], enrollment_id: str, note_id: str) -> Note:
        """Edit a note's content and/or tags (the student only)."""
        session, row = _enrollment_child(
            Note, "notes", enrollment_id, note_id, action="edit_note", own=True
        )
        edited = edit_note(
            _note_value(row), now=utcnow(), content=changes.get("content"), tags=changes.get("tags")
        )
        row.content, row.tags, row.updated_at = edited.content, list(edited.tags), edited.updated_at
        session.commit()
        return row

    @notes_blp.response(204)
    def delete(self, enrollment_id: str, note_id: str) -> Response:
        """Delete a note (the student only)."""
        session, row = _enrollment_child(
            Note, "notes", enrollment_id, note_id, action="delete_note", own=True
        )
        session.delete(row)
        session.commit()
        return Response(status=204)


# -- bookmarks ------------------------------------------------------------------------------
def _check_bookmark_target(enrollment: Enrollment, content_type: str, content_id: str) -> None:
    """Lesson and quiz bookmarks name an item of the outline; videos are not outline items."""
    kinds = {"lesson": ItemKind.LESSON, "quiz": ItemKind.QUIZ}
    if content_type in kinds:
        outline = require_outline(request_session(), enrollment.course_id)
        require_item_in_outline(outline, content_id, kinds[content_type], field="content_id")


@notes_blp.route("/enrollments/<enrollment_id>/bookmarks")
class BookmarksView(MethodView):
    @notes_blp.arguments(BookmarkQuerySchema, location="query")
    @notes_blp.response(200, BookmarkPageSchema)
    def get(self, query: dict[str, Any], enrollment_id: str) -> dict[str, Any]:
        """The student's bookmarks, oldest first, optionally of one content item or type."""
        session = request_session()
        enrollment = access.enrollment_for(
            session, current_principal(), enrollment_id, action="read", child="/bookmarks"
        )
        conditions = [Bookmark.enrollment_id == enrollment.id]
        for name in ("content_id", "content_type"):
            if query.get(name):
                conditions.append(getattr(Bookmark, name) == query[name])
        page = paginate(
            session,
            sa.select(Bookmark).where(*conditions),
            [Bookmark.created_at.expression, Bookmark.id.expression],
            limit=query["limit"],
            cursor=query["cursor"],
            key_of=lambda row: [row.created_at, row.id],
            datetime_positions=[0],
        )
        return {"items": page.items, "next_cursor": page.next_cursor}

    @notes_blp.arguments(BookmarkInSchema)
    @notes_blp.response(201, BookmarkSchema)
    def post(self, body: dict[str, Any], enrollment_id: str) -> Bookmark:
        """Bookmark a position in a lesson, video or quiz (the student only)."""
        session = request_session()
        enrollment = access.own_enrollment_for(
            session, current_principal(), enrollment_id, action="bookmark", child="/bookmarks"
        )
        bookmark = create_bookmark(
            str(uuid.uuid4()),
            body["content_type"],
            body["content_id"],
            body.get("position"),
            body.get("note"),
            utcnow(),
        )
        _check_bookmark_target(enrollment, body["content_type"], body["content_id"])
        if _count(Bookmark, enrollment.id) >= MAX_BOOKMARKS_PER_ENROLLMENT:
            raise Conflict(
                f"an enrollment holds at most {MAX_BOOKMARKS_PER_ENROLLMENT:,} bookmarks"
            )
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


@notes_blp.route("/enrollments/<enrollment_id>/bookmarks/<bookmark_id>")
class BookmarkView(MethodView):
    @notes_blp.response(200, BookmarkSchema)
    def get(self, enrollment_id: str, bookmark_id: str) -> Bookmark:
        _session, row = _enrollment_child(
            Bookmark, "bookmarks", enrollment_id, bookmark_id, action="read", own=False
        )
        return row

    @notes_blp.arguments(BookmarkPatchSchema)
    @notes_blp.response(200, BookmarkSchema)
    def patch(self, changes: dict[str, Any], enrollment_id: str, bookmark_id: str) -> Bookmark:
        """Move a bookmark or change its note (the student only)."""
        session, row = _enrollment_child(
            Bookmark, "bookmarks", enrollment_id, bookmark_id, action="edit_bookmark", own=True
        )
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

    @notes_blp.response(204)
    def delete(self, enrollment_id: str, bookmark_id: str) -> Response:
        """Delete a bookmark (the student only)."""
        session, row = _enrollment_child(
            Bookmark, "bookmarks", enrollment_id, bookmark_id, action="delete_bookmark", own=True
        )
        session.delete(row)
        session.commit()
        return Response(status=204)
