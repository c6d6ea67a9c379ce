"""Tables of the analytics service (its database also carries shared.db's platform tables).

The projections are sets of immutable facts keyed by what they are about (see
``domain/projections.py``): inserting a fact that is already there changes nothing, so
redelivered and reordered events leave the same tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from shared.db import NAMING_CONVENTION, UTCDateTime


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


metadata = Base.metadata

ID = 128
STUDENT = 120

activity_records = sa.Table(
    "activity_records",
    metadata,
    sa.Column("student_id", sa.String(STUDENT), primary_key=True),
    sa.Column("record_id", sa.String(ID), primary_key=True),
    sa.Column("course_id", sa.String(ID), nullable=True),
    sa.Column("occurred_at", UTCDateTime(), nullable=False),
    sa.Column("activity_type", sa.String(ID), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("content_type", sa.String(16), nullable=True),
    sa.Column("duration_seconds", sa.Float, nullable=False),
    sa.Column("session_id", sa.String(ID), nullable=True),
    sa.Column("lesson_id", sa.String(ID), nullable=True),
    sa.Column("quiz_id", sa.String(ID), nullable=True),
    sa.Column("assignment_id", sa.String(ID), nullable=True),
    sa.Column("resource_id", sa.String(ID), nullable=True),
    sa.Column("interaction_count", sa.Integer, nullable=False),
    sa.Column("page_viewed", sa.Boolean, nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column(
        "course_version",
        sa.BigInteger,
        nullable=True,
        comment="the course's version that the record's transaction made (null: stored "
        "before versions, or without a course): a read cache at an older version reads only "
        "the records after it",
    ),
    sa.Index("ix_activity_records_student_time", "student_id", "occurred_at"),
    sa.Index("ix_activity_records_course_time", "course_id", "occurred_at"),
    sa.Index("ix_activity_records_course_version", "course_id", "course_version"),
)

attempt_reports = sa.Table(
    "attempt_reports",
    metadata,
    sa.Column("attempt_id", sa.String(ID), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("at", UTCDateTime(), primary_key=True),
    sa.Column("student_id", sa.String(STUDENT), nullable=False),
    sa.Column("course_id", sa.String(ID), nullable=False),
    sa.Column("quiz_id", sa.String(ID), nullable=False),
    sa.Column("attempt_number", sa.Integer, nullable=False),
    sa.Column("is_practice", sa.Boolean, nullable=False),
    sa.Column("completed_at", UTCDateTime(), nullable=True),
    sa.Column("time_spent", sa.Float, nullable=True),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Index("ix_attempt_reports_student_course", "student_id", "course_id"),
    sa.Index("ix_attempt_reports_course", "course_id"),
)

lesson_completions = sa.Table(
    "lesson_completions",
    metadata,
    sa.Column("student_id", sa.String(STUDENT), primary_key=True),
    sa.Column("course_id", sa.String(ID), primary_key=True),
    sa.Column("lesson_id", sa.String(ID), primary_key=True),
    sa.Column("completion_id", sa.String(ID), primary_key=True),
    sa.Column("completed_at", UTCDateTime(), nullable=False),
    sa.Column("time_spent", sa.Float, nullable=True),
    sa.Column("score", sa.Float, nullable=True),
    sa.Index("ix_lesson_completions_course", "course_id"),
)

assignment_reports = sa.Table(
    "assignment_reports",
    metadata,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("student_id", sa.String(STUDENT), nullable=False),
    sa.Column("course_id", sa.String(ID), nullable=False),
    sa.Column("assignment_id", sa.String(ID), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("status", sa.String(ID), nullable=False),
    sa.Column("submitted_at", UTCDateTime(), nullable=False),
    sa.Column("grade", sa.Float, nullable=True),
    sa.Column("time_spent", sa.Float, nullable=True),
    sa.Column("occurred_at", UTCDateTime(), nullable=False),
    sa.Index("ix_assignment_reports_student_course", "student_id", "course_id"),
    sa.Index("ix_assignment_reports_course", "course_id"),
)

enrollment_reports = sa.Table(
    "enrollment_reports",
    metadata,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("enrollment_id", sa.String(ID), nullable=False),
    sa.Column("student_id", sa.String(STUDENT), nullable=False),
    sa.Column("course_id", sa.String(ID), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Index("ix_enrollment_reports_student_course", "student_id", "course_id"),
    sa.Index("ix_enrollment_reports_course", "course_id"),
)

risk_models = sa.Table(
    "risk_models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("trained_at", UTCDateTime(), nullable=False),
    sa.Column("document", sa.JSON, nullable=False, comment="RiskModel.to_dict()"),
)

risk_levels = sa.Table(
    "risk_levels",
    metadata,
    sa.Column("student_id", sa.String(STUDENT), primary_key=True),
    sa.Column("course_id", sa.String(ID), primary_key=True),
    sa.Column("level", sa.String(8), nullable=False),
    sa.Column("success_probability", sa.Float, nullable=False),
    sa.Column("assessed_at", UTCDateTime(), nullable=False),
)

pending_refreshes = sa.Table(
    "pending_refreshes",
    metadata,
    sa.Column("student_id", sa.String(STUDENT), primary_key=True),
    sa.Column("course_id", sa.String(ID), primary_key=True),
    sa.Column("marked_at", UTCDateTime(), nullable=False),
    comment="(student, course) pairs with new facts, waiting for the worker's refresh",
)

earned_achievements = sa.Table(
    "earned_achievements",
    metadata,
    sa.Column("student_id", sa.String(STUDENT), primary_key=True),
    sa.Column("course_id", sa.String(ID), primary_key=True),
    sa.Column("achievement_id", sa.String(64), primary_key=True),
    sa.Column("earned_at", UTCDateTime(), nullable=False),
    sa.Column("xp", sa.Integer, nullable=False),
)

privacy_budgets = sa.Table(
    "privacy_budgets",
    metadata,
    sa.Column("month", sa.String(7), primary_key=True, comment="YYYY-MM (UTC)"),
    sa.Column("spent", sa.Float, nullable=False),
)

privacy_spending = sa.Table(
    "privacy_spending",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("epsilon", sa.Float, nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("query", sa.String(200), nullable=False),
    sa.Column("spent_at", UTCDateTime(), nullable=False),
)

leaderboard_members = sa.Table(
    "leaderboard_members",
    metadata,
    sa.Column("course_id", sa.String(ID), primary_key=True),
    sa.Column("student_id", sa.String(STUDENT), primary_key=True),
    sa.Column("joined_at", UTCDateTime(), nullable=False),
    comment="students who opted into their course's leaderboard",
)

recompute_jobs = sa.Table(
    "recompute_jobs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("course_id", sa.String(ID), nullable=True, comment="null: every course"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("done", sa.Integer, nullable=False),
    sa.Column("requested_by", sa.String(120), nullable=False),
    sa.Column("requested_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
)

course_versions = sa.Table(
    "course_versions",
    metadata,
    sa.Column("course_id", sa.String(ID), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    comment="bumped with every batch of new facts of the course: the read cache's key",
)

#: the ``student_id`` of a change to the whole course (its outline)
WHOLE_COURSE = ""

course_student_versions = sa.Table(
    "course_student_versions",
    metadata,
    sa.Column("course_id", sa.String(ID), primary_key=True),
    sa.Column("student_id", sa.String(STUDENT), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Index("ix_course_student_versions_course_version", "course_id", "version"),
    comment="the course's version when the student's facts in it last changed ('': the "
    "whole course, its outline): a read cache reloads only what changed since its version",
)

course_outlines = sa.Table(
    "course_outlines",
    metadata,
    sa.Column("course_id", sa.String(ID), primary_key=True),
    sa.Column("outline_version", sa.Integer, nullable=False),
    sa.Column("published_at", UTCDateTime(), nullable=False),
    comment="the highest outline_version of each course's progress.outline.published",
)

outline_items = sa.Table(
    "outline_items",
    metadata,
    sa.Column("course_id", sa.String(ID), primary_key=True),
    sa.Column("item_id", sa.String(ID), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("module_id", sa.String(ID), nullable=False),
    sa.Column("required", sa.Boolean, nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Column("due_at", UTCDateTime(), nullable=True),
    comment="the items of the outline in course_outlines, in course order",
)

#: the ``course_id`` of an activity_days row of records without a course
NO_COURSE = ""

activity_days = sa.Table(
    "activity_days",
    metadata,
    sa.Column("day", sa.Date, primary_key=True, comment="the UTC day of the records"),
    sa.Column("student_id", sa.String(STUDENT), primary_key=True),
    sa.Column("course_id", sa.String(ID), primary_key=True, comment="'': records without one"),
    sa.Column("local_date", sa.Date, primary_key=True, comment="the day in the records' zone"),
    sa.Column("time_zone", sa.String(64), primary_key=True),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("first_record_id", sa.String(ID), nullable=False),
    sa.Column("first_at", UTCDateTime(), nullable=False),
    sa.Column("last_record_id", sa.String(ID), nullable=False),
    sa.Column("last_at", UTCDateTime(), nullable=False),
    sa.Column("items", sa.JSON, nullable=False, comment="[lesson, quiz, assignment] named"),
    sa.Index("ix_activity_days_student_day", "student_id", "day"),
    sa.Index("ix_activity_days_course_day", "course_id", "day"),
    comment="the activity records of a closed UTC day, rolled up per student, course, local "
    "day and zone: what reads of history beyond the detailed window use",
)

aggregated_days = sa.Table(
    "aggregated_days",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("aggregated_at", UTCDateTime(), nullable=True, comment="null: never rolled up"),
    sa.Column("stale", sa.Boolean, nullable=False, comment="records came after its roll-up"),
    comment="the UTC days of activity_days: rolled up, and not stale, they are read from it",
)
