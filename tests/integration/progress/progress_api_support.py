"""Test support for the progress API: an app on SQLite or PostgreSQL, callers by role,
and readers of the outbox, the audit log and the tables.

Imported as ``tests.integration.progress.progress_api_support`` by the integration and
security tests of the progress service.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import Flask

from services.progress.app import create_app
from services.progress.models import metadata
from shared.db import outbox_table
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
    engine_of,
    make_service_app,
    outbox_events,
    parent,
    service,
    student,
    teacher,
)

__all__ = [
    "COURSE",
    "OTHER_COURSE",
    "OTHER_STUDENT",
    "STUDENT",
    "admin",
    "audit_rows",
    "caller",
    "engine_of",
    "outbox_events",
    "parent",
    "service",
    "student",
    "teacher",
]


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


make_app = partial(make_service_app, create_app)
app = app_on_each_backend("progress", create_app)


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


def row_counts(app: Flask) -> dict[str, int]:
    """How many rows each progress table and the outbox hold."""
    counts = {}
    with engine_of(app).connect() as connection:
        for table in [*metadata.sorted_tables, outbox_table]:
            query = sa.select(sa.func.count()).select_from(table)
            counts[table.name] = int(connection.execute(query).scalar_one())
    return counts
