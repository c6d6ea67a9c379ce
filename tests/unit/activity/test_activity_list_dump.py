"""The list responses give what the schemas give: the records' JSON as the SQLite path
writes it (PostgreSQL's is held to it by tests/integration/activity/test_activity_log_json.py),
the sessions through a compiled dumper."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.activity.api import LOG_FIELDS, SESSION_PAGE
from services.activity.schemas import ActivityLogSchema, SessionPageSchema
from shared.json_sql import json_items, page_body

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


@pytest.mark.parametrize("moment", [MOMENT, MOMENT.replace(microsecond=0)])
def test_the_log_items_json_is_the_schemas_in_its_order(moment):
    row = {**ROW, "timestamp": moment, "recorded_at": moment}
    items = json.loads(json_items([row, row], LOG_FIELDS))
    assert items == ActivityLogSchema(many=True).dump([row, row])
    assert [list(item) for item in items] == [list(ActivityLogSchema().fields)] * 2


def test_a_log_page_is_its_items_and_cursor():
    body = json.loads(page_body(json_items([ROW], LOG_FIELDS), "abc"))
    assert body == {"items": [ActivityLogSchema().dump(ROW)], "next_cursor": "abc"}


def test_the_session_page_dump_is_the_schemas():
    session = {
        "session_id": "SES-1", "student_id": "USR-STU-1", "started_at": MOMENT,
        "ended_at": MOMENT, "session_duration": 0.0, "record_count": 3,
    }  # fmt: skip
    page = {"items": [session], "next_cursor": None}
    assert SESSION_PAGE.dump(page) == SessionPageSchema().dump(page)
