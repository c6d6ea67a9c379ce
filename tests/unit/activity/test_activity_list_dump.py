"""The list responses go through compiled dumpers; they give what the schemas give."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.activity.api import LOG_PAGE, SESSION_PAGE
from services.activity.schemas import LogPageSchema, SessionPageSchema

pytestmark = pytest.mark.unit

MOMENT = datetime(2026, 11, 25, 8, 15, 0, 123456, tzinfo=UTC)
ROW = {
    "student_id": "USR-STU-1", "timestamp": MOMENT, "id": "LOG-1",
    "activity_type": "quiz_submit", "activity_category": "assessment",
    "course_id": "CRS-1", "lesson_id": None, "quiz_id": "QZ-1", "assignment_id": None,
    "resource_id": None, "details": {"score": 80, "custom_data": {"k": [1]}},
    "device_info": None, "session_id": "SES-1", "session_duration": 12.5,
    "learning_path_id": None, "learning_objective_id": None, "success": True,
    "error_message": None, "ip_hash": "ab" * 32, "recorded_at": MOMENT,
}  # fmt: skip


@pytest.mark.parametrize("row", [ROW, {k: v for k, v in ROW.items() if k != "ip_hash"}])
def test_the_log_page_dump_is_the_schemas(row):
    page = {"items": [row, row], "next_cursor": "abc"}
    assert LOG_PAGE.dump(page) == LogPageSchema().dump(page)


def test_the_session_page_dump_is_the_schemas():
    session = {
        "session_id": "SES-1", "student_id": "USR-STU-1", "started_at": MOMENT,
        "ended_at": MOMENT, "session_duration": 0.0, "record_count": 3,
    }  # fmt: skip
    page = {"items": [session], "next_cursor": None}
    assert SESSION_PAGE.dump(page) == SessionPageSchema().dump(page)
