"""Test support for the activity API: an app on SQLite or PostgreSQL, callers by role,
record builders, and readers of the stored records, the outbox and the audit log.

Imported as ``tests.integration.activity.activity_api_support`` by the integration and
security tests of the activity service.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.activity.app import create_app
from services.activity.models import activity_logs
from shared.config import Settings
from shared.db import audit_table, outbox_table

COURSE = "CRS-MATH-1001"
OTHER_COURSE = "CRS-BIO-2001"
STUDENT = "USR-STU-1"
OTHER_STUDENT = "USR-STU-2"


def recent(minutes_ago: float = 60) -> str:
    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return moment.isoformat().replace("+00:00", "Z")


def record(**fields: Any) -> dict[str, Any]:
    """A valid lesson_start record of STUDENT in COURSE; fields override."""
    base: dict[str, Any] = {
        "id": f"LOG-{uuid.uuid4().hex}",
        "student_id": STUDENT,
        "timestamp": recent(),
        "activity_type": "lesson_start",
        "course_id": COURSE,
        "lesson_id": "LSN-1",
        "session_id": "SES-1",
        "details": {"duration": 120, "progress": 40, "page_url": "https://lms.example/l/1"},
        "device_info": {"type": "desktop", "browser": "Firefox", "connection_type": "wifi"},
        "success": True,
    }
    base.update(fields)
    return base


def make_app(settings: Settings, database_url: str) -> Flask:
    return create_app({"STRIDE_SETTINGS": settings, "DATABASE_URL": database_url, "TESTING": True})


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, settings: Settings, tmp_path: Any) -> Iterator[Flask]:
    """The activity app on each backend: SQLite (embedded mode) and the real PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/activity.db"
    else:
        url = request.getfixturevalue("make_postgres_database")("activity")
    flask_app = make_app(settings, url)
    yield flask_app
    flask_app.extensions["stride"].database.dispose()


class Caller:
    """A client acting with one token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.headers, **kwargs)


@pytest.fixture
def caller(app: Flask, token_for: Callable[..., str]) -> Callable[..., Caller]:
    def build(role: str, sub: str, **claims: list[str]) -> Caller:
        return Caller(app.test_client(), token_for(role, sub, **claims))

    return build


@pytest.fixture
def admin(caller: Callable[..., Caller]) -> Caller:
    return caller("admin", "USR-ADM-1")


@pytest.fixture
def student(caller: Callable[..., Caller]) -> Caller:
    return caller("student", STUDENT)


@pytest.fixture
def service(caller: Callable[..., Caller]) -> Caller:
    return caller("service", "SVC-PLAYER")


@pytest.fixture
def teacher(caller: Callable[..., Caller]) -> Caller:
    return caller("teacher", "USR-TEA-1", courses=[COURSE])


@pytest.fixture
def parent(caller: Callable[..., Caller]) -> Caller:
    return caller("parent", "USR-PAR-1", students=[STUDENT])


def stored(app: Flask) -> list[dict[str, Any]]:
    with app.extensions["stride"].database.unit_of_work() as session:
        query = sa.select(activity_logs).order_by(activity_logs.c.timestamp, activity_logs.c.id)
        return [dict(row._mapping) for row in session.execute(query)]


def outbox(app: Flask) -> list[dict[str, Any]]:
    with app.extensions["stride"].database.unit_of_work() as session:
        bodies = session.execute(sa.select(outbox_table.c.body).order_by(outbox_table.c.id))
        return [json.loads(body) for body in bodies.scalars()]


def audit_rows(app: Flask) -> list[dict[str, Any]]:
    with app.extensions["stride"].database.unit_of_work() as session:
        query = sa.select(audit_table).order_by(audit_table.c.id)
        return [dict(row._mapping) for row in session.execute(query)]
