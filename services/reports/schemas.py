"""Request validation and response shapes of the reports service (marshmallow).

Every field of the spec's PerformanceReport appears under its name in ``ReportSchema``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.reports.documents import DETAIL_LEVELS, FORMATS, REPORT_TYPES
from services.reports.domain.texts import LANGUAGES
from shared.pagination import PageQuerySchema

ID = validate.Length(min=1, max=120)
SHORT_TEXT = validate.Length(min=1, max=500)
LONG_TEXT = validate.Length(max=10_000)
PERCENT = validate.Range(min=0, max=100)
MAX_PERIOD_DAYS = 731
ROLES_ASSIGNED = ["student", "parent", "teacher"]


def _number(**kwargs: Any) -> fields.Float:
    return fields.Float(allow_nan=False, **kwargs)


def _list(inner: fields.Field, maximum: int = 100, **kwargs: Any) -> fields.List:
    return fields.List(inner, validate=validate.Length(max=maximum), **kwargs)


# -- configuration -----------------------------------------------------------------------
class VisibilitySchema(Schema):
    student = fields.Boolean(load_default=True)
    parents = fields.Boolean(load_default=True)
    teachers = fields.Boolean(load_default=True)
    administrators = fields.Boolean(load_default=True)


class SharingSchema(Schema):
    shareable = fields.Boolean(load_default=False)
    share_url = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "shown once, when a share link is created; null afterwards"},
    )
    expires_at = fields.AwareDateTime(
        dump_only=True, allow_none=True, metadata={"description": "of the latest active link"}
    )


class ConfigurationSchema(Schema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(FORMATS))
    template = fields.String(
        dump_only=True, metadata={"description": "the template the documents are rendered from"}
    )
    include_graphs = fields.Boolean(load_default=False)
    detail_level = fields.String(load_default="detailed", validate=validate.OneOf(DETAIL_LEVELS))
    language = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES))
    visibility = fields.Nested(VisibilitySchema, load_default=lambda: VisibilitySchema().load({}))
    sharing = fields.Nested(SharingSchema, load_default=lambda: SharingSchema().load({}))


# -- teacher-entered parts ---------------------------------------------------------------
class MilestoneSchema(Schema):
    description = fields.String(required=True, validate=SHORT_TEXT)
    completed = fields.Boolean(load_default=False)
    date = fields.AwareDateTime(allow_none=True, load_default=None)


class GoalSchema(Schema):
    goal_id = fields.String(required=True, validate=ID)
    description = fields.String(required=True, validate=SHORT_TEXT)
    target_date = fields.AwareDateTime(allow_none=True, load_default=None)
    progress = _number(load_default=0, validate=PERCENT)
    status = fields.String(
        load_default="on_track",
        validate=validate.OneOf(["on_track", "at_risk", "achieved", "missed"]),
    )
    milestones = _list(fields.Nested(MilestoneSchema), 50, load_default=list)


class ActionItemSchema(Schema):
    priority = fields.String(required=True, validate=validate.OneOf(["high", "medium", "low"]))
    description = fields.String(required=True, validate=SHORT_TEXT)
    due_date = fields.AwareDateTime(allow_none=True, load_default=None)
    assigned_to = fields.String(load_default="student", validate=validate.OneOf(ROLES_ASSIGNED))


class ProjectSchema(Schema):
    id = fields.String(required=True, validate=ID)
    title = fields.String(required=True, validate=SHORT_TEXT)
    grade = _number(allow_none=True, load_default=None, validate=PERCENT)
    collaboration_score = _number(allow_none=True, load_default=None, validate=PERCENT)
    presentation_score = _number(allow_none=True, load_default=None, validate=PERCENT)


class ResourceSchema(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title = fields.String(required=True, validate=SHORT_TEXT)
    url = fields.Url(required=True, schemes={"http", "https"})


class TeacherInputSchema(Schema):
    """What a teacher writes into a report; the report is rebuilt with it."""

    behavior_score = _number(allow_none=True, load_default=None, validate=PERCENT)
    effort_score = _number(allow_none=True, load_default=None, validate=PERCENT)
    teacher_comments = fields.String(allow_none=True, load_default=None, validate=LONG_TEXT)
    goals = _list(fields.Nested(GoalSchema), 50, load_default=list)
    action_items = _list(fields.Nested(ActionItemSchema), 50, load_default=list)
    projects = _list(fields.Nested(ProjectSchema), 50, load_default=list)
    resources = _list(fields.Nested(ResourceSchema), 50, load_default=list)
    support_services = _list(fields.String(validate=SHORT_TEXT), 20, load_default=list)
    feedback_summaries = fields.Dict(
        keys=fields.String(validate=ID),
        values=fields.String(validate=SHORT_TEXT),
        load_default=dict,
        metadata={"description": "assignment id -> feedback summary shown with the assignment"},
    )


# -- report requests ---------------------------------------------------------------------
class ReportInSchema(Schema):
    student_id = fields.String(required=True, validate=ID)
    course_id = fields.String(load_default=None, allow_none=True, validate=ID)
    report_type = fields.String(required=True, validate=validate.OneOf(REPORT_TYPES))
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    description = fields.String(load_default=None, allow_none=True, validate=LONG_TEXT)
    period_start = fields.AwareDateTime(required=True)
    period_end = fields.AwareDateTime(required=True)
    configuration = fields.Nested(
        ConfigurationSchema, load_default=lambda: ConfigurationSchema().load({})
    )

    @validates_schema
    def period_is_ordered_and_bounded(self, data: Mapping[str, Any], **_: Any) -> None:
        start, end = data.get("period_start"), data.get("period_end")
        if start is None or end is None:
            return
        if end <= start:
            raise ValidationError("must be after period_start", "period_end")
        if (end - start).days > MAX_PERIOD_DAYS:
            raise ValidationError(f"a period spans at most {MAX_PERIOD_DAYS} days", "period_end")


class ReportQuerySchema(PageQuerySchema):
    student_id = fields.String(validate=ID)
    course_id = fields.String(validate=ID)


class DocumentQuerySchema(Schema):
    format = fields.String(
        validate=validate.OneOf(FORMATS),
        metadata={"description": "default: the report's configured format"},
    )


# -- responses ---------------------------------------------------------------------------
class AccessSchema(Schema):
    user_id = fields.String()
    role = fields.String()
    accessed_at = fields.AwareDateTime()


class SummarySchema(Schema):
    overall_grade = fields.String(allow_none=True)
    overall_percentage = fields.Float(allow_none=True)
    attendance_rate = fields.Float(allow_none=True)
    completion_rate = fields.Float(allow_none=True)
    behavior_score = fields.Float(allow_none=True)
    effort_score = fields.Float(allow_none=True)
    total_time_spent = fields.Float(metadata={"description": "hours"})
    assignments_completed = fields.Integer()
    quizzes_taken = fields.Integer()
    gpa_contribution = fields.Float(allow_none=True)
    credit_hours = fields.Float()


class QuizSchema(Schema):
    id = fields.String()
    title = fields.String()
    date = fields.AwareDateTime()
    score = fields.Float(allow_none=True)
    weight = fields.Float(metadata={"description": "grade weight percentage"})
    trend = fields.String(metadata={"description": "improving, stable or declining"})


class AssignmentSchema(Schema):
    id = fields.String()
    title = fields.String()
    submitted = fields.AwareDateTime()
    grade = fields.Float(allow_none=True)
    feedback_summary = fields.String(allow_none=True)
    late = fields.Boolean()


class AssessmentsSchema(Schema):
    quizzes = fields.List(fields.Nested(QuizSchema))
    assignments = fields.List(fields.Nested(AssignmentSchema))
    projects = fields.List(fields.Nested(ProjectSchema))


class SubSkillSchema(Schema):
    name = fields.String()
    level = fields.Integer(metadata={"description": "1-5"})


class SkillSchema(Schema):
    skill_name = fields.String()
    category = fields.String()
    mastery_level = fields.String()
    evidence_count = fields.Integer()
    last_demonstrated = fields.AwareDateTime()
    sub_skills = fields.List(fields.Nested(SubSkillSchema))


class RecommendationsSchema(Schema):
    academic = fields.List(fields.String())
    behavioral = fields.List(fields.String())
    enrichment = fields.List(fields.String())


class FeedbackSchema(Schema):
    strengths = fields.List(fields.String())
    improvements = fields.List(fields.String())
    achievements = fields.List(fields.String())
    teacher_comments = fields.String(allow_none=True)
    action_items = fields.List(fields.Nested(ActionItemSchema))
    recommendations = fields.Nested(RecommendationsSchema)


class NextStepsSchema(Schema):
    immediate_focus = fields.String()
    resources = fields.List(fields.Nested(ResourceSchema))
    support_services = fields.List(fields.String())
    parent_actions = fields.List(fields.String())


class ReportSchema(Schema):
    """A PerformanceReport; its content sections are null until the report is ready."""

    id = fields.String()
    student_id = fields.String()
    course_id = fields.String(allow_none=True)
    report_type = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    period_start = fields.AwareDateTime()
    period_end = fields.AwareDateTime()
    generated_at = fields.AwareDateTime(allow_none=True)
    generated_by = fields.String()
    accessed_by = fields.List(fields.Nested(AccessSchema))
    summary = fields.Nested(SummarySchema, allow_none=True)
    assessments = fields.Nested(AssessmentsSchema, allow_none=True)
    skills = fields.List(fields.Nested(SkillSchema), allow_none=True)
    goals = fields.List(fields.Nested(GoalSchema), allow_none=True)
    feedback = fields.Nested(FeedbackSchema, allow_none=True)
    next_steps = fields.Nested(NextStepsSchema, allow_none=True)
    configuration = fields.Nested(ConfigurationSchema)
    status = fields.String(metadata={"description": "queued, running, ready or failed"})
    failure_reason = fields.String(allow_none=True)
    document_version = fields.Integer()
    document_url = fields.String()
    teacher_input = fields.Nested(TeacherInputSchema)


class ReportListItemSchema(Schema):
    """A report in a list: what it is and where it stands, without its content (reading
    the content is a view, recorded in ``accessed_by``: ``GET /reports/{id}``)."""

    id = fields.String()
    student_id = fields.String()
    course_id = fields.String(allow_none=True)
    report_type = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    period_start = fields.AwareDateTime()
    period_end = fields.AwareDateTime()
    generated_at = fields.AwareDateTime(allow_none=True)
    generated_by = fields.String()
    configuration = fields.Nested(ConfigurationSchema)
    status = fields.String(metadata={"description": "queued, running, ready or failed"})
    failure_reason = fields.String(allow_none=True)
    document_version = fields.Integer()
    document_url = fields.String()


class ReportPageSchema(Schema):
    items = fields.List(fields.Nested(ReportListItemSchema))
    next_cursor = fields.String(allow_none=True)


# -- course settings ---------------------------------------------------------------------
class GradeBandSchema(Schema):
    letter = fields.String(required=True, validate=validate.Length(min=1, max=5))
    min_percentage = _number(required=True, validate=PERCENT)
    gpa_points = _number(required=True, validate=validate.Range(min=0, max=10))


class CourseSettingsSchema(Schema):
    grading_scale = fields.List(
        fields.Nested(GradeBandSchema), required=True, validate=validate.Length(min=1, max=30)
    )
    credit_hours = _number(load_default=0, validate=validate.Range(min=0, max=60))
    due_dates = fields.Dict(
        keys=fields.String(validate=ID),
        values=fields.AwareDateTime(),
        load_default=dict,
        metadata={
            "description": "assignment id -> due date (an assignment submitted after it is late)"
        },
    )


class CourseSettingsOutSchema(CourseSettingsSchema):
    course_id = fields.String()
    updated_at = fields.AwareDateTime()
    updated_by = fields.String()


# -- share links -------------------------------------------------------------------------
class ShareLinkInSchema(Schema):
    expires_at = fields.AwareDateTime(required=True)


class ShareLinkSchema(Schema):
    id = fields.String()
    report_id = fields.String()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)
    share_url = fields.String(
        allow_none=True, metadata={"description": "carries the token; returned only on creation"}
    )
