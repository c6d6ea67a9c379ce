"""Tables of the activity service (its database also carries shared.db's platform tables).

``activity_logs`` is one plain table on SQLite (embedded mode). On PostgreSQL the same
columns form a table partitioned by month on ``timestamp`` (migration 0002 and
``store.ensure_partitions``); these definitions are what the queries are written against.
The primary key (student_id, timestamp, id) makes a record sent again a no-op and is
the index of a student's records in time order.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

from shared.db import NAMING_CONVENTION, UTCDateTime


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


metadata = Base.metadata

ID_LENGTH = 128
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def _ref(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(ID_LENGTH), nullable=True)


activity_logs = sa.Table(
    "activity_logs",
    metadata,
    sa.Column("student_id", sa.String(ID_LENGTH), nullable=False),
    sa.Column("timestamp", UTCDateTime(), nullable=False),
    sa.Column("id", sa.String(ID_LENGTH), nullable=False, comment="made by the client"),
    sa.Column("activity_type", sa.String(32), nullable=False),
    sa.Column("activity_category", sa.String(16), nullable=False),
    _ref("course_id"),
    _ref("lesson_id"),
    _ref("quiz_id"),
    _ref("assignment_id"),
    _ref("resource_id"),
    sa.Column("details", Json, nullable=False),
    sa.Column("device_info", Json, nullable=True),
    _ref("session_id"),
    sa.Column("session_duration", sa.Float, nullable=True, comment="minutes, as sent"),
    _ref("learning_path_id"),
    _ref("learning_objective_id"),
    sa.Column("success", sa.Boolean, nullable=True),
    sa.Column("error_message", sa.Text, nullable=True),
    sa.Column("ip_hash", sa.String(64), nullable=True, comment="HMAC-SHA256 of the address"),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("student_id", "timestamp", "id", name="pk_activity_logs"),
    sa.Index("ix_activity_logs_course_time", "course_id", "timestamp", "id"),
    sa.Index(
        "ix_activity_logs_lesson_time",
        "lesson_id",
        "timestamp",
        "id",
        postgresql_where=sa.text("lesson_id IS NOT NULL"),
        sqlite_where=sa.text("lesson_id IS NOT NULL"),
    ),
    sa.Index("ix_activity_logs_type_time", "activity_type", "timestamp", "id"),
    postgresql_partition_by='RANGE ("timestamp")',
)

#: every column of a record, in table order (the bulk insert's column list)
RECORD_COLUMNS: tuple[str, ...] = tuple(column.name for column in activity_logs.columns)

activity_archives = sa.Table(
    "activity_archives",
    metadata,
    sa.Column("month", sa.Date, nullable=False, comment="first day of the archived month"),
    sa.Column("file", sa.String(500), nullable=False, comment="relative to the archive folder"),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, comment="of the compressed file"),
    sa.Column("archived_at", UTCDateTime(), nullable=False),
    sa.Column("restored_at", UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint("month", "file", name="pk_activity_archives"),
)
