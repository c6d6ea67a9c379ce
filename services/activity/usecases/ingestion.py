"""Ingestion: a validated batch stored in bulk, its events in the same transaction."""

from __future__ import annotations

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
    strip_query,
)
from services.activity.schemas import IngestBatch, RecordIn
from shared.audit import commit_with_audit
from shared.events import record_events

URL_FIELDS = ("page_url", "referrer_url")


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


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """The oldest moment a record may have and still be kept."""
    return now - timedelta(days=retention_days)
