"""Test support for the reports service: an app on SQLite or PostgreSQL, callers by role,
a hand-written outline source, running queued jobs, and readers of the audit log.

Imported by the unit, security and integration tests of the reports service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.reports import usecases
from services.reports.app import create_app
from services.reports.domain.work import OutlineItem
from services.reports.models import Report
from shared.config import Settings
from shared.db import audit_table, outbox_table
from shared.events.contracts.attempts import AttemptSubmitted
from shared.events.contracts.progress import Enrolled, LessonCompleted

COURSE = "CRS-MATH-1001"
OTHER_COURSE = "CRS-BIO-2001"
STUDENT = "USR-STU-1"
OTHER_STUDENT = "USR-STU-2"
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


def make_app(settings: Settings, database_url: str) -> Flask:
    return create_app({"STRIDE_SETTINGS": settings, "DATABASE_URL": database_url, "TESTING": True})


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, settings: Settings, tmp_path: Any) -> Iterator[Flask]:
    """The reports app on each backend: SQLite (embedded mode) and the real PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/reports.db"
    else:
        url = request.getfixturevalue("make_postgres_database")("reports")
    flask_app = make_app(settings, url)
    yield flask_app
    flask_app.extensions["stride"].database.dispose()


class Caller:
    """A client acting with one token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self._call("get", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self._call("post", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self._call("put", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self._call("delete", path, **kwargs)


@pytest.fixture
def caller(app: Flask, token_for: Callable[..., str]) -> Callable[..., Caller]:
    def build(role: str, sub: str, **claims: list[str]) -> Caller:
        return Caller(app.test_client(), token_for(role, sub, **claims))

    return build


@pytest.fixture
def admin(caller: Callable[..., Caller]) -> Caller:
    return caller("admin", "USR-ADM-1")


@pytest.fixture
def teacher(caller: Callable[..., Caller]) -> Caller:
    return caller("teacher", "USR-TEA-1", courses=[COURSE])


@pytest.fixture
def student(caller: Callable[..., Caller]) -> Caller:
    return caller("student", STUDENT)


@pytest.fixture
def parent(caller: Callable[..., Caller]) -> Caller:
    return caller("parent", "USR-PAR-1", students=[STUDENT])


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
        usecases.record_enrollment(
            session, Enrolled(**enrollment, enrolled_at=START, status="not_started")
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


def audit_rows(app: Flask) -> list[Any]:
    with app.extensions["stride"].database.engine.connect() as connection:
        return list(connection.execute(sa.select(audit_table).order_by(audit_table.c.id)))


def outbox_types(app: Flask) -> list[str]:
    with app.extensions["stride"].database.engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(outbox_table.c.event_type).order_by(outbox_table.c.created_at)
            ).scalars()
        )
