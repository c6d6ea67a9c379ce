"""HTTP routes of a student's notes and bookmarks under an enrollment.

Everyone who may read the enrollment reads them; only the student writes them.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response
from flask.views import MethodView

from services.progress import access
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
from services.progress.usecases import notes
from shared.blueprints import Blueprint
from shared.time import utcnow
from shared.web import current_principal, request_session

Child = TypeVar("Child", Note, Bookmark)

notes_blp = Blueprint(
    "progress_notes", __name__, description="A student's notes and bookmarks in a course."
)


def _enrollment(enrollment_id: str, collection: str, *, action: str, own: bool) -> Enrollment:
    """The enrollment whose notes or bookmarks are read, or (``own``) written by its student."""
    find = access.own_enrollment_for if own else access.enrollment_for
    return find(
        request_session(), current_principal(), enrollment_id, action=action, child=collection
    )


def _child(
    model: type[Child], enrollment_id: str, child_id: str, *, action: str, own: bool
) -> Child:
    return access.child_for(
        request_session(), current_principal(), model, enrollment_id, child_id,
        action=action, own=own,
    )  # fmt: skip


# -- notes ---------------------------------------------------------------------------------
@notes_blp.route("/enrollments/<enrollment_id>/notes")
class NotesView(MethodView):
    @notes_blp.arguments(NoteQuerySchema, location="query")
    @notes_blp.response(200, NotePageSchema)
    def get(self, query: dict[str, Any], enrollment_id: str) -> dict[str, Any]:
        """The student's notes, oldest first; by lesson, by tag, and searched by text."""
        enrollment = _enrollment(enrollment_id, "/notes", action="read", own=False)
        page = notes.list_notes(request_session(), enrollment, query)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @notes_blp.arguments(NoteInSchema)
    @notes_blp.response(201, NoteSchema)
    def post(self, body: dict[str, Any], enrollment_id: str) -> Note:
        """Write a note on a lesson of the course (the student only)."""
        enrollment = _enrollment(enrollment_id, "/notes", action="write_note", own=True)
        return notes.add_note(request_session(), enrollment, body, utcnow())


@notes_blp.route("/enrollments/<enrollment_id>/notes/<note_id>")
class NoteView(MethodView):
    @notes_blp.response(200, NoteSchema)
    def get(self, enrollment_id: str, note_id: str) -> Note:
        return _child(Note, enrollment_id, note_id, action="read", own=False)

    @notes_blp.arguments(NotePatchSchema)
    @notes_blp.response(200, NoteSchema)
    def patch(self, changes: dict[str, Any], enrollment_id: str, note_id: str) -> Note:
        """Edit a note's content and/or tags (the student only)."""
        row = _child(Note, enrollment_id, note_id, action="edit_note", own=True)
        return notes.change_note(request_session(), row, changes, utcnow())

    @notes_blp.response(204)
    def delete(self, enrollment_id: str, note_id: str) -> Response:
        """Delete a note (the student only)."""
        row = _child(Note, enrollment_id, note_id, action="delete_note", own=True)
        notes.delete_child(request_session(), row)
        return Response(status=204)


# -- bookmarks ------------------------------------------------------------------------------
@notes_blp.route("/enrollments/<enrollment_id>/bookmarks")
class BookmarksView(MethodView):
    @notes_blp.arguments(BookmarkQuerySchema, location="query")
    @notes_blp.response(200, BookmarkPageSchema)
    def get(self, query: dict[str, Any], enrollment_id: str) -> dict[str, Any]:
        """The student's bookmarks, oldest first, optionally of one content item or type."""
        enrollment = _enrollment(enrollment_id, "/bookmarks", action="read", own=False)
        page = notes.list_bookmarks(request_session(), enrollment, query)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @notes_blp.arguments(BookmarkInSchema)
    @notes_blp.response(201, BookmarkSchema)
    def post(self, body: dict[str, Any], enrollment_id: str) -> Bookmark:
        """Bookmark a position in a lesson, video or quiz (the student only)."""
        enrollment = _enrollment(enrollment_id, "/bookmarks", action="bookmark", own=True)
        return notes.add_bookmark(request_session(), enrollment, body, utcnow())


@notes_blp.route("/enrollments/<enrollment_id>/bookmarks/<bookmark_id>")
class BookmarkView(MethodView):
    @notes_blp.response(200, BookmarkSchema)
    def get(self, enrollment_id: str, bookmark_id: str) -> Bookmark:
        return _child(Bookmark, enrollment_id, bookmark_id, action="read", own=False)

    @notes_blp.arguments(BookmarkPatchSchema)
    @notes_blp.response(200, BookmarkSchema)
    def patch(self, changes: dict[str, Any], enrollment_id: str, bookmark_id: str) -> Bookmark:
        """Move a bookmark or change its note (the student only)."""
        row = _child(Bookmark, enrollment_id, bookmark_id, action="edit_bookmark", own=True)
        return notes.change_bookmark(request_session(), row, changes)

    @notes_blp.response(204)
    def delete(self, enrollment_id: str, bookmark_id: str) -> Response:
        """Delete a bookmark (the student only)."""
        row = _child(Bookmark, enrollment_id, bookmark_id, action="delete_bookmark", own=True)
        notes.delete_child(request_session(), row)
        return Response(status=204)
