"""Test support for the progress API: an app on SQLite or PostgreSQL, callers by role,
and readers of the outbox, the audit log and the tables.

Imported as ``tests.integration.progress.progress_api_support`` by the integration and
security tests of the progress service.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.progress.app import create_app
from services.progress.models import metadata
from shared.config import Settings
from shared.db import audit_table, outbox_table

COURSE = "CRS-MATH-1001"
OTHER_COURSE = "CRS-BIO-2001"
STUDENT = "USR-STU-1"
OTHER_STUDENT = "USR-STU-2"


def outline_document(**criteria: Any) -> dict[str, Any]:
    """Two modules: three required lessons, a quiz, an assignment and an optional lesson."""
    return {
        "modules": [
            {
                "module_id": "MOD-1",
                "title": "Limits",
                "items": [
                    {"item_id": "LSN-1", "kind": "lesson", "title": "Intro", "weight": 1},
                    {"item_id": "LSN-2", "kind": "lesson", "title": "Limits", "weight": 1},
                    {"item_id": "QZ-1", "kind": "quiz", "title": "Limits quiz", "weight": 2},
                ],
            },
            {
                "module_id": "MOD-2",
                "title": "Derivatives",
                "items": [
                    {"item_id": "LSN-3", "kind": "lesson", "title": "Slopes", "weight": 1},
                    {"item_id": "ASG-1", "kind": "assignment", "title": "Essay", "weight": 1},
                    {
                        "item_id": "LSN-X",
                        "kind": "lesson",
                        "title": "Extra",
                        "required": False,
                        "weight": 1,
                    },
                ],
            },
        ],
        **criteria,
    }


def make_app(settings: Settings, database_url: str) -> Flask:
    return create_app({"STRIDE_SETTINGS": settings, "DATABASE_URL": database_url, "TESTING": True})


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, settings: Settings, tmp_path: Any) -> Iterator[Flask]:
    """The progress app on each backend: SQLite (embedded mode) and the real PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/progress.db"
    else:
        url = request.getfixturevalue("make_postgres_database")("progress")
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

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self._call("patch", path, **kwargs)

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


def publish_outline(admin: Caller, course: str = COURSE, **criteria: Any) -> dict[str, Any]:
    response = admin.put(f"/courses/{course}/outline", json=outline_document(**criteria))
    assert response.status_code == 200, response.json
    return dict(response.json)


def enroll(admin: Caller, student_id: str = STUDENT, course: str = COURSE) -> dict[str, Any]:
    response = admin.post("/enrollments", json={"student_id": student_id, "course_id": course})
    assert response.status_code == 201, response.json
    return dict(response.json)


def complete(caller: Caller, enrollment_id: str, lesson_id: str, key: str, **body: Any) -> Any:
    return caller.post(
        f"/enrollments/{enrollment_id}/lessons/{lesson_id}/completion",
        json={"completion_id": key, "time_spent": 10, **body},
    )


def engine_of(app: Flask) -> sa.Engine:
    engine: sa.Engine = app.extensions["stride"].database.engine
    return engine


def outbox_events(app: Flask, event_type: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(outbox_table.c.body).order_by(outbox_table.c.created_at)
    with engine_of(app).connect() as connection:
        bodies = [json.loads(row.body) for row in connection.execute(query)]
    return [body for body in bodies if event_type is None or body["type"] == event_type]


def audit_rows(app: Flask) -> list[Any]:
    with engine_of(app).connect() as connection:
        return list(connection.execute(sa.select(audit_table).order_by(audit_table.c.id)))


def row_counts(app: Flask) -> dict[str, int]:
    """How many rows each progress table and the outbox hold."""
    counts = {}
    with engine_of(app).connect() as connection:
        for table in [*metadata.sorted_tables, outbox_table]:
            query = sa.select(sa.func.count()).select_from(table)
            counts[table.name] = int(connection.execute(query).scalar_one())
    return counts
