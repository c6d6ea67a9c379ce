"""Ingestion: a validated batch stored in bulk, its events and audit in the same transaction.

A request's records are written by the process's ``IngestWriter``: small ingestions
(single records, the common case) of concurrent requests share one transaction (group
commit, ``shared.group_commit``): one insert of all their records, one of their events,
one of their audit rows, one commit. Each request still gets its own exact counts and
its own events, and is answered only once its records are durable. A larger batch is
written alone on its own thread; it is already one statement per table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa

from services.activity import events, store
from services.activity.domain import (
    DEFAULT_CATEGORY,
    month_of,
    strip_query,
)
from services.activity.schemas import IngestBatch, RecordIn
from shared.audit import (
    audit_committed,
    pending_audit_rows,
    write_audit_rows,
    write_audit_rows_on_driver,
)
from shared.db import Database, driver_statement, driver_transaction
from shared.events import Envelope, record_events
from shared.events.outbox import outbox_rows, record_events_on_driver
from shared.group_commit import GroupCommit

URL_FIELDS = ("page_url", "referrer_url")
#: ingestions of at most this many records join a group; larger ones commit alone
GROUPED_RECORDS = 20


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    written: int

    @property
    def duplicates(self) -> int:
        return self.accepted - self.written


@dataclass(frozen=True)
class Ingestion:
    """One request's rows to store and what commits with them: its events' time zone and
    correlation id, and its audit rows."""

    rows: list[dict[str, Any]]
    time_zone: str | None
    correlation_id: str | None
    audit: list[dict[str, Any]]


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


class IngestWriter:
    """The process's writer of ingestions (one per app): see the module's docstring.

    Idempotent: records already stored are skipped, so an ingestion sent again writes no
    row and no event. A record sent by two requests of one group is written by the first
    and counted as a duplicate of the second, as if they had come one after the other.
    """

    def __init__(self, database: Database, *, max_group: int = 64) -> None:
        self.database = database
        self.groups: GroupCommit[Ingestion, IngestResult] = GroupCommit(
            self.write, max_group=max_group
        )

    def submit(self, ingestion: Ingestion) -> IngestResult:
        if len(ingestion.rows) > GROUPED_RECORDS:
            (result,) = self.write([ingestion])
            return result
        return self.groups.submit(ingestion)

    def write(self, ingestions: Sequence[Ingestion]) -> list[IngestResult]:
        """Write ``ingestions`` in one transaction; their results in order."""
        engine = self.database.engine
        try:
            return write_ingestions(self.database, ingestions)
        except sa.exc.DBAPIError as exc:
            if not store.is_missing_partition(exc):
                raise
        # A month archived since this process last looked: create it again and retry.
        months = {month_of(row["timestamp"]) for each in ingestions for row in each.rows}
        store.PARTITIONS.forget(engine)
        store.ensure_partitions(engine, months)
        return write_ingestions(self.database, ingestions)


def write_ingestions(database: Database, ingestions: Sequence[Ingestion]) -> list[IngestResult]:
    """Store the rows of ``ingestions``, their events and their audit rows, one commit.

    Each written record is attributed to the first ingestion holding it; each ingestion
    gets one ``activity.logs.recorded`` per student for the records it wrote.
    """
    if database.dialect == "postgresql" and all(map(_one_record_per_student, ingestions)):
        return _write_in_one_statement(database, ingestions)
    rows = [row for ingestion in ingestions for row in ingestion.rows]
    audit = [entry for ingestion in ingestions for entry in ingestion.audit]
    if database.dialect == "postgresql":
        with driver_transaction(database.engine) as cursor:
            written = store.insert_new_records(cursor, rows)
            results, envelopes = _attribute(ingestions, written)
            record_events_on_driver(cursor, envelopes)
            write_audit_rows_on_driver(cursor, audit)
        return results
    with database.unit_of_work() as session:
        written = store.insert_new_records(session, rows)
        results, envelopes = _attribute(ingestions, written)
        record_events(session, envelopes)
        write_audit_rows(session, audit)
        session.commit()
    return results


def _one_record_per_student(ingestion: Ingestion) -> bool:
    return len({row["student_id"] for row in ingestion.rows}) == len(ingestion.rows)


def _write_in_one_statement(
    database: Database, ingestions: Sequence[Ingestion]
) -> list[IngestResult]:
    """The usual group (single records): each event announces one record, so it is built
    before the insert and stored only if its record is written, all in one statement and
    one round trip. A record held by several ingestions is announced by the first only."""
    seen: set[store.RecordKey] = set()
    owned: list[list[dict[str, Any]]] = []
    announcements: list[dict[str, Any]] = []
    for ingestion in ingestions:
        mine = []
        for row in ingestion.rows:
            key = store.record_key(row)
            if key not in seen:
                seen.add(key)
                mine.append(row)
        owned.append(mine)
        envelopes = events.logs_recorded(
            mine, time_zone=ingestion.time_zone, correlation_id=ingestion.correlation_id
        )
        for row, outbox_row in zip(mine, outbox_rows(envelopes), strict=True):
            announcements.append(
                {**outbox_row, "student_id": row["student_id"], "timestamp": row["timestamp"],
                 "record_id": row["id"]}
            )  # fmt: skip
    rows = [row for ingestion in ingestions for row in ingestion.rows]
    audit = [entry for ingestion in ingestions for entry in ingestion.audit]
    with driver_statement(database.engine) as cursor:
        written = store.insert_announced_records(cursor, rows, announcements, audit)
    return [
        IngestResult(
            accepted=len(ingestion.rows),
            written=sum(store.record_key(row) in written for row in mine),
        )
        for ingestion, mine in zip(ingestions, owned, strict=True)
    ]


def _attribute(
    ingestions: Sequence[Ingestion], written: set[store.RecordKey]
) -> tuple[list[IngestResult], list[Envelope]]:
    unclaimed = set(written)
    results: list[IngestResult] = []
    envelopes: list[Envelope] = []
    for ingestion in ingestions:
        new_rows = []
        for row in ingestion.rows:
            key = store.record_key(row)
            if key in unclaimed:
                unclaimed.discard(key)
                new_rows.append(row)
        envelopes += events.logs_recorded(
            new_rows, time_zone=ingestion.time_zone, correlation_id=ingestion.correlation_id
        )
        results.append(IngestResult(accepted=len(ingestion.rows), written=len(new_rows)))
    return results, envelopes


def record_logs(
    writer: IngestWriter,
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
    events and the audit entries the request collected so far commit together (durable
    before the 202); if the commit fails, the entries stay pending and are audited with
    the error's status.
    """
    rows = [
        row_of(record, ip_hash=ip_hash, keep_url_query=keep_url_query, recorded_at=now)
        for record in batch.records
    ]
    months = {month_of(record.timestamp) for record in batch.records}
    store.ensure_partitions(writer.database.engine, months)
    audit = pending_audit_rows(202)
    result = writer.submit(Ingestion(rows, batch.time_zone, correlation_id, audit))
    audit_committed(len(audit))
    return result


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """The oldest moment a record may have and still be kept."""
    return now - timedelta(days=retention_days)
