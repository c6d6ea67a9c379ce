"""HTTP routes of course outlines and enrollments."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask.views import MethodView

from services.progress import access
from services.progress.domain import (
    AssignmentChange,
    AssignmentGrading,
    AssignmentReturn,
    AssignmentSubmission,
    LessonCompletionReport,
)
from services.progress.domain.values import require_identifier
from services.progress.events import Occasion
from services.progress.models import CourseOutline
from services.progress.schemas import (
    ENROLLMENT_DUMPER,
    ENROLLMENT_PAGE_DUMPER,
    AssignmentInSchema,
    EnrollmentInSchema,
    EnrollmentPageSchema,
    EnrollmentPatchSchema,
    EnrollmentQuerySchema,
    EnrollmentSchema,
    LessonCompletionInSchema,
    NaturalKeyQuerySchema,
    OutlineOutSchema,
    OutlineSchema,
    enrollment_document,
)
from services.progress.store.documents import EnrollmentDocument
from services.progress.usecases import enrollments
from shared.audit import audit_listing, authorize
from shared.blueprints import Blueprint
from shared.errors import InvalidInput
from shared.time import utcnow
from shared.web import current_principal, dumped_response, read_session, request_session

DESCRIPTION = (
    "StudentCourseProgress: course outlines, enrollments, lessons, quizzes and "
    "assignments done, streaks, certificates, notes and bookmarks."
)

blp = Blueprint("progress", __name__, description=DESCRIPTION)


def occasion() -> Occasion:
    """Now, caused by this request (its id becomes the events' correlation id)."""
    return Occasion(utcnow(), g.get("request_id"))


def document_response(found: EnrollmentDocument, status: int = 200) -> Response:
    """The enrollment's whole document, notes and bookmarks included, as the response."""
    document = enrollment_document(found.enrollment, found.notes, found.bookmarks)
    return dumped_response(ENROLLMENT_DUMPER, document, status)


# -- outlines ----------------------------------------------------------------------------
def _outline_out(row: CourseOutline) -> dict[str, Any]:
    return {
        "course_id": row.course_id,
        "version": row.version,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
        "outline": row.document,
    }


@blp.route("/courses/<course_id>/outline")
class CourseOutlineView(MethodView):
    @blp.response(200, OutlineOutSchema)
    def get(self, course_id: str) -> dict[str, Any]:
        """The course's current outline (any authenticated caller)."""
        return _outline_out(enrollments.outline_of(request_session(), course_id))

    @blp.arguments(OutlineSchema)
    @blp.response(200, OutlineOutSchema)
    def put(self, document: dict[str, Any], course_id: str) -> dict[str, Any]:
        """Publish the course's outline; every enrolled student's progress is recomputed."""
        principal = current_principal()
        require_identifier(course_id, "course_id", max_length=enrollments.MAX_COURSE_ID_LENGTH)
        access.authorize_course_author(principal, course_id, action="publish")
        row = enrollments.publish_outline(
            request_session(), course_id, document, by=principal.sub, occasion=occasion()
        )
        return _outline_out(row)


# -- enrollments -------------------------------------------------------------------------
@blp.route("/enrollments")
class EnrollmentsView(MethodView):
    @blp.arguments(EnrollmentInSchema)
    @blp.response(201, EnrollmentSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """Enroll a student in a course whose outline is published (409 if enrolled).

        ``enrolled_at`` (a past moment) is for admins and services; anyone else giving it
        gets 403.
        """
        principal = current_principal()
        authorize(
            principal,
            action="enroll",
            resource="enrollment",
            student_id=body["student_id"],
            course_id=body["course_id"],
            change=True,
        )
        if body.get("enrolled_at") is not None:
            access.authorize_backdating(principal, body["student_id"], body["course_id"])
        enrollment = enrollments.enroll(
            request_session(),
            student_id=body["student_id"],
            course_id=body["course_id"],
            time_zone=body["time_zone"],
            occasion=occasion(),
            enrolled_at=body.get("enrolled_at"),
        )
        return dumped_response(ENROLLMENT_DUMPER, enrollment_document(enrollment), 201)

    @blp.arguments(EnrollmentQuerySchema, location="query")
    @blp.response(200, EnrollmentPageSchema)
    def get(self, query: dict[str, Any]) -> Response:
        """Enrollments the caller may see, filtered, oldest enrollment first (no notes)."""
        principal = current_principal()
        page = enrollments.list_enrollments(request_session(), principal, query)
        audit_listing(
            principal,
            action="list",
            resource="enrollments",
            rows=[(row.student_id, row.course_id) for row in page.items],
        )
        return dumped_response(
            ENROLLMENT_PAGE_DUMPER,
            {
                "items": [enrollment_document(row) for row in page.items],
                "next_cursor": page.next_cursor,
            },
        )


@blp.route("/enrollments/by-key")
class EnrollmentByKeyView(MethodView):
    @blp.arguments(NaturalKeyQuerySchema, location="query")
    @blp.response(200, EnrollmentSchema)
    def get(self, query: dict[str, Any]) -> Response:
        """The enrollment of one student in one course (the natural key)."""
        session = request_session()
        enrollment = access.enrollment_by_key_for(
            session, current_principal(), query["student_id"], query["course_id"]
        )
        return document_response(enrollments.read_enrollment(session, enrollment))


@blp.route("/enrollments/<enrollment_id>")
class EnrollmentView(MethodView):
    @blp.response(200, EnrollmentSchema)
    def get(self, enrollment_id: str) -> Response:
        """The StudentCourseProgress document, with notes and bookmarks."""
        return document_response(
            access.document_for(read_session(), current_principal(), enrollment_id)
        )

    @blp.arguments(EnrollmentPatchSchema)
    @blp.response(200, EnrollmentSchema)
    @blp.alt_response(409, description="the status move is not allowed; the detail says why")
    def patch(self, changes: dict[str, Any], enrollment_id: str) -> Response:
        """Change status, current lesson, notification preferences, custom fields, time zone."""
        principal = current_principal()
        session = request_session()
        enrollment = access.enrollment_for(
            session, principal, enrollment_id, action="update", change=True
        )
        found = enrollments.update_enrollment(
            session, enrollment, changes, occasion(), by_admin=principal.role == "admin"
        )
        return document_response(found)


@blp.route("/enrollments/<enrollment_id>/lessons/<lesson_id>/completion")
class LessonCompletionView(MethodView):
    @blp.arguments(LessonCompletionInSchema)
    @blp.response(200, EnrollmentSchema)
    @blp.alt_response(201, schema=EnrollmentSchema, description="the completion was counted")
    def post(self, body: dict[str, Any], enrollment_id: str, lesson_id: str) -> Response:
        """Record a completion: 201 when counted, 200 when its id was counted before.

        Idempotent on ``completion_id`` or the ``Idempotency-Key`` header; one is required.
        """
        completion_id = body.get("completion_id") or request.headers.get("Idempotency-Key")
        if not completion_id:
            raise InvalidInput.for_field(
                "completion_id", "is required (or send an Idempotency-Key header)"
            )
        report = LessonCompletionReport(
            completion_id=completion_id,
            completed_at=body.get("completed_at") or utcnow(),
            time_spent=body["time_spent"],
            score=body.get("score"),
        )
        session = request_session()
        enrollment = access.enrollment_for(
            session,
            current_principal(),
            enrollment_id,
            action="record_lesson",
            change=True,
            child=f"/lessons/{lesson_id}",
        )
        counted, found = enrollments.complete_lesson(
            session, enrollment, lesson_id, report, occasion()
        )
        return document_response(found, 201 if counted else 200)


@blp.route("/enrollments/<enrollment_id>/assignments")
class AssignmentsView(MethodView):
    @blp.arguments(AssignmentInSchema)
    @blp.response(200, EnrollmentSchema)
    @blp.alt_response(409, description="the assignment's status does not allow this")
    def post(self, body: dict[str, Any], enrollment_id: str) -> Response:
        """Submit (student, teacher, LMS), grade or return (teacher, admin, LMS) an assignment."""
        session = request_session()
        principal = current_principal()
        action = body["action"]
        if action == "submit":
            enrollment = access.enrollment_for(
                session,
                principal,
                enrollment_id,
                action="submit",
                change=True,
                child=f"/assignments/{body['assignment_id']}",
            )
        else:
            enrollment = access.staff_enrollment_for(
                session, principal, enrollment_id, action=action
            )
        found = enrollments.record_assignment(
            session, enrollment, body["assignment_id"], _change_of(body), occasion()
        )
        return document_response(found)


def _change_of(body: dict[str, Any]) -> AssignmentChange:
    now = utcnow()
    if body["action"] == "submit":
        return AssignmentSubmission(
            body["submission_id"], body.get("submitted_at") or now, body["time_spent"]
        )
    if body["action"] == "grade":
        return AssignmentGrading(
            body["grade"], body.get("graded_at") or now, body.get("feedback_id")
        )
    return AssignmentReturn()
