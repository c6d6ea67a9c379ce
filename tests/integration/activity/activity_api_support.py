"""Test support for the activity API: an app on SQLite or PostgreSQL, callers by role,
record builders, and readers of the stored records, the outbox and the audit log.

Imported as ``tests.integration.activity.activity_api_support`` by the integration and
security tests of the activity service.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import Flask

from services.activity.app import create_app
from services.activity.models import activity_logs
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
    "Caller",
    "admin",
    "audit_rows",
    "caller",
    "outbox_events",
    "parent",
    "service",
    "student",
    "teacher",
]


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


make_app = partial(make_service_app, create_app)
app = app_on_each_backend("activity", create_app)


def stored(app: Flask) -> list[dict[str, Any]]:
    with app.extensions["stride"].database.unit_of_work() as session:
        query = sa.select(activity_logs).order_by(activity_logs.c.timestamp, activity_logs.c.id)
        return [dict(row._mapping) for row in session.execute(query)]
