"""Progress tables: course outlines, enrollments, attempt facts, counted activities, notes,
bookmarks.

Revision ID: progress_0002
Revises: progress_0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "progress_0002"
down_revision = "progress_0001"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('not_started', 'in_progress')")


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "course_outlines",
        sa.Column("course_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        _ts("updated_at", nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("course_id", name="pk_course_outlines"),
    )
    op.create_table(
        "enrollments",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("student_id", sa.String(120), nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        _ts("enrolled_at", nullable=False),
        _ts("last_accessed"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("completed_lessons", sa.JSON, nullable=False),
        sa.Column("completed_quizzes", sa.JSON, nullable=False),
        sa.Column("completed_assignments", sa.JSON, nullable=False),
        sa.Column("current_lesson_id", sa.String(128), nullable=True),
        sa.Column("current_module_id", sa.String(128), nullable=True),
        sa.Column("progress_percentage", sa.Integer, nullable=False),
        sa.Column("certificate_issued", sa.Boolean, nullable=False),
        sa.Column("certificate_url", sa.String(2048), nullable=True),
        _ts("certificate_issued_at"),
        _ts("certificate_requested_at"),
        sa.Column("total_time_spent_seconds", sa.Float, nullable=False),
        sa.Column("login_streak", sa.Integer, nullable=False),
        sa.Column("last_streak_date", sa.Date, nullable=True),
        sa.Column("active_dates", sa.JSON, nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        _ts("last_notification_sent"),
        sa.Column("notification_preferences", sa.JSON, nullable=False),
        sa.Column("custom_fields", sa.JSON, nullable=False),
        _ts("completed_at"),
        _ts("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_enrollments"),
        sa.UniqueConstraint("student_id", "course_id", name="uq_enrollments_student_course"),
        sa.CheckConstraint(
            "status IN ('not_started', 'in_progress', 'completed', 'paused')",
            name="ck_enrollments_status",
        ),
        sa.CheckConstraint(
            "progress_percentage >= 0 AND progress_percentage <= 100",
            name="ck_enrollments_percentage",
        ),
    )
    op.create_index(
        "ix_enrollments_course_status", "enrollments", ["course_id", "status", "enrolled_at", "id"]
    )
    op.create_index(
        "ix_enrollments_student_enrolled", "enrollments", ["student_id", "enrolled_at", "id"]
    )
    op.create_index("ix_enrollments_enrolled_at", "enrollments", ["enrolled_at", "id"])
    op.create_index(
        "ix_enrollments_active_last_accessed",
        "enrollments",
        ["course_id", "last_accessed"],
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_table(
        "quiz_attempt_facts",
        sa.Column("student_id", sa.String(120), nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        sa.Column("attempt_id", sa.String(128), nullable=False),
        sa.Column("quiz_id", sa.String(128), nullable=False),
        sa.Column("submission", sa.JSON, nullable=True),
        sa.Column("grading", sa.JSON, nullable=True),
        sa.PrimaryKeyConstraint(
            "student_id", "course_id", "attempt_id", name="pk_quiz_attempt_facts"
        ),
    )
    op.create_index(
        "ix_quiz_attempt_facts_quiz",
        "quiz_attempt_facts",
        ["student_id", "course_id", "quiz_id"],
    )
    op.create_table(
        "counted_activities",
        sa.Column("student_id", sa.String(120), nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        sa.Column("activity_id", sa.String(128), nullable=False),
        _ts("occurred_at", nullable=False),
        sa.Column("duration_seconds", sa.Float, nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint(
            "student_id", "course_id", "activity_id", name="pk_counted_activities"
        ),
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("enrollment_id", sa.String(36), nullable=False),
        sa.Column("lesson_id", sa.String(128), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name="fk_notes_enrollment_id_enrollments",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_notes_enrollment_created", "notes", ["enrollment_id", "created_at", "id"])
    op.create_index("ix_notes_enrollment_lesson", "notes", ["enrollment_id", "lesson_id"])
    op.create_table(
        "bookmarks",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("enrollment_id", sa.String(36), nullable=False),
        sa.Column("content_type", sa.String(20), nullable=False),
        sa.Column("content_id", sa.String(128), nullable=False),
        sa.Column("position", sa.String(20), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bookmarks"),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name="fk_bookmarks_enrollment_id_enrollments",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_bookmarks_enrollment_created", "bookmarks", ["enrollment_id", "created_at", "id"]
    )
    op.create_index("ix_bookmarks_enrollment_content", "bookmarks", ["enrollment_id", "content_id"])


def downgrade() -> None:
    op.drop_table("bookmarks")
    op.drop_table("notes")
    op.drop_table("counted_activities")
    op.drop_table("quiz_attempt_facts")
    op.drop_table("enrollments")
    op.drop_table("course_outlines")
