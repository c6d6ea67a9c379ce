"""Tables of the reports service (its database also carries shared.db's platform tables).

``reports``, ``report_documents``, ``report_accesses``, ``share_links`` and
``course_settings`` are the service's own records; ``enrollments``,
``lesson_completions``, ``assignment_works``, ``quiz_attempts`` and ``certificates`` are
projections of the progress and attempts events it consumes, ``achievements`` and
``risk_levels`` of the analytics events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import NAMING_CONVENTION, UTCDateTime

JSONDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


metadata = Base.metadata


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    student_id: Mapped[str] = mapped_column(sa.String(120))
    course_id: Mapped[str | None] = mapped_column(sa.String(120))
    report_type: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    generated_by: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(10))
    failure_reason: Mapped[str | None] = mapped_column(sa.Text)
    configuration: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    teacher_input: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    content: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    #: how many times the content was built anew; a redelivered job does not add one
    document_version: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: digest of the content and teacher input the cached documents were rendered from
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    #: the job that is to build this report; a redelivered job carries the same id
    job_id: Mapped[str] = mapped_column(sa.String(36))
    job_attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: scheduled (end of term) reports: one per student, course and term
    schedule_key: Mapped[str | None] = mapped_column(sa.String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_reports_student_created", "student_id", "created_at"),
        sa.Index("ix_reports_course_created", "course_id", "created_at"),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'ready', 'failed')", name="status_known"
        ),
    )


class ReportDocument(Base):
    """The latest rendering of a report in one format, kept while its data is unchanged."""

    __tablename__ = "report_documents"

    report_id: Mapped[str] = mapped_column(
        sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    format: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    media_type: Mapped[str] = mapped_column(sa.String(60))
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReportAccess(Base):
    """One view of a report (``accessed_by``), through the API or a share link."""

    __tablename__ = "report_accesses"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    report_id: Mapped[str] = mapped_column(sa.ForeignKey("reports.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(20))
    accessed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    via: Mapped[str] = mapped_column(sa.String(20))
    share_link_id: Mapped[str | None] = mapped_column(sa.String(36))

    __table_args__ = (sa.Index("ix_report_accesses_report", "report_id", "accessed_at"),)


class ShareLink(Base):
    """A share link: its token is stored only as a SHA-256 digest."""

    __tablename__ = "share_links"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    report_id: Mapped[str] = mapped_column(sa.ForeignKey("reports.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CourseSettings(Base):
    """What a course configures for its reports: grading scale, credit hours, due dates."""

    __tablename__ = "course_settings"

    course_id: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    grading_scale: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    credit_hours: Mapped[float] = mapped_column(sa.Float)
    due_dates: Mapped[dict[str, str]] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(sa.String(120))


# -- projections of consumed events -------------------------------------------------------
class EnrollmentFact(Base):
    __tablename__ = "enrollments"

    enrollment_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    student_id: Mapped[str] = mapped_column(sa.String(128))
    course_id: Mapped[str] = mapped_column(sa.String(128))
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.Index("ix_enrollments_student_course", "student_id", "course_id"),)


class LessonCompletionFact(Base):
    __tablename__ = "lesson_completions"

    enrollment_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    completion_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    student_id: Mapped[str] = mapped_column(sa.String(128))
    course_id: Mapped[str] = mapped_column(sa.String(128))
    lesson_id: Mapped[str] = mapped_column(sa.String(128))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    time_spent: Mapped[float] = mapped_column(sa.Float)
    score: Mapped[float | None] = mapped_column(sa.Float)

    __table_args__ = (sa.Index("ix_lesson_completions_student", "student_id", "course_id"),)


class AssignmentWorkFact(Base):
    __tablename__ = "assignment_works"

    enrollment_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    assignment_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    student_id: Mapped[str] = mapped_column(sa.String(128))
    course_id: Mapped[str] = mapped_column(sa.String(128))
    status: Mapped[str] = mapped_column(sa.String(128))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    grade: Mapped[float | None] = mapped_column(sa.Float)
    time_spent: Mapped[float] = mapped_column(sa.Float)
    #: when the event that wrote this row occurred: a later event wins, an older one is ignored
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (sa.Index("ix_assignment_works_student", "student_id", "course_id"),)


class QuizAttemptFact(Base):
    __tablename__ = "quiz_attempts"

    attempt_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    student_id: Mapped[str] = mapped_column(sa.String(128))
    course_id: Mapped[str] = mapped_column(sa.String(128))
    quiz_id: Mapped[str] = mapped_column(sa.String(128))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    score: Mapped[float | None] = mapped_column(sa.Float)
    time_spent: Mapped[float] = mapped_column(sa.Float)
    is_practice: Mapped[bool] = mapped_column(sa.Boolean)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.Index("ix_quiz_attempts_student", "student_id", "course_id"),)


class Certificate(Base):
    """A course certificate asked for by progress, rendered once per enrollment."""

    __tablename__ = "certificates"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    enrollment_id: Mapped[str] = mapped_column(sa.String(128), unique=True)
    student_id: Mapped[str] = mapped_column(sa.String(128))
    course_id: Mapped[str] = mapped_column(sa.String(128))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    average_score: Mapped[float | None] = mapped_column(sa.Float)
    progress_percentage: Mapped[float] = mapped_column(sa.Float)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)


class AchievementFact(Base):
    """An achievement analytics awarded (``analytics.achievement.earned``), kept once."""

    __tablename__ = "achievements"

    student_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    achievement_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    #: "" for an achievement of no course (a key column cannot be null)
    course_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RiskFact(Base):
    """A risk level analytics assessed (``analytics.risk.changed``): the history is kept,
    since assessments arrive in any order and a report wants the level at its period's end."""

    __tablename__ = "risk_levels"

    student_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    course_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(10))
