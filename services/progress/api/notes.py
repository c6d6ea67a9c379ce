"""HTTP routes of a student's notes and bookmarks under an enrollment.

Everyone who may read the enrollment reads them; only the student writes them.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.progress import access
from services.progress.models import Bookmark, Note
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
from services.progress.usecases import notes
from shared.time import utcnow
from shared.web import current_principal, request_session

notes_blp = Blueprint(
    "progress_notes", __name__, description="A student's notes and bookmarks in a course."
)


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
        page = notes.list_notes(session, enrollment, query)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @notes_blp.arguments(NoteInSchema)
    @notes_blp.response(201, NoteSchema)
    def post(self, body: dict[str, Any], enrollment_id: str) -> Note:
        """Write a note on a lesson of the course (the student only)."""
        session = request_session()
        enrollment = access.own_enrollment_for(
            session, current_principal(), enrollment_id, action="write_note", child="/notes"
        )
        return notes.add_note(session, enrollment, body, utcnow())


@notes_blp.route("/enrollments/<enrollment_id>/notes/<note_id>")
class NoteView(MethodView):
    @notes_blp.response(200, NoteSchema)
    def get(self, enrollment_id: str, note_id: str) -> Note:
        return access.child_for(
            request_session(), current_principal(), Note, enrollment_id, note_id,
            action="read", own=False,
        )  # fmt: skip

    @notes_blp.arguments(NotePatchSchema)
    @notes_blp.response(200, NoteSchema)
    def patch(self, changes: dict[str, Any], enrollment_id: str, note_id: str) -> Note:
        """Edit a note's content and/or tags (the student only)."""
        session = request_session()
        row = access.child_for(
            session, current_principal(), Note, enrollment_id, note_id,
            action="edit_note", own=True,
        )  # fmt: skip
        return notes.change_note(session, row, changes, utcnow())

    @notes_blp.response(204)
    def delete(self, enrollment_id: str, note_id: str) -> Response:
        """Delete a note (the student only)."""
        session = request_session()
        row = access.child_for(
            session, current_principal(), Note, enrollment_id, note_id,
            action="delete_note", own=True,
        )  # fmt: skip
        notes.delete_child(session, row)
        return Response(status=204)


# -- bookmarks ------------------------------------------------------------------------------
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
        page = notes.list_bookmarks(session, enrollment, query)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @notes_blp.arguments(BookmarkInSchema)
    @notes_blp.response(201, BookmarkSchema)
    def post(self, body: dict[str, Any], enrollment_id: str) -> Bookmark:
        """Bookmark a position in a lesson, video or quiz (the student only)."""
        session = request_session()
        enrollment = access.own_enrollment_for(
            session, current_principal(), enrollment_id, action="bookmark", child="/bookmarks"
        )
        return notes.add_bookmark(session, enrollment, body, utcnow())


@notes_blp.route("/enrollments/<enrollment_id>/bookmarks/<bookmark_id>")
class BookmarkView(MethodView):
    @notes_blp.response(200, BookmarkSchema)
    def get(self, enrollment_id: str, bookmark_id: str) -> Bookmark:
        return access.child_for(
            request_session(), current_principal(), Bookmark, enrollment_id, bookmark_id,
            action="read", own=False,
        )  # fmt: skip

    @notes_blp.arguments(BookmarkPatchSchema)
    @notes_blp.response(200, BookmarkSchema)
    def patch(self, changes: dict[str, Any], enrollment_id: str, bookmark_id: str) -> Bookmark:
        """Move a bookmark or change its note (the student only)."""
        session = request_session()
        row = access.child_for(
            session, current_principal(), Bookmark, enrollment_id, bookmark_id,
            action="edit_bookmark", own=True,
        )  # fmt: skip
        return notes.change_bookmark(session, row, changes)

    @notes_blp.response(204)
    def delete(self, enrollment_id: str, bookmark_id: str) -> Response:
        """Delete a bookmark (the student only)."""
        session = request_session()
        row = access.child_for(
            session, current_principal(), Bookmark, enrollment_id, bookmark_id,
            action="delete_bookmark", own=True,
        )  # fmt: skip
        notes.delete_child(session, row)
        return Response(status=204)
