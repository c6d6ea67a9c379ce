"""Reports tables: reports, their cached documents, accesses, share links, course settings,
and the projections of the progress and attempts events (enrollments, lesson completions,
assignment work, quiz attempts, certificates).

Revision ID: reports_0002
Revises: reports_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "reports_0002"
down_revision = "reports_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assignment_works",
        sa.Column("enrollment_id", sa.String(length=128), nullable=False),
        sa.Column("assignment_id", sa.String(length=128), nullable=False),
        sa.Column("student_id", sa.String(length=128), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=128), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grade", sa.Float(), nullable=True),
        sa.Column("time_spent", sa.Float(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("enrollment_id", "assignment_id", name=op.f("pk_assignment_works")),
    )
    op.create_index(
        "ix_assignment_works_student", "assignment_works", ["student_id", "course_id"], unique=False
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("enrollment_id", sa.String(length=128), nullable=False),
        sa.Column("student_id", sa.String(length=128), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("average_score", sa.Float(), nullable=True),
        sa.Column("progress_percentage", sa.Float(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("enrollment_id", name=op.f("uq_certificates_enrollment_id")),
    )
    op.create_table(
        "course_settings",
        sa.Column("course_id", sa.String(length=120), nullable=False),
        sa.Column(
            "grading_scale",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("credit_hours", sa.Float(), nullable=False),
        sa.Column(
            "due_dates",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_course_settings")),
    )
    op.create_table(
        "enrollments",
        sa.Column("enrollment_id", sa.String(length=128), nullable=False),
        sa.Column("student_id", sa.String(length=128), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("enrollment_id", name=op.f("pk_enrollments")),
    )
    op.create_index(
        "ix_enrollments_student_course", "enrollments", ["student_id", "course_id"], unique=False
    )
    op.create_table(
        "lesson_completions",
        sa.Column("enrollment_id", sa.String(length=128), nullable=False),
        sa.Column("completion_id", sa.String(length=128), nullable=False),
        sa.Column("student_id", sa.String(length=128), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("lesson_id", sa.String(length=128), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_spent", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(
            "enrollment_id", "completion_id", name=op.f("pk_lesson_completions")
        ),
    )
    op.create_index(
        "ix_lesson_completions_student",
        "lesson_completions",
        ["student_id", "course_id"],
        unique=False,
    )
    op.create_table(
        "quiz_attempts",
        sa.Column("attempt_id", sa.String(length=128), nullable=False),
        sa.Column("student_id", sa.String(length=128), nullable=False),
        sa.Column("course_id", sa.String(length=128), nullable=False),
        sa.Column("quiz_id", sa.String(length=128), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("time_spent", sa.Float(), nullable=False),
        sa.Column("is_practice", sa.Boolean(), nullable=False),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_quiz_attempts")),
    )
    op.create_index(
        "ix_quiz_attempts_student", "quiz_attempts", ["student_id", "course_id"], unique=False
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("student_id", sa.String(length=120), nullable=False),
        sa.Column("course_id", sa.String(length=120), nullable=True),
        sa.Column("report_type", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generated_by", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column(
            "configuration",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "teacher_input",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("document_version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("job_attempts", sa.Integer(), nullable=False),
        sa.Column("schedule_key", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'ready', 'failed')",
            name=op.f("ck_reports_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("schedule_key", name=op.f("uq_reports_schedule_key")),
    )
    op.create_index(
        "ix_reports_course_created", "reports", ["course_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_reports_student_created", "reports", ["student_id", "created_at"], unique=False
    )
    op.create_table(
        "report_accesses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("accessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("share_link_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_accesses_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_accesses")),
    )
    op.create_index(
        "ix_report_accesses_report", "report_accesses", ["report_id", "accessed_at"], unique=False
    )
    op.create_table(
        "report_documents",
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=60), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_documents_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "format", name=op.f("pk_report_documents")),
    )
    op.create_table(
        "share_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_share_links_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_share_links_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("share_links")
    op.drop_table("report_documents")
    op.drop_index("ix_report_accesses_report", table_name="report_accesses")
    op.drop_table("report_accesses")
    op.drop_index("ix_reports_student_created", table_name="reports")
    op.drop_index("ix_reports_course_created", table_name="reports")
    op.drop_table("reports")
    op.drop_index("ix_quiz_attempts_student", table_name="quiz_attempts")
    op.drop_table("quiz_attempts")
    op.drop_index("ix_lesson_completions_student", table_name="lesson_completions")
    op.drop_table("lesson_completions")
    op.drop_index("ix_enrollments_student_course", table_name="enrollments")
    op.drop_table("enrollments")
    op.drop_table("course_settings")
    op.drop_table("certificates")
    op.drop_index("ix_assignment_works_student", table_name="assignment_works")
    op.drop_table("assignment_works")
