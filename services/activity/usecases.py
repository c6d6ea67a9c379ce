"""The activity service's commands and queries, one function each; each owns its
transaction, loads and writes through ``store`` and leaves its events in the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.activity import events, store
from services.activity.domain import (
    DEFAULT_CATEGORY,
    month_of,
    session_duration_minutes,
    strip_query,
)
from services.activity.schemas import IngestBatch, RecordIn
from shared.audit import audit_access, audit_listing, authorize, commit_with_audit
from shared.auth import Principal
from shared.errors import InvalidInput
from shared.events import record_events
from shared.pagination import decode_cursor, encode_cursor

URL_FIELDS = ("page_url", "referrer_url")
LOGS_RESOURCE = "activity logs"
SESSIONS_RESOURCE = "activity sessions"


# -- ingestion ---------------------------------------------------------------------------
@dataclass(frozen=True)
class IngestResult:
    accepted: int
    written: int

    @property
    def duplicates(self) -> int:
        return self.accepted - self.written


def row_of(
    record: RecordIn, *, ip_hash: str | None, keep_url_query: bool, recorded_at: datetime
) -> dict[str, Any]:
    """The stored form of a record: category defaulted, URLs minimized, address hashed."""
    details: dict[str, Any] = (
        msgspec.to_builtins(record.details) if record.details is not None else {}
    )
    if not keep_url_query:
        for name in URL_FIELDS:
            if name in details:
                details[name] = strip_query(details[name])
    device = record.device_info
    return {
        "student_id": record.student_id,
        "timestamp": record.timestamp,
        "id": record.id,
        "activity_type": record.activity_type.value,
        "activity_category": (
            record.activity_category or DEFAULT_CATEGORY[record.activity_type]
        ).value,
        "course_id": record.course_id,
        "lesson_id": record.lesson_id,
        "quiz_id": record.quiz_id,
        "assignment_id": record.assignment_id,
        "resource_id": record.resource_id,
        "details": details,
        "device_info": msgspec.to_builtins(device) if device is not None else None,
        "session_id": record.session_id,
        "session_duration": record.session_duration,
        "learning_path_id": record.learning_path_id,
        "learning_objective_id": record.learning_objective_id,
        "success": record.success,
        "error_message": record.error_message,
        "ip_hash": ip_hash,
        "recorded_at": recorded_at,
    }


def record_logs(
    session: Session,
    batch: IngestBatch,
    *,
    ip_hash: str | None,
    keep_url_query: bool,
    now: datetime,
    correlation_id: str | None,
) -> IngestResult:
    """Store a validated batch, skipping records already stored, and publish one
    ``activity.logs.recorded`` per student for the records this call wrote.

    Idempotent: the same batch again writes no row and no event. The records, their
    events and the audit of the access commit together (durable before the 202).
    """
    rows = [
        row_of(record, ip_hash=ip_hash, keep_url_query=keep_url_query, recorded_at=now)
        for record in batch.records
    ]
    engine = session.get_bind()
    months = {month_of(record.timestamp) for record in batch.records}
    store.ensure_partitions(engine, months)  # type: ignore[arg-type]
    try:
        written = store.insert_records(session, rows)
    except sa.exc.DBAPIError as exc:
        if not store.is_missing_partition(exc):
            raise
        # A month archived since this process last looked: create it again and retry.
        session.rollback()
        store.PARTITIONS.forget(engine)  # type: ignore[arg-type]
        store.ensure_partitions(engine, months)  # type: ignore[arg-type]
        written = store.insert_records(session, rows)
    new_rows = [row for row in rows if (row["student_id"], row["id"]) in written]
    record_events(
        session,
        events.logs_recorded(new_rows, time_zone=batch.time_zone, correlation_id=correlation_id),
    )
    commit_with_audit(session, 202)
    return IngestResult(accepted=len(rows), written=len(new_rows))


# -- queries -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _after(cursor: str | None, size: int) -> Any:
    if not cursor:
        return None
    values = decode_cursor(cursor, size)
    try:
        values[0] = datetime.fromisoformat(values[0])
    except (TypeError, ValueError) as exc:
        raise InvalidInput.for_field("cursor", "is not a cursor this API issued") from exc
    if values[0].tzinfo is None or not all(isinstance(v, str) for v in values[1:]):
        raise InvalidInput.for_field("cursor", "is not a cursor this API issued")
    return tuple(values)


def _redacted(principal: Principal, row: Mapping[str, Any]) -> dict[str, Any]:
    """A record as the caller may see it: a parent gets no device or address detail."""
    item = dict(row)
    if principal.role == "parent":
        item.pop("device_info", None)
        item.pop("ip_hash", None)
    return item


def list_logs(
    session: Session,
    principal: Principal,
    where: store.LogFilter,
    *,
    limit: int,
    cursor: str | None,
) -> Page:
    """Records the caller may see, newest first, one page at a time.

    A filter naming a student (for students and parents) or a course (for teachers) the
    caller may not see answers 404, audited as denied; otherwise the list holds only
    what the caller may see, and every (student, course) it returns is audited.
    """
    if principal.role in {"student", "parent"} and where.student_id is not None:
        authorize(principal, action="list", resource=LOGS_RESOURCE, student_id=where.student_id)
    if principal.role == "teacher" and where.course_id is not None:
        authorize(
            principal,
            action="list",
            resource=LOGS_RESOURCE,
            student_id=where.student_id,
            course_id=where.course_id,
        )
    rows = store.list_logs(session, where, principal.scope(), limit=limit, after=_after(cursor, 3))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_redacted(principal, dict(row._mapping)) for row in rows]
    if items:
        audit_listing(
            principal,
            action="list",
            resource=LOGS_RESOURCE,
            rows=[(item["student_id"], item["course_id"]) for item in items],
        )
    else:
        audit_access(
            principal,
            action="list",
            resource=LOGS_RESOURCE,
            student_id=where.student_id,
            course_id=where.course_id,
        )
    last = rows[-1] if more and rows else None
    next_cursor = (
        encode_cursor([last.timestamp, last.id, last.student_id]) if last is not None else None
    )
    return Page(items, next_cursor)


def list_sessions(
    session: Session,
    principal: Principal,
    student_id: str,
    *,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page:
    """A student's sessions, latest first, with ``session_duration`` derived from their
    records. A teacher sees the sessions made of records in their courses."""
    course_ids: frozenset[str] | None = None
    if principal.role == "teacher":
        course_ids = principal.courses
        audit_access(principal, action="list", resource=SESSIONS_RESOURCE, student_id=student_id)
    else:
        authorize(principal, action="list", resource=SESSIONS_RESOURCE, student_id=student_id)
    rows = store.list_sessions(
        session,
        student_id,
        course_ids,
        start=start,
        end=end,
        limit=limit,
        after=_after(cursor, 2),
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "session_id": row.session_id,
            "student_id": student_id,
            "started_at": row.started_at,
            "ended_at": row.ended_at,
            "session_duration": session_duration_minutes(row.started_at, row.ended_at),
            "record_count": row.record_count,
        }
        for row in rows
    ]
    last = rows[-1] if more and rows else None
    next_cursor = encode_cursor([last.started_at, last.session_id]) if last is not None else None
    return Page(items, next_cursor)


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """The oldest moment a record may have and still be kept."""
    return now - timedelta(days=retention_days)
