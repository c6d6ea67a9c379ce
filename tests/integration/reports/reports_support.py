"""Test support for the reports service: an app on SQLite or PostgreSQL, callers by role,
a hand-written outline source, running queued jobs, and readers of the audit log.

Imported by the unit, security and integration tests of the reports service.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import Flask

from services.reports import usecases
from services.reports.app import create_app
from services.reports.domain.work import OutlineItem
from services.reports.models import Report
from shared.db import outbox_table
from shared.events.contracts.attempts import AttemptSubmitted
from shared.events.contracts.progress import Enrolled, LessonCompleted
from tests.support.service_app import (
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    STUDENT,
    Caller,
    admin,
    app_on_each_backend,
    audit_rows,
    caller,
    make_service_app,
    parent,
    service,
    student,
    teacher,
)

__all__ = [
    "OTHER_COURSE",
    "OTHER_STUDENT",
    "Caller",
    "admin",
    "audit_rows",
    "caller",
    "parent",
    "service",
    "student",
    "teacher",
]

START = datetime(2026, 9, 1, tzinfo=UTC)
END = START + timedelta(days=28)
OUTLINE = [
    OutlineItem("LSN-1", "lesson", "Intro", "MOD-1", "Limits"),
    OutlineItem("QZ-1", "quiz", "Limits quiz", "MOD-1", "Limits", weight=2),
    OutlineItem("LSN-2", "lesson", "Slopes", "MOD-2", "Derivatives"),
]


class FakeOutlines:
    """Outlines by course, as the progress API would answer them (None: no outline)."""

    def __init__(self, outlines: dict[str, list[OutlineItem]] | None = None) -> None:
        self.outlines = outlines if outlines is not None else {COURSE: OUTLINE}
        self.asked: list[str] = []

    def outline(self, course_id: str) -> list[OutlineItem] | None:
        self.asked.append(course_id)
        return self.outlines.get(course_id)


make_app = partial(make_service_app, create_app)
app = app_on_each_backend("reports", create_app)


def report_request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "student_id": STUDENT,
        "course_id": COURSE,
        "report_type": "comprehensive",
        "period_start": START.isoformat(),
        "period_end": END.isoformat(),
        "configuration": {"format": "json", "detail_level": "comprehensive"},
    }
    body.update(overrides)
    return body


def run_jobs(app: Flask, outlines: Any = None) -> list[str]:
    """Build every report waiting for its job, as the worker would (in the app context)."""
    database = app.extensions["stride"].database
    settings = app.extensions["stride"].settings
    with database.engine.connect() as connection:
        jobs = connection.execute(
            sa.select(Report.id, Report.job_id).where(Report.status.in_(["queued", "running"]))
        ).all()
    with app.app_context():
        return [
            usecases.build_report(database, settings, rid, jid, outlines or FakeOutlines())
            for rid, jid in jobs
        ]


def seed_work(app: Flask) -> None:
    """A student's work in the period: an enrollment, a lesson, two quiz attempts."""
    database = app.extensions["stride"].database
    enrollment = {"enrollment_id": "ENR-1", "student_id": STUDENT, "course_id": COURSE}
    with database.unit_of_work() as session:
        usecases.record_enrollments(
            session, [Enrolled(**enrollment, enrolled_at=START, status="not_started")]
        )
        usecases.record_lesson_completion(
            session,
            LessonCompleted(
                **enrollment,
                lesson_id="LSN-1",
                completion_id="C-1",
                completed_at=START + timedelta(days=1),
                time_spent=30,
                score=90,
                attempts=1,
            ),
        )
        for number, (score, day) in enumerate([(70, 2), (85, 9)], start=1):
            usecases.record_quiz_attempt(
                session,
                student_id=STUDENT,
                course_id=COURSE,
                result=AttemptSubmitted(
                    attempt_id=f"ATT-{number}",
                    quiz_id="QZ-1",
                    attempt_number=number,
                    completed_at=START + timedelta(days=day),
                    time_spent=15,
                    score=score,
                    passed=True,
                ),
                graded=False,
            )
        session.commit()


def outbox_types(app: Flask) -> list[str]:
    with app.extensions["stride"].database.engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(outbox_table.c.event_type).order_by(outbox_table.c.created_at)
            ).scalars()
        )
