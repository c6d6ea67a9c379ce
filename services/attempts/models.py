"""Tables of the attempts service (its database also carries shared.db's platform tables).

* ``quizzes`` names each quiz's course and current version; ``quiz_versions`` keeps
  every validated definition as published (JSON), so an attempt is scored against the
  version it started on even after the teacher edits the quiz.
* ``attempts`` is one QuizAttempt of the spec. What is read and written whole with the
  attempt (device and location info, integrity flags, the question order and difficulty
  adjustments, the per-question scoring results, a teacher's points) is JSON.
* ``attempt_answers`` holds one row per (attempt, question): saving an answer is one
  upsert of one small row, and a retried request rewrites the same row.

Two constraints carry the attempt rules under concurrency: attempt numbers are unique
per (student, quiz, practice), and a partial unique index allows at most one
``in_progress`` attempt per (student, quiz).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import NAMING_CONVENTION, UTCDateTime


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


metadata = Base.metadata

IN_PROGRESS_CONDITION = sa.text("status = 'in_progress'")
EXTERNAL_ID = sa.String(128)
USER_ID = sa.String(120)


class QuizRecord(Base):
    """A quiz: its course (fixed once published) and its current version."""

    __tablename__ = "quizzes"
    __table_args__ = (sa.Index("ix_quizzes_course", "course_id"),)

    quiz_id: Mapped[str] = mapped_column(EXTERNAL_ID, primary_key=True)
    course_id: Mapped[str] = mapped_column(EXTERNAL_ID, nullable=False)
    current_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_by: Mapped[str] = mapped_column(USER_ID, nullable=False)


class QuizVersion(Base):
    """One published definition of a quiz, exactly as validated; never changed."""

    __tablename__ = "quiz_versions"

    quiz_id: Mapped[str] = mapped_column(
        EXTERNAL_ID, sa.ForeignKey("quizzes.quiz_id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    published_by: Mapped[str] = mapped_column(USER_ID, nullable=False)


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        sa.UniqueConstraint(
            "student_id",
            "quiz_id",
            "is_practice",
            "attempt_number",
            name="uq_attempts_student_quiz_number",
        ),
        sa.Index(
            "uq_attempts_one_open_per_student_quiz",
            "student_id",
            "quiz_id",
            unique=True,
            postgresql_where=IN_PROGRESS_CONDITION,
            sqlite_where=IN_PROGRESS_CONDITION,
        ),
        sa.Index("ix_attempts_student_started", "student_id", "started_at", "id"),
        sa.Index("ix_attempts_quiz_started", "quiz_id", "started_at", "id"),
        sa.Index("ix_attempts_course_started", "course_id", "started_at", "id"),
        sa.Index(
            "ix_attempts_open_expiry",
            "expires_at",
            postgresql_where=IN_PROGRESS_CONDITION,
            sqlite_where=IN_PROGRESS_CONDITION,
        ),
        sa.ForeignKeyConstraint(
            ["quiz_id", "quiz_version"],
            ["quiz_versions.quiz_id", "quiz_versions.version"],
            name="fk_attempts_quiz_version_quiz_versions",
        ),
        sa.CheckConstraint("status IN ('in_progress', 'pending_grading', 'graded')", name="status"),
        sa.CheckConstraint("attempt_number >= 1", name="attempt_number"),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score"),
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(USER_ID, nullable=False)
    quiz_id: Mapped[str] = mapped_column(EXTERNAL_ID, nullable=False)
    quiz_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    course_id: Mapped[str] = mapped_column(EXTERNAL_ID, nullable=False)
    lesson_id: Mapped[str | None] = mapped_column(EXTERNAL_ID)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)

    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: when the time limit ends (shown to the student); None without a limit
    time_limit_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the deadline (limit plus grace): after it the attempt is closed by the sweep
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_spent: Mapped[float | None] = mapped_column(sa.Float)
    time_limit_exceeded: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)

    score: Mapped[float | None] = mapped_column(sa.Float)
    points_earned: Mapped[float | None] = mapped_column(sa.Float)
    points_possible: Mapped[float] = mapped_column(sa.Float, nullable=False)
    passed: Mapped[bool | None] = mapped_column(sa.Boolean)
    passing_score: Mapped[float] = mapped_column(sa.Float, nullable=False)
    #: the per-question results of the last scoring (QuestionResult fields), quiz order
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    #: a teacher's points per question id
    teacher_points: Mapped[dict[str, float]] = mapped_column(sa.JSON, nullable=False)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    feedback: Mapped[str | None] = mapped_column(sa.Text)
    feedback_provided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_provided_by: Mapped[str | None] = mapped_column(USER_ID)
    auto_feedback: Mapped[str | None] = mapped_column(sa.Text)

    attempt_number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    is_practice: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    environment: Mapped[str | None] = mapped_column(sa.String(20))

    device_info: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    #: ip_address is the HMAC-SHA256 of the client address; the raw address is never kept
    location_info: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    integrity_flags: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, nullable=False)
    session_id: Mapped[str | None] = mapped_column(sa.String(128))
    interruptions: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    #: metadata.question_order: the questions presented so far, in order
    question_order: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False)
    randomized: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    adaptive: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    difficulty_adjustments: Mapped[list[int]] = mapped_column(sa.JSON, nullable=False)

    #: the last change of this row (saving an answer writes only its answer row)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AttemptAnswer(Base):
    """The latest answer to one question of an attempt (see domain ``AnswerRecord``)."""

    __tablename__ = "attempt_answers"

    attempt_id: Mapped[str] = mapped_column(
        sa.String(64), sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(EXTERNAL_ID, primary_key=True)
    question_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    answer: Mapped[Any] = mapped_column(sa.JSON, nullable=False)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    time_spent_seconds: Mapped[float] = mapped_column(sa.Float, nullable=False)
    attempts_before_answer: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    confidence_level: Mapped[int | None] = mapped_column(sa.Integer)
