"""HTTP routes of the activity service: parse, authorize, call one use case, serialize."""

from __future__ import annotations

from typing import Any

import msgspec
from flask import Response, current_app, g, request
from flask.views import MethodView
from werkzeug.exceptions import UnsupportedMediaType

from services.activity import store, usecases
from services.activity.domain import hash_ip
from services.activity.schemas import (
    ActivityLogSchema,
    IngestResultSchema,
    LogPageSchema,
    LogQuerySchema,
    SessionPageSchema,
    SessionQuerySchema,
    parse_ingest_body,
)
from shared.audit import ALLOWED, DENIED, audit_access
from shared.auth import Principal
from shared.blueprints import Blueprint
from shared.errors import Forbidden
from shared.json_sql import page_body
from shared.serialization import CompiledDumper
from shared.time import utcnow
from shared.web import (
    current_principal,
    dumped_response,
    read_session,
    service_context,
)

DESCRIPTION = "ActivityLog: fine-grained student activity, recorded one by one or in batches."
#: roles that send activity: a student for themself, a content player or the LMS with a
#: service token for any student, an admin (imports)
RECORDING_ROLES = frozenset({"student", "service", "admin"})

blp = Blueprint("activity", __name__, description=DESCRIPTION)
#: the fields of a record in GET /logs, in the documented schema's order
LOG_FIELDS = tuple(ActivityLogSchema().dump_fields)
#: the sessions list through a compiled dumper (the schema stays the documentation)
SESSION_PAGE = CompiledDumper(SessionPageSchema)
RESULT_ENCODER = msgspec.json.Encoder()

#: where the app keeps its ``IngestWriter`` (app.extensions)
INGEST_WRITER = "stride.activity.ingest"

INGEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"$ref": "#/components/schemas/ActivityLogIn"},
                    {"$ref": "#/components/schemas/ActivityLogBatchIn"},
                ]
            }
        }
    },
}


def ingest_writer() -> usecases.IngestWriter:
    """The app's writer of ingestions (one per process: it joins concurrent requests)."""
    writer: usecases.IngestWriter = current_app.extensions[INGEST_WRITER]
    return writer


def authorize_recording(principal: Principal, student_ids: list[str]) -> None:
    """Audit the caller's write for each student of the batch; refuse it whole (403) if
    any is not theirs to write: a student writes only their own records, parents and
    teachers none."""
    refused = []
    for student_id in student_ids:
        allowed = principal.role in RECORDING_ROLES and (
            principal.role != "student" or student_id == principal.sub
        )
        audit_access(
            principal,
            action="record",
            resource=usecases.LOGS_RESOURCE,
            student_id=student_id,
            outcome=ALLOWED if allowed else DENIED,
        )
        if not allowed:
            refused.append(student_id)
    if refused:
        raise Forbidden(
            f"role {principal.role} may not record activity of {', '.join(refused[:5])}"
            + (f" and {len(refused) - 5} more" if len(refused) > 5 else "")
            + "; nothing was written"
        )


@blp.route("/logs")
class LogsView(MethodView):
    @blp.doc(requestBody=INGEST_BODY)
    @blp.response(202, IngestResultSchema)
    def post(self) -> Response:
        """Record one ActivityLog record, or a batch of up to 1,000.

        The body is one record, or ``{"records": [...], "time_zone": "Europe/London"}``.
        Every record is validated; one bad record refuses the whole batch (422, each bad
        record named as ``records[i].field``), and nothing is written. A record already
        stored (same student, id and timestamp) is skipped, so a batch sent again writes
        nothing twice. 202 once the records are durable.
        """
        if not request.is_json:
            raise UnsupportedMediaType("send the records as application/json")
        context = service_context()
        settings = context.settings
        now = utcnow()
        batch = parse_ingest_body(
            request.get_data(cache=False),
            now=now,
            oldest=usecases.retention_cutoff(now, settings.activity_retention_days),
        )
        principal = current_principal()
        students = list(dict.fromkeys(record.student_id for record in batch.records))
        authorize_recording(principal, students)
        address = request.remote_addr if principal.role == "student" else None
        result = usecases.record_logs(
            ingest_writer(),
            batch,
            ip_hash=hash_ip(address, settings.ip_hash_key) if address else None,
            keep_url_query=settings.activity_keep_url_query,
            now=now,
            correlation_id=g.get("request_id"),
        )
        counts = {
            "accepted": result.accepted,
            "written": result.written,
            "duplicates": result.duplicates,
        }
        # The response built directly (the schema stays the documentation): the hot path.
        return Response(RESULT_ENCODER.encode(counts), 202, mimetype="application/json")

    @blp.arguments(LogQuerySchema, location="query")
    @blp.response(200, LogPageSchema)
    def get(self, query: dict[str, Any]) -> Response:
        """Records the caller may see, newest first, by student, course, lesson, activity
        type and time range (``from`` inclusive, ``to`` exclusive); cursor pagination on
        (timestamp, id)."""
        where = store.LogFilter(
            student_id=query.get("student_id"),
            course_id=query.get("course_id"),
            lesson_id=query.get("lesson_id"),
            activity_type=query.get("activity_type"),
            start=query.get("from_"),
            end=query.get("to"),
        )
        page = usecases.list_logs(
            read_session(),
            current_principal(),
            where,
            limit=query["limit"],
            cursor=query.get("cursor"),
            fields=LOG_FIELDS,
        )
        # The JSON as the store built it (on PostgreSQL, the database): the schema stays
        # the documentation, and a test holds the two to the same fields.
        return Response(page_body(page.items, page.next_cursor), mimetype="application/json")


@blp.route("/students/<student_id>/sessions")
class SessionsView(MethodView):
    @blp.arguments(SessionQuerySchema, location="query")
    @blp.response(200, SessionPageSchema)
    def get(self, query: dict[str, Any], student_id: str) -> Response:
        """A student's sessions (records sharing a ``session_id``), latest first, with
        ``session_duration`` in minutes from the first record to the last."""
        page = usecases.list_sessions(
            read_session(),
            current_principal(),
            student_id,
            start=query.get("from_"),
            end=query.get("to"),
            limit=query["limit"],
            cursor=query.get("cursor"),
        )
        body = {"items": page.items, "next_cursor": page.next_cursor}
        return dumped_response(SESSION_PAGE, body)
