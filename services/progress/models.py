"""Tables of the progress service (its database also carries shared.db's platform tables).

One ``enrollments`` row is one StudentCourseProgress document. Its nested collections
that are only ever read and written whole with the enrollment (completed lessons,
quizzes and assignments, notification preferences, custom fields, active dates) are
JSON columns: every write locks the row (``SELECT ... FOR UPDATE``), merges with the
domain's functions and writes the row back, so there is no partial update to race.
The entries keep the domain's bookkeeping (completion ids, submission ids,
``graded_at``) next to the spec's fields; the API shows only the spec's.

Facts that arrive from other services are keyed by the natural key (student, course)
rather than by enrollment, so a fact that arrives before the enrollment exists is
kept and counted when it is created: ``quiz_attempt_facts`` (one row per attempt,
its submission and latest grading) and ``counted_activities`` (each activity id once).

Notes and bookmarks are child rows: they are listed, filtered and paginated.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import NAMING_CONVENTION, UTCDateTime

#: the statuses in which a student is still expected to work on the course
ACTIVE_STATUSES = ("not_started", "in_progress")
ACTIVE_STATUS_CONDITION = sa.text("status IN ('not_started', 'in_progress')")
FINAL_RESULT_CONDITION = (
    "final_result IS NULL OR final_result IN ('pass', 'distinction', 'fail', 'withdrawn')"
)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


metadata = Base.metadata


ID = sa.String(36)
EXTERNAL_ID = sa.String(128)


class CourseOutline(Base):
    """The current outline of a course: the validated document as it was PUT."""

    __tablename__ = "course_outlines"

    course_id: Mapped[str] = mapped_column(EXTERNAL_ID, primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    document: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_by: Mapped[str] = mapped_column(sa.String(120), nullable=False)


class Enrollment(Base):
    """On PostgreSQL the table's pages are filled to 80% (migration progress_0005), so an
    enrollment's updates can stay on their page (HOT: no index entries)."""

    __tablename__ = "enrollments"
    __table_args__ = (
        sa.UniqueConstraint("student_id", "course_id", name="uq_enrollments_student_course"),
        sa.Index("ix_enrollments_course_status", "course_id", "status", "enrolled_at", "id"),
        sa.Index("ix_enrollments_student_enrolled", "student_id", "enrolled_at", "id"),
        sa.Index("ix_enrollments_enrolled_at", "enrolled_at", "id"),
        sa.Index(
            "ix_enrollments_active_last_accessed",
            "course_id",
            "last_accessed",
            postgresql_where=ACTIVE_STATUS_CONDITION,
            sqlite_where=ACTIVE_STATUS_CONDITION,
        ),
        sa.CheckConstraint(
            "status IN ('not_started', 'in_progress', 'completed', 'paused')", name="status"
        ),
        sa.CheckConstraint(
            "progress_percentage >= 0 AND progress_percentage <= 100", name="percentage"
        ),
        sa.CheckConstraint(FINAL_RESULT_CONDITION, name="final_result"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    student_id: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    course_id: Mapped[str] = mapped_column(EXTERNAL_ID, nullable=False)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_accessed: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)

    completed_lessons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, nullable=False)
    completed_quizzes: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, nullable=False)
    completed_assignments: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, nullable=False)

    current_lesson_id: Mapped[str | None] = mapped_column(EXTERNAL_ID)
    current_module_id: Mapped[str | None] = mapped_column(EXTERNAL_ID)
    progress_percentage: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    certificate_issued: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    certificate_url: Mapped[str | None] = mapped_column(sa.String(2048))
    certificate_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when progress.certificate.requested was emitted (once per enrollment)
    certificate_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    total_time_spent_seconds: Mapped[float] = mapped_column(sa.Float, nullable=False)
    login_streak: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    last_streak_date: Mapped[date | None] = mapped_column(sa.Date)
    #: ISO dates on which the student was active, bounded by active_dates_to_keep
    active_dates: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False)
    time_zone: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    last_notification_sent: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notification_preferences: Mapped[dict[str, bool]] = mapped_column(sa.JSON, nullable=False)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)

    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    #: the institution's final result (extension): pass, distinction, fail, withdrawn
    final_result: Mapped[str | None] = mapped_column(sa.String(20))
    final_result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuizAttemptFact(Base):
    """What the attempts service told us about one attempt: its submission and grading."""

    __tablename__ = "quiz_attempt_facts"
    __table_args__ = (sa.Index("ix_quiz_attempt_facts_quiz", "student_id", "course_id", "quiz_id"),)

    student_id: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    course_id: Mapped[str] = mapped_column(EXTERNAL_ID, primary_key=True)
    attempt_id: Mapped[str] = mapped_column(EXTERNAL_ID, primary_key=True)
    quiz_id: Mapped[str] = mapped_column(EXTERNAL_ID, nullable=False)
    submission: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    grading: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class CountedActivity(Base):
    """An activity log already counted for (student, course): its time counts once."""

    __tablename__ = "counted_activities"

    student_id: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    course_id: Mapped[str] = mapped_column(EXTERNAL_ID, primary_key=True)
    activity_id: Mapped[str] = mapped_column(EXTERNAL_ID, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    duration_seconds: Mapped[float] = mapped_column(sa.Float, nullable=False)
    local_date: Mapped[date] = mapped_column(sa.Date, nullable=False)


class Note(Base):
    __tablename__ = "notes"
    __table_args__ = (
        sa.Index("ix_notes_enrollment_created", "enrollment_id", "created_at", "id"),
        sa.Index("ix_notes_enrollment_lesson", "enrollment_id", "lesson_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    enrollment_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("enrollments.id", ondelete="CASCADE"), nullable=False
    )
    lesson_id: Mapped[str] = mapped_column(EXTERNAL_ID, nullable=False)
    content: Mapped[str] = mapped_column(sa.Text, nullable=False)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Bookmark(Base):
    __tablename__ = "bookmarks"
    __table_args__ = (
        sa.Index("ix_bookmarks_enrollment_created", "enrollment_id", "created_at", "id"),
        sa.Index("ix_bookmarks_enrollment_content", "enrollment_id", "content_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    enrollment_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("enrollments.id", ondelete="CASCADE"), nullable=False
    )
    content_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    content_id: Mapped[str] = mapped_column(EXTERNAL_ID, nullable=False)
    position: Mapped[str | None] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
