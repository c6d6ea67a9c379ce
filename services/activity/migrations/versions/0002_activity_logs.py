"""The activity log (partitioned by month on PostgreSQL, one table on SQLite) and the
record of archived months.

Revision ID: activity_0002
Revises: activity_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "activity_0002"
down_revision = "activity_0001"
branch_labels = None
depends_on = None

#: partitions created with the table: this month and the next three
MONTHS_AHEAD = 3


def _ref(name: str) -> sa.Column:
    return sa.Column(name, sa.String(128), nullable=True)


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    op.create_table(
        "activity_logs",
        sa.Column("student_id", sa.String(128), nullable=False),
        _ts("timestamp"),
        sa.Column("id", sa.String(128), nullable=False, comment="made by the client"),
        sa.Column("activity_type", sa.String(32), nullable=False),
        sa.Column("activity_category", sa.String(16), nullable=False),
        _ref("course_id"),
        _ref("lesson_id"),
        _ref("quiz_id"),
        _ref("assignment_id"),
        _ref("resource_id"),
        sa.Column("details", json, nullable=False),
        sa.Column("device_info", json, nullable=True),
        _ref("session_id"),
        sa.Column("session_duration", sa.Float, nullable=True, comment="minutes, as sent"),
        _ref("learning_path_id"),
        _ref("learning_objective_id"),
        sa.Column("success", sa.Boolean, nullable=True),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.Column("ip_hash", sa.String(64), nullable=True, comment="HMAC-SHA256 of the address"),
        _ts("recorded_at"),
        sa.PrimaryKeyConstraint("student_id", "timestamp", "id", name="pk_activity_logs"),
        postgresql_partition_by='RANGE ("timestamp")',
    )
    op.create_index(
        "ix_activity_logs_course_time", "activity_logs", ["course_id", "timestamp", "id"]
    )
    op.create_index(
        "ix_activity_logs_lesson_time",
        "activity_logs",
        ["lesson_id", "timestamp", "id"],
        postgresql_where=sa.text("lesson_id IS NOT NULL"),
        sqlite_where=sa.text("lesson_id IS NOT NULL"),
    )
    op.create_index(
        "ix_activity_logs_type_time", "activity_logs", ["activity_type", "timestamp", "id"]
    )
    op.create_table(
        "activity_archives",
        sa.Column("month", sa.Date, nullable=False, comment="first day of the archived month"),
        sa.Column("file", sa.String(500), nullable=False, comment="relative to the archive folder"),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, comment="of the compressed file"),
        _ts("archived_at"),
        _ts("restored_at", nullable=True),
        sa.PrimaryKeyConstraint("month", "file", name="pk_activity_archives"),
    )
    if op.get_bind().dialect.name == "postgresql":
        today = datetime.now(UTC).date()
        month = date(today.year, today.month, 1)
        for _ in range(MONTHS_AHEAD + 1):
            following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            op.execute(
                f"CREATE TABLE IF NOT EXISTS activity_logs_y{month.year:04d}m{month.month:02d} "
                f"PARTITION OF activity_logs FOR VALUES FROM ('{month.isoformat()}T00:00:00Z') "
                f"TO ('{following.isoformat()}T00:00:00Z')"
            )
            month = following


def downgrade() -> None:
    op.drop_table("activity_archives")
    op.drop_table("activity_logs")
