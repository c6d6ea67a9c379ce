"""Analytics projections: activity records, attempt reports, lesson completions,
assignment and enrollment reports.

Revision ID: analytics_0002
Revises: analytics_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "analytics_0002"
down_revision = "analytics_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_records",
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activity_type", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_type", sa.String(length=16), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        sa.Column("lesson_id", sa.String(length=128), nullable=True),
        sa.Column("quiz_id", sa.String(length=128), nullable=True),
        sa.Column("assignment_id", sa.String(length=128), nullable=True),
        sa.Column("resource_id", sa.String(length=128), nullable=True),
        sa.Column("interaction_count", sa.Integer(), nullable=False),
        sa.Column("page_viewed", sa.Boolean(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "record_id", name=op.f("pk_activity_records")),
    )
    with op.batch_alter_table("activity_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activity_records_course_time", ["course_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_activity_records_student_time", ["student_id", "occurred_at"], unique=False
        )

    op.create_table(
        "assignment_reports",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("assignment_id", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=128), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grade", sa.Float(), nullable=True),
        sa.Column("time_spent", sa.Float(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_assignment_reports")),
    )
    with op.batch_alter_table("assignment_reports", schema=None) as batch_op:
        batch_op.create_index("ix_assignment_reports_course", ["course_id"], unique=False)
        batch_op.create_index(
            "ix_assignment_reports_student_course", ["student_id", "course_id"], unique=False
        )

    op.create_table(
        "attempt_reports",
        sa.Column("attempt_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("quiz_id", sa.String(length=128), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("is_practice", sa.Boolean(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_spent", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", "kind", "at", name=op.f("pk_attempt_reports")),
    )
    with op.batch_alter_table("attempt_reports", schema=None) as batch_op:
        batch_op.create_index("ix_attempt_reports_course", ["course_id"], unique=False)
        batch_op.create_index(
            "ix_attempt_reports_student_course", ["student_id", "course_id"], unique=False
        )

    op.create_table(
        "enrollment_reports",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("enrollment_id", sa.String(length=128), nullable=False),
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_enrollment_reports")),
    )
    with op.batch_alter_table("enrollment_reports", schema=None) as batch_op:
        batch_op.create_index("ix_enrollment_reports_course", ["course_id"], unique=False)
        batch_op.create_index(
            "ix_enrollment_reports_student_course", ["student_id", "course_id"], unique=False
        )

    op.create_table(
        "lesson_completions",
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("lesson_id", sa.String(length=128), nullable=False),
        sa.Column("completion_id", sa.String(length=128), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_spent", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(
            "student_id",
            "course_id",
            "lesson_id",
            "completion_id",
            name=op.f("pk_lesson_completions"),
        ),
    )
    with op.batch_alter_table("lesson_completions", schema=None) as batch_op:
        batch_op.create_index("ix_lesson_completions_course", ["course_id"], unique=False)

    op.create_table(
        "risk_models",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False, comment="RiskModel.to_dict()"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_models")),
    )
    op.create_table(
        "risk_levels",
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("success_probability", sa.Float(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "course_id", name=op.f("pk_risk_levels")),
    )

    op.create_table(
        "pending_refreshes",
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "course_id", name=op.f("pk_pending_refreshes")),
        comment="(student, course) pairs with new facts, waiting for the worker's refresh",
    )
    op.create_table(
        "earned_achievements",
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("achievement_id", sa.String(length=64), nullable=False),
        sa.Column("earned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("xp", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "student_id", "course_id", "achievement_id", name=op.f("pk_earned_achievements")
        ),
    )

    op.create_table(
        "privacy_budgets",
        sa.Column("month", sa.String(length=7), nullable=False, comment="YYYY-MM (UTC)"),
        sa.Column("spent", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_privacy_budgets")),
    )
    op.create_table(
        "privacy_spending",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("spent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_spending")),
    )

    op.create_table(
        "leaderboard_members",
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("course_id", "student_id", name=op.f("pk_leaderboard_members")),
        comment="students who opted into their course's leaderboard",
    )
    op.create_table(
        "recompute_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=True, comment="null: every course"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recompute_jobs")),
    )

    op.create_table(
        "course_versions",
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_course_versions")),
        comment="bumped with every batch of new facts of the course: the read cache's key",
    )


def downgrade() -> None:
    op.drop_table("course_versions")
    op.drop_table("recompute_jobs")
    op.drop_table("leaderboard_members")
    op.drop_table("privacy_spending")
    op.drop_table("privacy_budgets")
    op.drop_table("earned_achievements")
    op.drop_table("pending_refreshes")
    op.drop_table("risk_levels")
    op.drop_table("risk_models")
    with op.batch_alter_table("lesson_completions", schema=None) as batch_op:
        batch_op.drop_index("ix_lesson_completions_course")

    op.drop_table("lesson_completions")
    with op.batch_alter_table("enrollment_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollment_reports_student_course")
        batch_op.drop_index("ix_enrollment_reports_course")

    op.drop_table("enrollment_reports")
    with op.batch_alter_table("attempt_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_attempt_reports_student_course")
        batch_op.drop_index("ix_attempt_reports_course")

    op.drop_table("attempt_reports")
    with op.batch_alter_table("assignment_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_reports_student_course")
        batch_op.drop_index("ix_assignment_reports_course")

    op.drop_table("assignment_reports")
    with op.batch_alter_table("activity_records", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_records_student_time")
        batch_op.drop_index("ix_activity_records_course_time")

    op.drop_table("activity_records")
