"""Every query, lock and row mapping of the activity service.

Records are written in bulk: on PostgreSQL a batch is one ``INSERT ... SELECT FROM
json_to_recordset(...)`` statement (the rows travel as one JSON parameter that the
server parses), on SQLite one multi-row insert. Both skip a record already stored
(same student, timestamp and id) and return the keys of the rows they wrote.

On PostgreSQL ``activity_logs`` is partitioned by month on ``timestamp``. Partitions
are created ahead (``ensure_partitions``, run by the migration, the maintenance job
and, for any month a batch needs that has none, by ingestion itself), each in a short
transaction of its own under an advisory lock, through the owner's ``SECURITY DEFINER``
function ``stride_activity_ensure_partition``, so the service's runtime role, which owns
no table, can add one too.
"""

from __future__ import annotations

import functools
import re
import threading
import weakref
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec
import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from services.activity.domain import month_range, partition_name
from services.activity.models import RECORD_COLUMNS, activity_archives, activity_logs
from shared.audit import AUDIT_ROWS_INSERT
from shared.auth import AccessScope
from shared.db import rowcount_of, session_cursor
from shared.json_sql import json_items, json_page
from shared.pagination import encode_cursor

LOGS = activity_logs.c
UTC_TIMESTAMP = activity_logs.c.timestamp.type
PARTITION_LOCK = zlib.crc32(b"stride-activity-partitions")
PARTITION_NAME = re.compile(r"^activity_logs_y(\d{4})m(\d{2})$")

#: json_to_recordset's column definitions: the table's columns as SQL types
_RECORDSET_TYPES = {
    "timestamp": "timestamptz",
    "recorded_at": "timestamptz",
    "details": "jsonb",
    "device_info": "jsonb",
    "session_duration": "float8",
    "success": "boolean",
}
_COLUMN_LIST = ", ".join(f'"{name}"' for name in RECORD_COLUMNS)
_RECORDSET = ", ".join(f'"{name}" {_RECORDSET_TYPES.get(name, "text")}' for name in RECORD_COLUMNS)
_FROM_JSON = (
    f"INSERT INTO activity_logs ({_COLUMN_LIST}) "
    f"SELECT {_COLUMN_LIST} FROM json_to_recordset(CAST({{rows}} AS json)) AS r({_RECORDSET}) "
    "ON CONFLICT DO NOTHING"
)
_BULK_INSERT = sa.text(_FROM_JSON.format(rows=":rows") + " RETURNING student_id, id")
#: the same on the driver's connection, returning each written record's whole key
_DRIVER_BULK_INSERT = _FROM_JSON.format(rows="%s") + ' RETURNING student_id, "timestamp", id'
_ENCODER = msgspec.json.Encoder()
#: records, the events announcing them and the audit rows in one statement: an event row
#: names the record it announces (student_id, timestamp, record_id) and is stored only if
#: that record was written
_ANNOUNCED_INSERT = (
    f"WITH written AS ({_DRIVER_BULK_INSERT}), "
    "announced AS (INSERT INTO outbox (id, event_type, body, created_at) "
    "SELECT e.id, e.event_type, e.body, e.created_at FROM json_to_recordset(%s::json) AS "
    'e(id text, event_type text, body text, created_at timestamptz, student_id text, "timestamp" '
    "timestamptz, record_id text) JOIN written w ON w.student_id = e.student_id "
    'AND w."timestamp" = e."timestamp" AND w.id = e.record_id), '
    f"audited AS ({AUDIT_ROWS_INSERT}) "
    'SELECT student_id, "timestamp", id FROM written'
)
#: the owner's SECURITY DEFINER function (migration activity_0003): the runtime role may
#: add a partition through it, but not CREATE TABLE ... PARTITION OF itself
_ENSURE_PARTITION = sa.text("SELECT stride_activity_ensure_partition(:first_day)")


def is_postgres(bind: Session | Connection | Engine) -> bool:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


# -- writing -----------------------------------------------------------------------------
def insert_records(session: Session, rows: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """Store ``rows`` (every column of the table) in one statement; the (student_id, id)
    of the rows written, leaving out those already stored."""
    if not rows:
        return set()
    if is_postgres(session):
        result = session.execute(_BULK_INSERT, {"rows": _ENCODER.encode(rows).decode()})
    else:
        statement = sqlite_insert(activity_logs).on_conflict_do_nothing()
        result = session.execute(statement.returning(LOGS.student_id, LOGS.id), list(rows))
    return {(row[0], row[1]) for row in result}


#: a record's primary key: (student_id, timestamp, id)
RecordKey = tuple[str, datetime, str]


def record_key(row: Mapping[str, Any]) -> RecordKey:
    return (row["student_id"], row["timestamp"], row["id"])


def insert_new_records(
    target: Session | psycopg.Cursor[Any], rows: Sequence[Mapping[str, Any]]
) -> set[RecordKey]:
    """Store ``rows`` in one statement, through the driver's cursor (PostgreSQL,
    ``shared.db.driver_transaction``) or a session (SQLite); the keys of the rows written,
    leaving out those already stored."""
    if not rows:
        return set()
    if isinstance(target, Session):
        statement = sqlite_insert(activity_logs).on_conflict_do_nothing()
        returning = statement.returning(LOGS.student_id, LOGS.timestamp, LOGS.id)
        return {(row[0], row[1], row[2]) for row in target.execute(returning, list(rows))}
    target.execute(_DRIVER_BULK_INSERT, (_ENCODER.encode(rows).decode(),))
    return {(row[0], row[1], row[2]) for row in target.fetchall()}


def insert_announced_records(
    cursor: psycopg.Cursor[Any],
    rows: Sequence[Mapping[str, Any]],
    announcements: Sequence[Mapping[str, Any]],
    audit: Sequence[Mapping[str, Any]],
) -> set[RecordKey]:
    """Store ``rows``, the outbox rows of ``announcements`` whose record was written (each
    an outbox row with the ``student_id``, ``timestamp`` and ``record_id`` of the one
    record it announces) and the ``audit`` rows, in one statement (PostgreSQL, the
    driver's cursor: ``shared.db.driver_statement`` makes it one transaction); the keys of
    the rows written."""
    cursor.execute(
        _ANNOUNCED_INSERT,
        (
            _ENCODER.encode(rows).decode(),
            _ENCODER.encode(announcements).decode(),
            _ENCODER.encode(audit).decode(),
        ),
    )
    return {(row[0], row[1], row[2]) for row in cursor.fetchall()}


class PartitionCache:
    """The months known to have a partition, per engine (saves the catalog query).

    Keyed by the engine object (by identity, and weakly: a disposed engine's months go
    with it). Not by its URL: ``URL.__hash__`` renders the URL as a string, a measurable
    share of a single record's POST. Another engine of the same database (another
    process, a command) that drops a partition is noticed when an insert finds no
    partition: ``IngestWriter.write`` forgets this engine's months and creates it again.
    """

    def __init__(self) -> None:
        self._known: weakref.WeakKeyDictionary[Engine, set[date]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def missing(self, engine: Engine, months: Iterable[date]) -> list[date]:
        known = self._known.get(engine)
        if known is not None and known.issuperset(months):
            return []
        with self._lock:
            return sorted(set(months) - self._known.get(engine, set()))

    def remember(self, engine: Engine, months: Iterable[date]) -> None:
        with self._lock:
            self._known.setdefault(engine, set()).update(months)

    def forget(self, engine: Engine) -> None:
        with self._lock:
            self._known.pop(engine, None)


PARTITIONS = PartitionCache()


def ensure_partitions(engine: Engine, months: Iterable[date]) -> list[date]:
    """Create the partitions of ``months`` that do not exist (PostgreSQL); the months created.

    Runs in its own short transaction, so a request's transaction never holds the lock
    that creating a partition takes on the parent table.
    """
    if engine.dialect.name != "postgresql":
        return []
    wanted = PARTITIONS.missing(engine, months)
    if not wanted:
        return []
    created: list[date] = []
    with engine.begin() as connection:
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PARTITION_LOCK})
        existing = set(partition_months(connection))
        for month in wanted:
            if month not in existing:
                connection.execute(_ENSURE_PARTITION, {"first_day": month})
                created.append(month)
    PARTITIONS.remember(engine, wanted)
    return created


def partition_months(connection: Connection | Session) -> list[date]:
    """The months that have a partition (PostgreSQL), oldest first."""
    rows = connection.execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'activity_logs'"
        )
    ).scalars()
    months = []
    for name in rows:
        match = PARTITION_NAME.match(name)
        if match:
            months.append(date(int(match.group(1)), int(match.group(2)), 1))
    return sorted(months)


def is_missing_partition(error: sa.exc.DBAPIError) -> bool:
    """A row whose month has no partition (the partition was archived meanwhile)."""
    return "no partition of relation" in str(error.orig)


# -- reading -----------------------------------------------------------------------------
@dataclass(frozen=True)
class LogFilter:
    student_id: str | None = None
    course_id: str | None = None
    lesson_id: str | None = None
    activity_type: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def _time_range(start: datetime | None, end: datetime | None) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if start is not None:
        conditions.append(LOGS.timestamp >= start)
    if end is not None:
        conditions.append(LOGS.timestamp < end)
    return conditions


#: the sort key of a record in a list, newest first: a page's cursor holds it
LOG_KEY = ("timestamp", "id", "student_id")


@dataclass(frozen=True)
class LogPage:
    """A page of records as JSON: ``items`` (a JSON array of objects), the cursor of the
    next page, and the (student_id, course_id) of the records served (for the audit)."""

    items: str
    next_cursor: str | None
    seen: list[tuple[str, str | None]]


def _param(name: str, type_: Any = None) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=type_)


#: each condition a list of records may have, by the names of its parameters; the
#: caller's scope as ``AccessScope.where`` writes it, with parameters instead of values
_LOG_CONDITIONS: dict[str, sa.ColumnElement[bool]] = {
    "scope_students": LOGS.student_id.in_(sa.bindparam("scope_students", expanding=True)),
    "scope_courses": LOGS.course_id.in_(sa.bindparam("scope_courses", expanding=True)),
    "start": LOGS.timestamp >= _param("start", UTC_TIMESTAMP),
    "end": LOGS.timestamp < _param("end", UTC_TIMESTAMP),
    "student_id": LOGS.student_id == _param("student_id"),
    "course_id": LOGS.course_id == _param("course_id"),
    "lesson_id": LOGS.lesson_id == _param("lesson_id"),
    "activity_type": LOGS.activity_type == _param("activity_type"),
    "after_timestamp": sa.tuple_(LOGS.timestamp, LOGS.id, LOGS.student_id)
    < sa.tuple_(
        _param("after_timestamp", UTC_TIMESTAMP), _param("after_id"), _param("after_student")
    ),
}
_LOG_ORDER = [LOGS[name].desc() for name in LOG_KEY]
_TEXT_ARRAY = postgresql.ARRAY(sa.Text)
_PAGE_LIMIT = sa.bindparam("limit", type_=sa.Integer)


def _log_parameters(
    where: LogFilter, scope: AccessScope, after: tuple[datetime, str, str] | None
) -> dict[str, Any]:
    """The parameters of the conditions that apply (``_LOG_CONDITIONS``), in their order."""
    values: dict[str, Any] = {
        "scope_students": None if scope.student_ids is None else sorted(scope.student_ids),
        "scope_courses": None if scope.course_ids is None else sorted(scope.course_ids),
        "start": where.start,
        "end": where.end,
        "student_id": where.student_id,
        "course_id": where.course_id,
        "lesson_id": where.lesson_id,
        "activity_type": where.activity_type,
    }
    if after is not None:
        values.update(after_timestamp=after[0], after_id=after[1], after_student=after[2])
    return {name: value for name, value in values.items() if value is not None}


def _logs_query(conditions: tuple[str, ...]) -> sa.Select[Any]:
    """The records meeting ``conditions`` (names of ``_LOG_CONDITIONS``)."""
    return sa.select(activity_logs).where(*[_LOG_CONDITIONS[name] for name in conditions])


def _seen(page: sa.Subquery, served: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    pair = sa.func.jsonb_build_array(page.c.student_id, page.c.course_id)
    return sa.func.json_agg(sa.distinct(pair)).filter(served)


#: the same conditions on the driver's connection (PostgreSQL): the scope's ids as one
#: array parameter each, so the compiled text holds for any number of them
_DRIVER_LOG_CONDITIONS: dict[str, sa.ColumnElement[bool]] = {
    **_LOG_CONDITIONS,
    "scope_students": LOGS.student_id == sa.any_(_param("scope_students", _TEXT_ARRAY)),
    "scope_courses": LOGS.course_id == sa.any_(_param("scope_courses", _TEXT_ARRAY)),
}


@functools.lru_cache(maxsize=256)
def _json_page_sql(conditions: tuple[str, ...], fields: tuple[str, ...]) -> str:
    """The page's statement as the driver runs it (``%(name)s`` parameters), built and
    compiled once per combination of conditions and fields: building it costs more than
    running it, and SQLAlchemy's execution of it more than the driver's."""
    query = sa.select(activity_logs).where(*[_DRIVER_LOG_CONDITIONS[name] for name in conditions])
    statement = json_page(
        query,
        order_by=_LOG_ORDER,
        limit=_PAGE_LIMIT,
        fields=fields,
        key=LOG_KEY,
        extra={"seen": _seen},
    )
    return str(statement.compile(dialect=postgresql.psycopg.dialect()))


def page_of_logs(
    session: Session,
    where: LogFilter,
    scope: AccessScope,
    *,
    limit: int,
    after: tuple[datetime, str, str] | None,
    fields: Sequence[str],
) -> LogPage:
    """Up to ``limit`` records the caller may see (``scope``), newest first, older than
    ``after`` (timestamp, id, student_id: the previous page's last record), as a JSON
    array of objects of ``fields``, with the next page's cursor.

    On PostgreSQL the database builds the JSON and the cursor in the statement that reads
    the page (``shared.json_sql``), run on the driver's cursor of the session
    (``shared.db.session_cursor``: in a read session, a pooled connection in autocommit);
    on SQLite they are built here, to the same JSON.
    """
    parameters = _log_parameters(where, scope, after)
    conditions = tuple(name for name in parameters if name in _LOG_CONDITIONS)
    if not is_postgres(session):
        query = _logs_query(conditions).order_by(*_LOG_ORDER).limit(limit + 1)
        rows = session.execute(query, parameters).mappings().all()
        served = rows[:limit]
        last = served[-1] if len(rows) > limit else None
        return LogPage(
            json_items(served, fields),
            encode_cursor([last[name] for name in LOG_KEY]) if last is not None else None,
            list(dict.fromkeys((row["student_id"], row["course_id"]) for row in served)),
        )
    with session_cursor(session) as cursor:
        cursor.execute(_json_page_sql(conditions, tuple(fields)), {**parameters, "limit": limit})
        items, next_cursor, seen = cursor.fetchone() or ("[]", None, None)
    return LogPage(items, next_cursor, [(pair[0], pair[1]) for pair in seen or ()])


def list_sessions(
    session: Session,
    student_id: str,
    course_ids: frozenset[str] | None,
    *,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[sa.Row[Any]]:
    """A student's sessions (records grouped by ``session_id``), latest start first."""
    conditions = [LOGS.student_id == student_id, LOGS.session_id.is_not(None)]
    conditions += _time_range(start, end)
    if course_ids is not None:
        conditions.append(LOGS.course_id.in_(sorted(course_ids)))
    grouped = (
        sa.select(
            LOGS.session_id.label("session_id"),
            sa.func.min(LOGS.timestamp).label("started_at"),
            sa.func.max(LOGS.timestamp).label("ended_at"),
            sa.func.count().label("record_count"),
        )
        .where(*conditions)
        .group_by(LOGS.session_id)
        .subquery()
    )
    query = sa.select(grouped)
    if after is not None:
        query = query.where(
            sa.tuple_(grouped.c.started_at, grouped.c.session_id)
            < sa.tuple_(sa.literal(after[0], UTC_TIMESTAMP), sa.literal(after[1]))
        )
    query = query.order_by(grouped.c.started_at.desc(), grouped.c.session_id.desc())
    return list(session.execute(query.limit(limit + 1)))


# -- archive and retention ---------------------------------------------------------------
def stored_months(session: Session) -> list[date]:
    """The months that hold records: partitions on PostgreSQL, distinct months on SQLite."""
    if is_postgres(session):
        return partition_months(session)
    month = sa.func.strftime("%Y-%m", LOGS.timestamp)
    texts = session.execute(sa.select(month).distinct()).scalars()
    return sorted(date(int(text[:4]), int(text[5:7]), 1) for text in texts if text)


def lock_month(session: Session, month: date) -> None:
    """Keep writers out of the month while it is exported (PostgreSQL; SQLite's
    transactions already hold the database's write lock)."""
    if is_postgres(session):
        session.execute(sa.text(f"LOCK TABLE {partition_name(month)} IN SHARE MODE"))


def _month_conditions(month: date) -> list[sa.ColumnElement[bool]]:
    start, end = month_range(month)
    return [LOGS.timestamp >= start, LOGS.timestamp < end]


def count_month(session: Session, month: date) -> int:
    query = sa.select(sa.func.count()).select_from(activity_logs).where(*_month_conditions(month))
    return int(session.execute(query).scalar_one())


def month_rows(session: Session, month: date, chunk: int = 5000) -> Iterator[dict[str, Any]]:
    """Every record of the month as a mapping of its columns, streamed."""
    query = (
        sa.select(activity_logs)
        .where(*_month_conditions(month))
        .order_by(LOGS.timestamp, LOGS.student_id, LOGS.id)
        .execution_options(yield_per=chunk)
    )
    for row in session.execute(query):
        yield dict(row._mapping)


def drop_month(session: Session, month: date) -> None:
    """Remove the month's records: detach and drop its partition, or delete them (SQLite)."""
    if is_postgres(session):
        name = partition_name(month)
        session.execute(sa.text(f"ALTER TABLE activity_logs DETACH PARTITION {name}"))
        session.execute(sa.text(f"DROP TABLE {name}"))
        PARTITIONS.forget(session.get_bind())  # type: ignore[arg-type]
    else:
        session.execute(activity_logs.delete().where(*_month_conditions(month)))


def vacuum_month(engine: Engine, month: date) -> None:
    """``VACUUM (ANALYZE)`` the month's partition (PostgreSQL): rows written in bulk (a
    restored month) get their hint bits and visibility map set once, and the planner its
    statistics, instead of every first read dirtying the pages it reads until autovacuum
    comes. VACUUM runs outside a transaction; it needs the table's owner, as archive and
    restore run."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(f"VACUUM (ANALYZE) {partition_name(month)}"))


def delete_before(session: Session, cutoff: datetime) -> int:
    """Delete records older than ``cutoff``: whole partitions dropped, the rest deleted."""
    deleted = 0
    if is_postgres(session):
        for month in partition_months(session):
            if month_range(month)[1] <= cutoff:
                deleted += count_month(session, month)
                drop_month(session, month)
    result = session.execute(activity_logs.delete().where(LOGS.timestamp < cutoff))
    return deleted + rowcount_of(result)


def record_archive(
    session: Session, *, month: date, file: str, records: int, sha256: str, at: datetime
) -> None:
    session.execute(
        activity_archives.insert().values(
            month=month, file=file, records=records, sha256=sha256, archived_at=at
        )
    )


def archives_of(session: Session, month: date | None = None) -> list[sa.Row[Any]]:
    query = sa.select(activity_archives).order_by(
        activity_archives.c.month, activity_archives.c.archived_at
    )
    if month is not None:
        query = query.where(activity_archives.c.month == month)
    return list(session.execute(query))


def mark_restored(session: Session, month: date, at: datetime) -> None:
    session.execute(
        activity_archives.update().where(activity_archives.c.month == month).values(restored_at=at)
    )


def forget_archives_before(session: Session, month: date) -> list[str]:
    """Remove the archive rows of months before ``month``; their file names."""
    table = activity_archives
    files = list(session.execute(sa.select(table.c.file).where(table.c.month < month)).scalars())
    session.execute(table.delete().where(table.c.month < month))
    return files
