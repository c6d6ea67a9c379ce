"""Request validation and response shapes of the attempts API (marshmallow).

The attempt response is the spec's QuizAttempt, every field under its name and nested
as in the spec, plus ``status``, ``quiz_version`` and ``time_limit_ends_at``. Fields a
role may not see are left out of the response (never sent as null). Request schemas
check types and ranges; the domain then checks the rules (quiz structure, answer
shapes, flag folding). Unknown fields are refused (marshmallow's default), naming the
field.

The answer save, the most frequent request, reads its body with the msgspec type
``AnswerIn`` instead (``decode_answer``); ``AnswerInSchema`` stays its documentation and
words its refusals, so a client gets the same answer from either. Both take their
limits from the constants below, and a test feeds them the same generated bodies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.attempts.domain import IntegrityFlagType, QuestionType
from shared.pagination import PageQuerySchema
from shared.serialization import CompiledDumper

ITEM_ID = validate.Length(min=1, max=128)
STUDENT_ID = validate.Length(min=1, max=120)
SCORE = validate.Range(min=0, max=100)
ENVIRONMENTS = ["classroom", "home", "mobile"]
DEVICE_TYPES = ["desktop", "tablet", "mobile"]
STATUSES = ["in_progress", "pending_grading", "graded"]
QUESTION_TYPES = [question_type.value for question_type in QuestionType]
FLAG_TYPES = [flag_type.value for flag_type in IntegrityFlagType]
MAX_FEEDBACK_LENGTH = 50_000
#: seconds one visit to a question may add to its time
MAX_TIME_SPENT = 86_400
MIN_CONFIDENCE_LEVEL = 1
MAX_CONFIDENCE_LEVEL = 5
TIME_SPENT = validate.Range(min=0, max=MAX_TIME_SPENT)
CONFIDENCE_LEVEL = validate.Range(min=MIN_CONFIDENCE_LEVEL, max=MAX_CONFIDENCE_LEVEL)


def _number(**kwargs: Any) -> fields.Float:
    return fields.Float(allow_nan=False, **kwargs)


# -- quizzes -----------------------------------------------------------------------------
class QuestionInSchema(Schema):
    question_id = fields.String(required=True, validate=ITEM_ID)
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    prompt = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    points = _number(required=True, validate=validate.Range(min=0, max=1000, min_inclusive=False))
    answer_key = fields.Raw(
        allow_none=True,
        metadata={"description": "shape by type; see services/attempts/SCORING.md"},
    )
    options = fields.List(
        fields.Raw(), metadata={"description": "strings, or objects with id and text"}
    )
    tags = fields.List(fields.String(validate=ITEM_ID), metadata={"description": "skills"})
    difficulty = fields.Integer(strict=True, validate=validate.Range(min=1, max=5))
    tolerance = _number(validate=validate.Range(min=0), metadata={"description": "numeric"})
    case_sensitive = fields.Boolean(metadata={"description": "short_text"})


class QuizInSchema(Schema):
    quiz_id = fields.String(validate=ITEM_ID, metadata={"description": "defaults to the path's"})
    course_id = fields.String(required=True, validate=ITEM_ID)
    lesson_id = fields.String(allow_none=True, validate=ITEM_ID)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    questions = fields.List(
        fields.Nested(QuestionInSchema), required=True, validate=validate.Length(min=1, max=500)
    )
    passing_score = _number(required=True, validate=SCORE)
    time_limit_minutes = _number(allow_none=True, validate=validate.Range(min=0, max=1440))
    attempts_allowed = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1))
    randomize_questions = fields.Boolean()
    randomize_options = fields.Boolean()
    allow_practice = fields.Boolean()
    adaptive = fields.Boolean()
    allow_review = fields.Boolean(
        metadata={"description": "students may see correct answers after submitting"}
    )
    grace_seconds = fields.Integer(strict=True, validate=validate.Range(min=0, max=300))


class PresentedOptionSchema(Schema):
    id = fields.String()
    text = fields.String()


class PresentedQuestionSchema(Schema):
    question_id = fields.String()
    type = fields.String()
    prompt = fields.String()
    points = fields.Float()
    tags = fields.List(fields.String())
    difficulty = fields.Integer()
    left_items = fields.List(fields.String(), metadata={"description": "matching only"})
    options = fields.List(
        fields.Nested(PresentedOptionSchema),
        metadata={"description": "choices, matching's right items or ordering's items"},
    )


class QuizOutSchema(Schema):
    quiz_id = fields.String()
    course_id = fields.String()
    version = fields.Integer()
    published_at = fields.DateTime()
    published_by = fields.String()
    definition = fields.Dict(
        metadata={"description": "the full definition with answer keys (authors only)"}
    )
    title = fields.String()
    lesson_id = fields.String(allow_none=True)
    passing_score = fields.Float()
    time_limit_minutes = fields.Float(allow_none=True)
    attempts_allowed = fields.Integer(allow_none=True)
    allow_practice = fields.Boolean()
    adaptive = fields.Boolean()
    allow_review = fields.Boolean()
    questions = fields.List(
        fields.Nested(PresentedQuestionSchema),
        metadata={"description": "the questions without answer keys (everyone else)"},
    )


class QuizVersionQuerySchema(Schema):
    version = fields.Integer(strict=False, validate=validate.Range(min=1))


# -- attempts: requests ------------------------------------------------------------------
class DeviceInfoSchema(Schema):
    type = fields.String(allow_none=True, validate=validate.OneOf(DEVICE_TYPES))
    browser = fields.String(allow_none=True, validate=validate.Length(max=200))
    os = fields.String(allow_none=True, validate=validate.Length(max=200))
    screen_size = fields.String(allow_none=True, validate=validate.Length(max=32))


class LocationInSchema(Schema):
    country = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    region = fields.String(allow_none=True, validate=validate.Length(max=100))
    timezone = fields.String(allow_none=True, validate=validate.Length(max=64))


class AttemptStartSchema(Schema):
    is_practice = fields.Boolean(load_default=False)
    environment = fields.String(allow_none=True, validate=validate.OneOf(ENVIRONMENTS))
    session_id = fields.String(allow_none=True, validate=ITEM_ID)
    device_info = fields.Nested(DeviceInfoSchema)
    location_info = fields.Nested(
        LocationInSchema,
        metadata={"description": "the IP address is taken from the connection and hashed"},
    )


class AnswerInSchema(Schema):
    answer = fields.Raw(required=True, metadata={"description": "shape by question type"})
    time_spent = _number(
        load_default=0.0,
        validate=TIME_SPENT,
        metadata={"description": "seconds spent on the question during this visit"},
    )
    confidence_level = fields.Integer(
        allow_none=True, strict=True, load_default=None, validate=CONFIDENCE_LEVEL
    )


#: any JSON value but null (``fields.Raw`` refuses null unless told otherwise)
JsonValue = str | int | float | bool | list[Any] | dict[str, Any]


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``AnswerInSchema`` as a msgspec type: the body of the answer save, decoded in C."""

    answer: JsonValue
    time_spent: Annotated[float, msgspec.Meta(ge=0, le=MAX_TIME_SPENT)] = 0.0
    confidence_level: (
        Annotated[int, msgspec.Meta(ge=MIN_CONFIDENCE_LEVEL, le=MAX_CONFIDENCE_LEVEL)] | None
    ) = None


ANSWER_DECODER = msgspec.json.Decoder(AnswerIn)
ANSWER_SCHEMA = AnswerInSchema()


def decode_answer(body: bytes) -> AnswerIn:
    """The body of an answer save (``b""`` when none was sent as JSON), as ``AnswerIn``.

    A body msgspec refuses goes through ``AnswerInSchema`` exactly as flask-smorest's
    parser (webargs) read it: text that is no JSON is a 400, a refused body a 422 naming
    every field at fault in marshmallow's words. The schema also accepts, as it always
    has, the odd body no well-formed client sends (``time_spent`` as a string, a NaN
    answer).
    """
    try:
        return ANSWER_DECODER.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return _answer_through_the_schema(body)


def _answer_through_the_schema(body: bytes) -> AnswerIn:
    # The messages under "json", as webargs nests them (shared/http.py takes them out).
    data: Any = {}
    if body:
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError as exc:
            abort(400, exc=exc, messages={"json": ["Invalid JSON body."]})
    try:
        loaded = ANSWER_SCHEMA.load(data)
    except ValidationError as exc:
        abort(422, exc=exc, messages={"json": exc.messages})
    return AnswerIn(**loaded)


class IntegrityFlagInSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(FLAG_TYPES))
    timestamp = fields.AwareDateTime(required=True)
    details = fields.String(allow_none=True, validate=validate.Length(max=1000))


class FeedbackInSchema(Schema):
    #: documents require_something (shared/web.py SchemaKeywordsPlugin)
    OPENAPI = {
        "anyOf": [
            {"required": ["feedback"], "properties": {"feedback": {"type": "string"}}},
            {"required": ["points"], "properties": {"points": {"minProperties": 1}}},
        ]
    }

    feedback = fields.String(
        allow_none=True,
        validate=validate.Length(max=MAX_FEEDBACK_LENGTH),
        metadata={"description": "markdown"},
    )
    points = fields.Dict(
        keys=fields.String(validate=ITEM_ID),
        values=_number(validate=validate.Range(min=0)),
        load_default=dict,
        metadata={"description": "points per question id (0 to the question's points)"},
    )

    @validates_schema
    def require_something(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if data.get("feedback") is None and not data.get("points"):
            raise ValidationError("send feedback, points, or both", "feedback")


class AttemptQuerySchema(PageQuerySchema):
    student_id = fields.String(validate=STUDENT_ID)
    quiz_id = fields.String(validate=ITEM_ID)
    course_id = fields.String(validate=ITEM_ID)
    status = fields.String(validate=validate.OneOf(STATUSES))


# -- attempts: responses -----------------------------------------------------------------
class AnswerSchema(Schema):
    question_id = fields.String()
    question_type = fields.String()
    answer = fields.Raw(allow_none=True)
    correct_answer = fields.Raw(allow_none=True)
    is_correct = fields.Boolean(allow_none=True)
    partial_credit = fields.Boolean(allow_none=True)
    points_earned = fields.Float(allow_none=True)
    points_possible = fields.Float()
    pending = fields.Boolean(allow_none=True, metadata={"description": "awaits a teacher"})
    time_spent = fields.Float(metadata={"description": "seconds"})
    attempts_before_answer = fields.Integer()
    confidence_level = fields.Integer(allow_none=True)


class DeviceInfoOutSchema(DeviceInfoSchema):
    """The same fields as the request's, named apart in the OpenAPI document."""


class LocationInfoSchema(LocationInSchema):
    ip_address = fields.String(allow_none=True, metadata={"description": "HMAC-SHA256, hex"})


class IntegrityFlagSchema(Schema):
    type = fields.String()
    timestamp = fields.String(metadata={"description": "UTC ISO 8601"})
    details = fields.String()


class AttemptMetadataSchema(Schema):
    question_order = fields.List(fields.String())
    randomized = fields.Boolean()
    adaptive = fields.Boolean()
    difficulty_adjustments = fields.List(fields.Integer())


class AttemptSchema(Schema):
    id = fields.String()
    student_id = fields.String()
    quiz_id = fields.String()
    quiz_version = fields.Integer()
    course_id = fields.String()
    lesson_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "in_progress, pending_grading or graded"})
    started_at = fields.DateTime()
    time_limit_ends_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    time_spent = fields.Float(allow_none=True, metadata={"description": "minutes"})
    time_limit_exceeded = fields.Boolean()
    score = fields.Float(allow_none=True)
    points_earned = fields.Float(allow_none=True)
    points_possible = fields.Float()
    passed = fields.Boolean(allow_none=True)
    passing_score = fields.Float()
    answers = fields.List(fields.Nested(AnswerSchema))
    feedback = fields.String(allow_none=True)
    feedback_provided_at = fields.DateTime(allow_none=True)
    feedback_provided_by = fields.String(allow_none=True)
    auto_feedback = fields.String(allow_none=True)
    attempt_number = fields.Integer()
    is_practice = fields.Boolean()
    environment = fields.String(allow_none=True)
    device_info = fields.Nested(DeviceInfoOutSchema)
    location_info = fields.Nested(LocationInfoSchema)
    integrity_flags = fields.List(fields.Nested(IntegrityFlagSchema))
    session_id = fields.String(allow_none=True)
    interruptions = fields.Integer()
    metadata = fields.Nested(AttemptMetadataSchema)


class AttemptPageSchema(Schema):
    items = fields.List(fields.Nested(AttemptSchema))
    next_cursor = fields.String(allow_none=True)


class SavedAnswerSchema(Schema):
    attempt_id = fields.String()
    question_id = fields.String()
    question_type = fields.String()
    answer = fields.Raw()
    time_spent = fields.Float(metadata={"description": "seconds on the question in total"})
    attempts_before_answer = fields.Integer()
    confidence_level = fields.Integer(allow_none=True)
    question_order = fields.List(
        fields.String(), metadata={"description": "questions presented so far (adaptive: grows)"}
    )


#: ``SavedAnswerSchema().dump`` compiled: the answer save is the most frequent request.
SAVED_ANSWER_DUMPER = CompiledDumper(SavedAnswerSchema)


class PresentedAttemptQuestionsSchema(Schema):
    attempt_id = fields.String()
    questions = fields.List(fields.Nested(PresentedQuestionSchema))


class ItemStatisticsSchema(Schema):
    question_id = fields.String()
    responses = fields.Integer()
    facility = fields.Float(allow_none=True, metadata={"description": "mean share earned"})
    fully_correct_share = fields.Float(allow_none=True)
    discrimination = fields.Float(allow_none=True, metadata={"description": "upper - lower"})


class ItemAnalysisSchema(Schema):
    quiz_id = fields.String()
    version = fields.Integer()
    attempts_counted = fields.Integer()
    items = fields.List(fields.Nested(ItemStatisticsSchema))


class SweepResultSchema(Schema):
    closed = fields.Integer()
    attempt_ids = fields.List(fields.String())
