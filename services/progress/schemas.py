"""Request validation and response shapes of the progress API (marshmallow).

The response document is the spec's StudentCourseProgress, every field under its
name and nested as in the spec. Request schemas check types and ranges; the domain
then checks the rules (outline structure, status moves, positions, custom fields).
Unknown fields are refused (marshmallow's default), naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_dump,
    validate,
    validates_schema,
)

from services.progress.domain import EnrollmentStatus
from services.progress.models import Bookmark, Enrollment, Note
from services.progress.store.documents import EnrollmentRow
from shared.pagination import PageQuerySchema
from shared.serialization import CompiledDumper
from shared.time import parse_iso, to_iso, utc_iso_text

STUDENT_ID = validate.Length(min=1, max=120)
ITEM_ID = validate.Length(min=1, max=128)
#: the audit log keeps course ids of at most 120 characters, so no longer ones are accepted
COURSE_ID = validate.Length(min=1, max=120)
SCORE = validate.Range(min=0, max=100)
DURATION = validate.Range(min=0, max=1_000_000)
STATUSES = [status.value for status in EnrollmentStatus]


def _id(**kwargs: Any) -> fields.String:
    return fields.String(validate=ITEM_ID, **kwargs)


def _number(**kwargs: Any) -> fields.Float:
    return fields.Float(allow_nan=False, **kwargs)


class _TimestampsFromJson(Schema):
    """Entries stored as JSON carry ISO strings; dump them as date-times."""

    TIMESTAMPS: tuple[str, ...] = ()

    @pre_dump
    def parse_timestamps(self, entry: Mapping[str, Any], **_kwargs: Any) -> dict[str, Any]:
        parsed = dict(entry)
        for name in self.TIMESTAMPS:
            if isinstance(parsed.get(name), str):
                parsed[name] = parse_iso(parsed[name])
        return parsed


# -- outline ----------------------------------------------------------------------------
class OutlineItemSchema(_TimestampsFromJson):
    """An item; its ``due_at`` is kept in the stored outline as UTC text (``...Z``)."""

    TIMESTAMPS = ("due_at",)
    item_id = _id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["lesson", "quiz", "assignment"]))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    required = fields.Boolean(metadata={"description": "counts toward progress (default true)"})
    weight = _number(validate=validate.Range(min=0, max=1000, min_inclusive=False))
    due_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "when the work is due (optional), with offset"}
    )

    @post_load
    def due_at_as_text(self, item: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if isinstance(item.get("due_at"), datetime):
            item["due_at"] = to_iso(item["due_at"])
        return item


class OutlineModuleSchema(Schema):
    module_id = _id(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    items = fields.List(
        fields.Nested(OutlineItemSchema), required=True, validate=validate.Length(min=1, max=500)
    )


class CompletionCriteriaSchema(Schema):
    all_required_lessons = fields.Boolean()
    all_required_quizzes_passed = fields.Boolean()
    all_required_assignments_submitted = fields.Boolean()
    assignments_min_grade = _number(allow_none=True, validate=SCORE)
    min_progress_percentage = fields.Integer(allow_none=True, validate=SCORE, strict=True)
    requires_final_result = fields.Boolean(
        metadata={
            "description": "decided by the final result an institution records, never by "
            "the items alone (default false)"
        }
    )


class CertificateCriteriaSchema(Schema):
    requires_completion = fields.Boolean()
    min_average_score = _number(allow_none=True, validate=SCORE)


class OutlineSchema(Schema):
    modules = fields.List(
        fields.Nested(OutlineModuleSchema), required=True, validate=validate.Length(min=1, max=200)
    )
    completion_criteria = fields.Nested(CompletionCriteriaSchema)
    certificate_criteria = fields.Nested(CertificateCriteriaSchema)


class OutlineOutSchema(Schema):
    course_id = fields.String()
    version = fields.Integer()
    updated_at = fields.DateTime()
    updated_by = fields.String()
    outline = fields.Nested(OutlineSchema)


# -- enrollments: requests --------------------------------------------------------------
class EnrollmentInSchema(Schema):
    student_id = fields.String(required=True, validate=STUDENT_ID)
    course_id = fields.String(required=True, validate=COURSE_ID)
    time_zone = fields.String(
        load_default="UTC",
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the student's IANA time zone, for streaks"},
    )
    enrolled_at = fields.AwareDateTime(
        metadata={
            "description": "admins and services only: a past enrollment moment (an "
            "institution's records); default now. Others get 403"
        }
    )


class EnrollmentQuerySchema(PageQuerySchema):
    student_id = fields.String(validate=STUDENT_ID)
    course_id = fields.String(validate=COURSE_ID)
    status = fields.String(validate=validate.OneOf(STATUSES))


class NaturalKeyQuerySchema(Schema):
    student_id = fields.String(required=True, validate=STUDENT_ID)
    course_id = fields.String(required=True, validate=COURSE_ID)


class EnrollmentPatchSchema(Schema):
    #: documents require_a_change (shared/web.py SchemaKeywordsPlugin)
    OPENAPI = {"minProperties": 1}

    status = fields.String(validate=validate.OneOf(STATUSES))
    current_lesson_id = _id()
    notification_preferences = fields.Dict(
        metadata={"description": "switches to change: reminders, achievements, deadlines"}
    )
    custom_fields = fields.Dict(
        metadata={"description": "replaces the custom fields (at most 3 levels, 50 keys, 8 KiB)"}
    )
    time_zone = fields.String(validate=validate.Length(min=1, max=64))

    @validates_schema
    def require_a_change(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("send at least one field to change", "_schema")


class LessonCompletionInSchema(Schema):
    completion_id = _id(
        metadata={"description": "idempotency key (or send an Idempotency-Key header)"}
    )
    completed_at = fields.AwareDateTime(metadata={"description": "default: now"})
    time_spent = _number(required=True, validate=DURATION, metadata={"description": "minutes"})
    score = _number(allow_none=True, validate=SCORE)


class AssignmentInSchema(Schema):
    assignment_id = _id(required=True)
    action = fields.String(required=True, validate=validate.OneOf(["submit", "grade", "return"]))
    submission_id = _id(metadata={"description": "submit: idempotency key of the submission"})
    submitted_at = fields.AwareDateTime(metadata={"description": "submit; default: now"})
    time_spent = _number(validate=DURATION, metadata={"description": "submit: minutes"})
    grade = _number(validate=SCORE, metadata={"description": "grade: 0-100"})
    graded_at = fields.AwareDateTime(metadata={"description": "grade; default: now"})
    feedback_id = _id(allow_none=True)

    @validates_schema
    def require_fields_of_action(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        needed = {"submit": ["submission_id", "time_spent"], "grade": ["grade"], "return": []}
        errors = {
            name: [f"is required to {data['action']}"]
            for name in needed.get(data.get("action", ""), [])
            if data.get(name) is None
        }
        if errors:
            raise ValidationError(errors)


# -- an institution's historical records ------------------------------------------------
FINAL_RESULTS = ["pass", "distinction", "fail", "withdrawn"]
#: records per request, and submissions per record
MAX_RECORDS = 500
MAX_SUBMISSIONS = 1000


class SubmissionRecordSchema(Schema):
    item_id = _id(required=True, metadata={"description": "a quiz or assignment of the outline"})
    submitted_at = fields.AwareDateTime(required=True)
    score = _number(
        allow_none=True,
        load_default=None,
        validate=SCORE,
        metadata={"description": "percentage 0-100; null: submitted, not scored"},
    )
    graded_at = fields.AwareDateTime(
        allow_none=True,
        load_default=None,
        metadata={"description": "with a score; default submitted_at"},
    )
    passed = fields.Boolean(
        allow_none=True,
        load_default=None,
        metadata={"description": "quizzes: passed or not; default score >= 40"},
    )

    @validates_schema
    def require_a_score_to_grade(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        graded_at = data.get("graded_at")
        if graded_at is None:
            return
        if data.get("score") is None:
            raise ValidationError("needs a score", "graded_at")
        submitted_at = data.get("submitted_at")
        if submitted_at is not None and graded_at < submitted_at:
            raise ValidationError("must not be before submitted_at", "graded_at")


class FinalResultInSchema(Schema):
    result = fields.String(required=True, validate=validate.OneOf(FINAL_RESULTS))
    at = fields.AwareDateTime(required=True, metadata={"description": "when it was decided"})


class EnrollmentRecordSchema(Schema):
    student_id = fields.String(required=True, validate=STUDENT_ID)
    course_id = fields.String(required=True, validate=COURSE_ID)
    enrolled_at = fields.AwareDateTime(required=True)
    time_zone = fields.String(
        load_default="UTC",
        validate=validate.Length(min=1, max=64),
        metadata={"description": "IANA zone of a new enrollment (default UTC)"},
    )
    submissions = fields.List(
        fields.Nested(SubmissionRecordSchema),
        load_default=list,
        validate=validate.Length(max=MAX_SUBMISSIONS),
    )
    final_result = fields.Nested(FinalResultInSchema, allow_none=True, load_default=None)


class EnrollmentRecordsInSchema(Schema):
    records = fields.List(
        fields.Nested(EnrollmentRecordSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_RECORDS),
    )


class RecordResultSchema(Schema):
    index = fields.Integer(metadata={"description": "the record's position in the request"})
    enrollment_id = fields.String()
    created = fields.Boolean(metadata={"description": "the enrollment was created now"})
    submissions_recorded = fields.Integer(metadata={"description": "new submissions recorded"})
    final_result_recorded = fields.Boolean()


class EnrollmentRecordsOutSchema(Schema):
    results = fields.List(fields.Nested(RecordResultSchema))


# -- notes and bookmarks -----------------------------------------------------------------
class NoteInSchema(Schema):
    lesson_id = _id(required=True)
    content = fields.String(required=True, metadata={"description": "markdown, stored as written"})
    tags = fields.List(fields.Raw(), load_default=list)


class NotePatchSchema(Schema):
    #: documents require_a_change (shared/web.py SchemaKeywordsPlugin)
    OPENAPI = {"minProperties": 1}

    content = fields.String()
    tags = fields.List(fields.Raw())

    @validates_schema
    def require_a_change(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("send content and/or tags", "_schema")


class NoteQuerySchema(PageQuerySchema):
    lesson_id = _id()
    tag = fields.String(validate=validate.Length(min=1, max=64))
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "every word must appear in the content or a tag"},
    )


class BookmarkInSchema(Schema):
    content_type = fields.String(
        required=True, validate=validate.OneOf(["lesson", "video", "quiz"])
    )
    content_id = _id(required=True)
    position = fields.String(
        allow_none=True, metadata={"description": "'05:23', '1:02:03', 'p. 12' or '12'"}
    )
    note = fields.String(allow_none=True)


class BookmarkPatchSchema(Schema):
    #: documents require_a_change (shared/web.py SchemaKeywordsPlugin)
    OPENAPI = {"minProperties": 1}

    position = fields.String(allow_none=True)
    note = fields.String(allow_none=True)

    @validates_schema
    def require_a_change(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("send position and/or note", "_schema")


class BookmarkQuerySchema(PageQuerySchema):
    content_id = _id()
    content_type = fields.String(validate=validate.OneOf(["lesson", "video", "quiz"]))


# -- the StudentCourseProgress document -------------------------------------------------
class CompletedLessonSchema(_TimestampsFromJson):
    TIMESTAMPS = ("completed_at",)
    lesson_id = fields.String()
    completed_at = fields.DateTime()
    time_spent = fields.Float(metadata={"description": "total minutes spent"})
    attempts = fields.Integer(metadata={"description": "distinct completions recorded"})
    score = fields.Float(allow_none=True, metadata={"description": "best score, 0-100"})


class CompletedQuizSchema(_TimestampsFromJson):
    TIMESTAMPS = ("completed_at",)
    quiz_id = fields.String()
    completed_at = fields.DateTime(allow_none=True)
    attempts = fields.Integer()
    best_score = fields.Float(allow_none=True)
    best_attempt_id = fields.String(allow_none=True)
    time_spent = fields.Float(metadata={"description": "minutes across all attempts"})
    passed = fields.Boolean()


class CompletedAssignmentSchema(_TimestampsFromJson):
    TIMESTAMPS = ("submitted_at",)
    assignment_id = fields.String()
    submitted_at = fields.DateTime()
    grade = fields.Float(allow_none=True)
    feedback_id = fields.String(allow_none=True)
    time_spent = fields.Float(metadata={"description": "minutes"})
    status = fields.String(metadata={"description": "submitted, graded or returned"})


class NoteSchema(Schema):
    id = fields.String()
    lesson_id = fields.String()
    content = fields.String(metadata={"description": "markdown as written; never rendered"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    tags = fields.List(fields.String())


class BookmarkSchema(Schema):
    id = fields.String()
    content_type = fields.String()
    content_id = fields.String()
    position = fields.String(allow_none=True)
    created_at = fields.DateTime()
    note = fields.String(allow_none=True)


class NotificationPreferencesSchema(Schema):
    reminders = fields.Boolean()
    achievements = fields.Boolean()
    deadlines = fields.Boolean()


class EnrollmentSchema(Schema):
    id = fields.String()
    student_id = fields.String()
    course_id = fields.String()
    enrolled_at = fields.DateTime()
    last_accessed = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"description": ", ".join(STATUSES)})
    completed_lessons = fields.List(fields.Nested(CompletedLessonSchema))
    completed_quizzes = fields.List(fields.Nested(CompletedQuizSchema))
    completed_assignments = fields.List(fields.Nested(CompletedAssignmentSchema))
    current_lesson_id = fields.String(allow_none=True)
    current_module_id = fields.String(allow_none=True)
    progress_percentage = fields.Integer()
    certificate_issued = fields.Boolean()
    certificate_url = fields.String(allow_none=True)
    certificate_issued_at = fields.DateTime(allow_none=True)
    certificate_pending = fields.Boolean(
        metadata={"description": "earned and requested, not rendered yet (extension)"}
    )
    total_time_spent = fields.Float(metadata={"description": "minutes in the course"})
    login_streak = fields.Integer()
    last_streak_date = fields.Date(
        allow_none=True, metadata={"description": "calendar date in the student's time zone"}
    )
    notes = fields.List(fields.Nested(NoteSchema))
    bookmarks = fields.List(fields.Nested(BookmarkSchema))
    last_notification_sent = fields.DateTime(allow_none=True)
    notification_preferences = fields.Nested(NotificationPreferencesSchema)
    custom_fields = fields.Dict()
    time_zone = fields.String(metadata={"description": "IANA time zone (extension)"})
    final_result = fields.String(
        allow_none=True,
        metadata={
            "description": "the institution's final result (extension): pass, distinction, "
            "fail or withdrawn; null until recorded"
        },
    )
    final_result_at = fields.DateTime(
        allow_none=True, metadata={"description": "when the final result was decided"}
    )


class EnrollmentSummarySchema(EnrollmentSchema):
    """The document without notes and bookmarks, as lists show it."""

    class Meta:
        exclude = ("notes", "bookmarks")


class EnrollmentPageSchema(Schema):
    items = fields.List(fields.Nested(EnrollmentSummarySchema))
    next_cursor = fields.String(allow_none=True)


class NotePageSchema(Schema):
    items = fields.List(fields.Nested(NoteSchema))
    next_cursor = fields.String(allow_none=True)


class BookmarkPageSchema(Schema):
    items = fields.List(fields.Nested(BookmarkSchema))
    next_cursor = fields.String(allow_none=True)


def enrollment_document(
    enrollment: Enrollment | EnrollmentRow,
    notes: Iterable[Note] = (),
    bookmarks: Iterable[Bookmark] = (),
) -> dict[str, Any]:
    """The StudentCourseProgress document of ``enrollment``, ready for ``EnrollmentSchema``."""
    return {
        "id": enrollment.id,
        "student_id": enrollment.student_id,
        "course_id": enrollment.course_id,
        "enrolled_at": enrollment.enrolled_at,
        "last_accessed": enrollment.last_accessed,
        "status": enrollment.status,
        "completed_lessons": enrollment.completed_lessons,
        "completed_quizzes": enrollment.completed_quizzes,
        "completed_assignments": enrollment.completed_assignments,
        "current_lesson_id": enrollment.current_lesson_id,
        "current_module_id": enrollment.current_module_id,
        "progress_percentage": enrollment.progress_percentage,
        "certificate_issued": enrollment.certificate_issued,
        "certificate_url": enrollment.certificate_url,
        "certificate_issued_at": enrollment.certificate_issued_at,
        "certificate_pending": enrollment.certificate_requested_at is not None
        and not enrollment.certificate_issued,
        "total_time_spent": round(enrollment.total_time_spent_seconds / 60, 2),
        "login_streak": enrollment.login_streak,
        "last_streak_date": enrollment.last_streak_date,
        "notes": list(notes),
        "bookmarks": list(bookmarks),
        "last_notification_sent": enrollment.last_notification_sent,
        "notification_preferences": enrollment.notification_preferences,
        "custom_fields": enrollment.custom_fields,
        "time_zone": enrollment.time_zone,
        "final_result": enrollment.final_result,
        "final_result_at": enrollment.final_result_at,
    }


#: ``EnrollmentSchema`` and ``EnrollmentPageSchema`` compiled (``shared.serialization``);
#: the JSON entries' ISO timestamps come out as ``parse_timestamps`` (``parse_iso``) and
#: marshmallow's ``isoformat`` make them (``utc_iso_text``)
ENROLLMENT_DUMPER = CompiledDumper(
    EnrollmentSchema, replicated_hooks={"parse_timestamps"}, datetime_text=utc_iso_text
)
ENROLLMENT_PAGE_DUMPER = CompiledDumper(
    EnrollmentPageSchema, replicated_hooks={"parse_timestamps"}, datetime_text=utc_iso_text
)
