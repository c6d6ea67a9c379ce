"""Request validation and response shapes of the activity API.

``ActivityLogInSchema`` (marshmallow) is the documented contract of a record: every
field of the spec's ActivityLog under its name, in ``openapi.json``. Ingestion, the
platform's busiest path, validates with the msgspec types below instead (many times
faster; ``bench/activity.py`` calibrates both). Both are built from the vocabulary
and limits of ``domain.records`` and both call ``domain.record_problems`` for the
rules that span fields; a test feeds them the same generated inputs and checks that
they accept and refuse alike. Types are strict in both: a number sent as a string, a
boolean sent as a number, an unknown field or an unknown activity type is refused,
naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from werkzeug.exceptions import RequestEntityTooLarge

from services.activity.domain import (
    ACTIVITY_TYPES,
    CATEGORIES,
    CONNECTION_TYPES,
    INPUT_METHODS,
    LIMITS,
    MAX_BATCH_RECORDS,
    ActivityCategory,
    ActivityType,
    ConnectionType,
    InputMethod,
    duplicate_problems,
    is_time_zone,
    record_problems,
)
from shared.errors import InvalidInput
from shared.pagination import PageQuerySchema
from shared.time import utcnow

CONTEXT_FIELDS = ("course_id", "lesson_id", "quiz_id", "assignment_id", "resource_id")
UtcTimestamp = Annotated[datetime, msgspec.Meta(tz=True)]


# -- the record, for the hot path (msgspec) ----------------------------------------------
Seconds = Annotated[float, msgspec.Meta(ge=0, le=LIMITS.duration_seconds)] | None
Percent = Annotated[float, msgspec.Meta(ge=0, le=LIMITS.percent)] | None
Milliseconds = Annotated[float, msgspec.Meta(ge=0, le=LIMITS.milliseconds)] | None
Interactions = Annotated[int, msgspec.Meta(ge=0, le=LIMITS.interaction_count)] | None
TimeZone = Annotated[str, msgspec.Meta(min_length=1, max_length=LIMITS.time_zone_length)] | None
SessionMinutes = Annotated[float, msgspec.Meta(ge=0, le=LIMITS.session_minutes)] | None
Ref = Annotated[str, msgspec.Meta(min_length=1, max_length=LIMITS.id_length)] | None
Text = Annotated[str, msgspec.Meta(max_length=LIMITS.text_length)] | None
Url = Annotated[str, msgspec.Meta(max_length=LIMITS.url_length)] | None


class DetailsIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    action: Text = None
    duration: Seconds = None
    progress: Percent = None
    score: Percent = None
    input_method: InputMethod | None = None
    interaction_count: Interactions = None
    page_url: Url = None
    referrer_url: Url = None
    content_section: Text = None
    load_time: Milliseconds = None
    response_time: Milliseconds = None
    custom_data: dict[str, Any] | None = None


class DeviceInfoIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    type: Text = None
    browser: Text = None
    os: Text = None
    screen_size: Text = None
    connection_type: ConnectionType | None = None


class RecordIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One ActivityLog record as a client sends it."""

    id: Annotated[str, msgspec.Meta(pattern=LIMITS.id_pattern)]
    student_id: Annotated[str, msgspec.Meta(min_length=1, max_length=LIMITS.id_length)]
    timestamp: UtcTimestamp
    activity_type: ActivityType
    activity_category: ActivityCategory | None = None
    course_id: Ref = None
    lesson_id: Ref = None
    quiz_id: Ref = None
    assignment_id: Ref = None
    resource_id: Ref = None
    details: DetailsIn | None = None
    device_info: DeviceInfoIn | None = None
    session_id: Ref = None
    session_duration: SessionMinutes = None
    learning_path_id: Ref = None
    learning_objective_id: Ref = None
    success: bool | None = None
    error_message: Annotated[str, msgspec.Meta(max_length=LIMITS.error_message_length)] | None = (
        None
    )


class BatchIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The batch form of ``POST /logs``; its records are decoded one by one."""

    records: list[msgspec.Raw]
    time_zone: TimeZone = None


RECORD_DECODER = msgspec.json.Decoder(RecordIn)
BATCH_DECODER = msgspec.json.Decoder(BatchIn)
ENVELOPE_DECODER = msgspec.json.Decoder(dict[str, msgspec.Raw])


def problems_of(record: RecordIn, *, now: datetime, oldest: datetime) -> dict[str, str]:
    """The rules spanning the fields of a decoded record (``domain.record_problems``)."""
    details = record.details
    return record_problems(
        activity_type=record.activity_type,
        timestamp=record.timestamp,
        present={name: getattr(record, name) for name in CONTEXT_FIELDS},
        custom_data=details.custom_data if details is not None else None,
        now=now,
        oldest=oldest,
    )


def decode_record(raw: bytes | msgspec.Raw, *, now: datetime, oldest: datetime) -> RecordIn:
    """A record from its JSON, or ``InvalidRecord`` naming the field and the problem."""
    try:
        record = RECORD_DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        raise InvalidRecord(*_field_and_reason(str(exc))) from exc
    except msgspec.DecodeError as exc:
        raise InvalidRecord("record", f"is not valid JSON: {exc}") from exc
    problems = problems_of(record, now=now, oldest=oldest)
    if problems:
        field, reason = next(iter(problems.items()))
        raise InvalidRecord(field, reason, problems)
    return record


class InvalidRecord(ValueError):
    def __init__(self, field: str, reason: str, problems: dict[str, str] | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.problems = problems or {field: reason}


def _field_and_reason(message: str) -> tuple[str, str]:
    """msgspec's "Expected `int`, got `str` - at `$.details.duration`" as (field, reason)."""
    reason, _, where = message.partition(" - at `$")
    field = where.rstrip("`").lstrip(".") if where else ""
    if "field `" in reason:
        named = reason.split("field `", 1)[1].split("`", 1)[0]
        field = f"{field}.{named}" if field else named
    return field or "record", reason


# -- the record, documented (marshmallow) ------------------------------------------------
class StrictNumber(fields.Float):
    """A JSON number, never a string or a boolean."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictInteger(fields.Integer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Timestamp(fields.DateTime):
    """RFC 3339 with an offset, parsed exactly as the hot path parses it."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        try:
            moment: datetime = msgspec.convert(value, UtcTimestamp)
        except msgspec.ValidationError as exc:
            raise ValidationError(f"Not an RFC 3339 date-time with an offset ({exc}).") from exc
        return moment


def _number(maximum: float, description: str) -> StrictNumber:
    return StrictNumber(
        allow_none=True,
        allow_nan=False,
        validate=validate.Range(min=0, max=maximum),
        metadata={"description": description},
    )


def _ref(description: str, **kwargs: Any) -> fields.String:
    return fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=LIMITS.id_length),
        metadata={"description": description},
        **kwargs,
    )


def _text(description: str, length: int = LIMITS.text_length) -> fields.String:
    return fields.String(
        allow_none=True, validate=validate.Length(max=length), metadata={"description": description}
    )


class DetailsSchema(Schema):
    action = _text("Specific action taken")
    duration = _number(LIMITS.duration_seconds, "Duration in seconds (if applicable)")
    progress = _number(LIMITS.percent, "Progress percentage (if applicable)")
    score = _number(LIMITS.percent, "Score achieved (if applicable), 0-100")
    input_method = fields.String(allow_none=True, validate=validate.OneOf(INPUT_METHODS))
    interaction_count = StrictInteger(
        allow_none=True,
        validate=validate.Range(min=0, max=LIMITS.interaction_count),
        metadata={"description": "Number of interactions"},
    )
    page_url = _text(
        "Current page URL (query string stripped unless configured)", LIMITS.url_length
    )
    referrer_url = _text(
        "Previous page URL (query string stripped unless configured)", LIMITS.url_length
    )
    content_section = _text("Specific section accessed")
    load_time = _number(LIMITS.milliseconds, "Page/content load time (ms)")
    response_time = _number(LIMITS.milliseconds, "Server response time (ms)")
    custom_data = fields.Dict(
        keys=fields.String(),
        allow_none=True,
        metadata={
            "description": f"Event-specific data, at most {LIMITS.custom_data_bytes} bytes as JSON"
        },
    )


class DeviceInfoSchema(Schema):
    type = _text("Device type (desktop, tablet, mobile...)")
    browser = _text("Browser")
    os = _text("Operating system")
    screen_size = _text("Screen size, e.g. 1920x1080")
    connection_type = fields.String(allow_none=True, validate=validate.OneOf(CONNECTION_TYPES))


class ActivityLogInSchema(Schema):
    """One ActivityLog record as a client sends it."""

    id = fields.String(
        required=True,
        validate=validate.Regexp(LIMITS.id_pattern),
        metadata={"description": "Log entry identifier, made by the client (a UUID is best)"},
    )
    student_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=LIMITS.id_length),
        metadata={"description": "References users.id"},
    )
    timestamp = Timestamp(
        required=True,
        metadata={"description": "Activity timestamp, RFC 3339 with an offset"},
    )
    activity_type = fields.String(required=True, validate=validate.OneOf(ACTIVITY_TYPES))
    activity_category = fields.String(
        allow_none=True,
        validate=validate.OneOf(CATEGORIES),
        metadata={"description": "Defaults to the activity type's category"},
    )
    course_id = _ref("References courses.id (required for lesson_* and quiz_*)")
    lesson_id = _ref("References lessons.id (required for lesson_*)")
    quiz_id = _ref("References quizzes.id (required for quiz_*)")
    assignment_id = _ref("References assignments.id")
    resource_id = _ref("References resources.id (required for video_* and resource_download)")
    details = fields.Nested(DetailsSchema, allow_none=True)
    device_info = fields.Nested(DeviceInfoSchema, allow_none=True)
    session_id = _ref("Current session identifier")
    session_duration = _number(LIMITS.session_minutes, "Current session length (minutes)")
    learning_path_id = _ref("Current learning path")
    learning_objective_id = _ref("Associated objective")
    success = StrictBoolean(
        allow_none=True, metadata={"description": "Whether action was successful"}
    )
    error_message = _text("Error details if failed", LIMITS.error_message_length)

    def __init__(
        self, *, now: datetime | None = None, retention: timedelta | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.now = now
        self.retention = retention or timedelta(days=1095)

    @validates_schema
    def check_rules(self, data: dict[str, Any], **_kwargs: Any) -> None:
        now = self.now or utcnow()
        details = data.get("details") or {}
        problems = record_problems(
            activity_type=data["activity_type"],
            timestamp=data["timestamp"],
            present={name: data.get(name) for name in CONTEXT_FIELDS},
            custom_data=details.get("custom_data"),
            now=now,
            oldest=now - self.retention,
        )
        if problems:
            raise ValidationError({field: [reason] for field, reason in problems.items()})


class ActivityLogBatchInSchema(Schema):
    """The batch form of ``POST /logs``."""

    records = fields.List(
        fields.Nested(ActivityLogInSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH_RECORDS),
    )
    time_zone = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=LIMITS.time_zone_length),
        metadata={"description": "The student's IANA time zone (streaks count days there)"},
    )


class IngestResultSchema(Schema):
    accepted = fields.Integer(metadata={"description": "records in the request"})
    written = fields.Integer(metadata={"description": "records stored by this request"})
    duplicates = fields.Integer(metadata={"description": "records already stored (same id)"})


# -- reads -------------------------------------------------------------------------------
class ActivityLogSchema(Schema):
    """One stored ActivityLog record. Parents get no ``device_info`` and no ``ip_hash``."""

    id = fields.String()
    student_id = fields.String()
    timestamp = fields.DateTime()
    activity_type = fields.String()
    activity_category = fields.String()
    course_id = fields.String(allow_none=True)
    lesson_id = fields.String(allow_none=True)
    quiz_id = fields.String(allow_none=True)
    assignment_id = fields.String(allow_none=True)
    resource_id = fields.String(allow_none=True)
    details = fields.Dict(metadata={"description": "as in ActivityLogIn.details"})
    device_info = fields.Dict(allow_none=True, metadata={"description": "as sent"})
    session_id = fields.String(allow_none=True)
    session_duration = fields.Float(allow_none=True)
    learning_path_id = fields.String(allow_none=True)
    learning_objective_id = fields.String(allow_none=True)
    success = fields.Boolean(allow_none=True)
    error_message = fields.String(allow_none=True)
    ip_hash = fields.String(
        allow_none=True,
        metadata={"description": "HMAC-SHA256 of the sender's address; the address is not kept"},
    )
    recorded_at = fields.DateTime(metadata={"description": "when the service stored it"})


class LogQuerySchema(PageQuerySchema):
    student_id = fields.String(validate=validate.Length(min=1, max=LIMITS.id_length))
    course_id = fields.String(validate=validate.Length(min=1, max=LIMITS.id_length))
    lesson_id = fields.String(validate=validate.Length(min=1, max=LIMITS.id_length))
    activity_type = fields.String(validate=validate.OneOf(ACTIVITY_TYPES))
    from_ = fields.AwareDateTime(data_key="from", metadata={"description": "inclusive"})
    to = fields.AwareDateTime(metadata={"description": "exclusive"})

    @validates_schema
    def check_range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("from_") and data.get("to") and data["from_"] >= data["to"]:
            raise ValidationError({"to": ["must be after from"]})


class LogPageSchema(Schema):
    items = fields.List(fields.Nested(ActivityLogSchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "older records"})


class SessionQuerySchema(PageQuerySchema):
    from_ = fields.AwareDateTime(data_key="from", metadata={"description": "inclusive"})
    to = fields.AwareDateTime(metadata={"description": "exclusive"})


class SessionSchema(Schema):
    session_id = fields.String()
    student_id = fields.String()
    started_at = fields.DateTime(metadata={"description": "the session's first record"})
    ended_at = fields.DateTime(metadata={"description": "the session's last record"})
    session_duration = fields.Float(
        metadata={"description": "minutes from the first record to the last"}
    )
    record_count = fields.Integer()


class SessionPageSchema(Schema):
    items = fields.List(fields.Nested(SessionSchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "older sessions"})


# -- the body of POST /logs --------------------------------------------------------------
@dataclass(frozen=True)
class IngestBatch:
    records: list[RecordIn]
    time_zone: str | None


def parse_ingest_body(body: bytes, *, now: datetime, oldest: datetime) -> IngestBatch:
    """One record, or ``{"records": [...], "time_zone": ...}``, validated whole.

    Every bad record is named (``records[3].timestamp``) with its problem; one bad
    record refuses the batch (``InvalidInput``), so nothing of it is written.
    """
    try:
        top = ENVELOPE_DECODER.decode(body)
    except msgspec.ValidationError as exc:
        raise InvalidInput.for_field("body", "must be a JSON object") from exc
    except msgspec.DecodeError as exc:
        raise InvalidInput.for_field("body", f"is not valid JSON: {exc}") from exc
    if "records" not in top:
        try:
            return IngestBatch([decode_record(body, now=now, oldest=oldest)], None)
        except InvalidRecord as exc:
            fields_ = {field: [reason] for field, reason in exc.problems.items()}
            raise InvalidInput(f"the record is invalid: {exc}", fields_) from exc
    try:
        batch = BATCH_DECODER.decode(body)
    except msgspec.ValidationError as exc:
        field, reason = _field_and_reason(str(exc))
        raise InvalidInput.for_field(field, reason) from exc
    if len(batch.records) > MAX_BATCH_RECORDS:
        raise RequestEntityTooLarge(
            f"a batch holds at most {MAX_BATCH_RECORDS} records; this one has "
            f"{len(batch.records)}. Nothing was written."
        )
    if not batch.records:
        raise InvalidInput.for_field("records", "must hold at least one record")
    if batch.time_zone is not None and not is_time_zone(batch.time_zone):
        raise InvalidInput.for_field("time_zone", f"{batch.time_zone!r} is not an IANA time zone")
    problems: dict[str, list[str]] = {}
    records: list[RecordIn] = []
    for index, raw in enumerate(batch.records):
        try:
            records.append(decode_record(raw, now=now, oldest=oldest))
        except InvalidRecord as exc:
            for field, reason in exc.problems.items():
                problems[f"records[{index}].{field}"] = [reason]
    if not problems:
        repeated = duplicate_problems((record.student_id, record.id) for record in records)
        for index, reason in repeated.items():
            problems[f"records[{index}].id"] = [reason]
    if problems:
        bad = len({name.split("]", 1)[0] for name in problems})
        raise InvalidInput(
            f"{bad} of {len(batch.records)} records are invalid; nothing was written", problems
        )
    return IngestBatch(records, batch.time_zone)
