"""Attempts tables: quizzes, their versions, attempts and their answers.

Revision ID: attempts_0002
Revises: attempts_0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "attempts_0002"
down_revision = "attempts_0001"
branch_labels = None
depends_on = None

IN_PROGRESS = sa.text("status = 'in_progress'")


def upgrade() -> None:
    op.create_table(
        "quizzes",
        sa.Column("quiz_id", sa.String(length=128), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("quiz_id", name=op.f("pk_quizzes")),
    )
    op.create_index("ix_quizzes_course", "quizzes", ["course_id"], unique=False)
    op.create_table(
        "quiz_versions",
        sa.Column("quiz_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["quizzes.quiz_id"],
            name=op.f("fk_quiz_versions_quiz_id_quizzes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("quiz_id", "version", name=op.f("pk_quiz_versions")),
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("quiz_id", sa.String(length=128), nullable=False),
        sa.Column("quiz_version", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("lesson_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_limit_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_spent", sa.Float(), nullable=True),
        sa.Column("time_limit_exceeded", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("points_earned", sa.Float(), nullable=True),
        sa.Column("points_possible", sa.Float(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("passing_score", sa.Float(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("teacher_points", sa.JSON(), nullable=False),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("feedback_provided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feedback_provided_by", sa.String(length=120), nullable=True),
        sa.Column("auto_feedback", sa.Text(), nullable=True),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("is_practice", sa.Boolean(), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=True),
        sa.Column("device_info", sa.JSON(), nullable=False),
        sa.Column("location_info", sa.JSON(), nullable=False),
        sa.Column("integrity_flags", sa.JSON(), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        sa.Column("interruptions", sa.Integer(), nullable=False),
        sa.Column("question_order", sa.JSON(), nullable=False),
        sa.Column("randomized", sa.Boolean(), nullable=False),
        sa.Column("adaptive", sa.Boolean(), nullable=False),
        sa.Column("difficulty_adjustments", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('in_progress', 'pending_grading', 'graded')",
            name=op.f("ck_attempts_status"),
        ),
        sa.CheckConstraint("attempt_number >= 1", name=op.f("ck_attempts_attempt_number")),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= 100)", name=op.f("ck_attempts_score")
        ),
        sa.ForeignKeyConstraint(
            ["quiz_id", "quiz_version"],
            ["quiz_versions.quiz_id", "quiz_versions.version"],
            name="fk_attempts_quiz_version_quiz_versions",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
        sa.UniqueConstraint(
            "student_id",
            "quiz_id",
            "is_practice",
            "attempt_number",
            name="uq_attempts_student_quiz_number",
        ),
    )
    op.create_index(
        "ix_attempts_course_started", "attempts", ["course_id", "started_at", "id"], unique=False
    )
    op.create_index(
        "ix_attempts_open_expiry",
        "attempts",
        ["expires_at"],
        unique=False,
        postgresql_where=IN_PROGRESS,
        sqlite_where=IN_PROGRESS,
    )
    op.create_index(
        "ix_attempts_quiz_started", "attempts", ["quiz_id", "started_at", "id"], unique=False
    )
    op.create_index(
        "ix_attempts_student_started", "attempts", ["student_id", "started_at", "id"], unique=False
    )
    op.create_index(
        "uq_attempts_one_open_per_student_quiz",
        "attempts",
        ["student_id", "quiz_id"],
        unique=True,
        postgresql_where=IN_PROGRESS,
        sqlite_where=IN_PROGRESS,
    )
    op.create_table(
        "attempt_answers",
        sa.Column("attempt_id", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.String(length=128), nullable=False),
        sa.Column("question_type", sa.String(length=20), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_spent_seconds", sa.Float(), nullable=False),
        sa.Column("attempts_before_answer", sa.Integer(), nullable=False),
        sa.Column("confidence_level", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_attempt_answers_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attempt_id", "question_id", name=op.f("pk_attempt_answers")),
    )


def downgrade() -> None:
    op.drop_table("attempt_answers")
    op.drop_index(
        "uq_attempts_one_open_per_student_quiz",
        table_name="attempts",
        postgresql_where=IN_PROGRESS,
        sqlite_where=IN_PROGRESS,
    )
    op.drop_index("ix_attempts_student_started", table_name="attempts")
    op.drop_index("ix_attempts_quiz_started", table_name="attempts")
    op.drop_index(
        "ix_attempts_open_expiry",
        table_name="attempts",
        postgresql_where=IN_PROGRESS,
        sqlite_where=IN_PROGRESS,
    )
    op.drop_index("ix_attempts_course_started", table_name="attempts")
    op.drop_table("attempts")
    op.drop_table("quiz_versions")
    op.drop_index("ix_quizzes_course", table_name="quizzes")
    op.drop_table("quizzes")
