"""GET /logs and GET /students/{id}/sessions on both backends: filters, newest first,
cursor pagination on (timestamp, id), sessions with their derived duration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.activity.activity_api_support import (
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    STUDENT,
    record,
)

pytestmark = pytest.mark.integration

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def at(minutes: float) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def seeded(service):
    records = [
        record(id=f"A-{n:02d}", timestamp=at(n), session_id="SES-A", lesson_id=f"LSN-{n % 2}")
        for n in range(12)
    ]
    records += [
        record(id="B-1", timestamp=at(100), activity_type="login", course_id=None, lesson_id=None,
               session_id="SES-B"),
        record(id="B-2", timestamp=at(145), activity_type="logout", course_id=None,
               lesson_id=None, session_id="SES-B"),
        record(id="C-1", timestamp=at(50), course_id=OTHER_COURSE, session_id=None),
        record(id="D-1", student_id=OTHER_STUDENT, timestamp=at(5)),
    ]  # fmt: skip
    response = service.post("/logs", json={"records": records})
    assert response.status_code == 202, response.json
    return records


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_a_students_records_come_newest_first_page_by_page(admin, seeded):
    first = admin.get(f"/logs?student_id={STUDENT}&limit=5")
    assert ids(first) == ["B-2", "B-1", "C-1", "A-11", "A-10"]
    cursor = first.json["next_cursor"]
    second = admin.get(f"/logs?student_id={STUDENT}&limit=5&cursor={cursor}")
    assert ids(second) == ["A-09", "A-08", "A-07", "A-06", "A-05"]
    seen, cursor = [], None
    while True:
        page = admin.get(
            f"/logs?student_id={STUDENT}&limit=4" + (f"&cursor={cursor}" if cursor else "")
        )
        seen += ids(page)
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 15


def test_filters_by_course_lesson_type_and_time(admin, seeded):
    assert set(ids(admin.get(f"/logs?course_id={OTHER_COURSE}"))) == {"C-1"}
    assert ids(admin.get(f"/logs?student_id={STUDENT}&lesson_id=LSN-1&limit=3")) == [
        "C-1", "A-11", "A-09",
    ]  # fmt: skip
    assert ids(admin.get("/logs?activity_type=logout")) == ["B-2"]
    window = admin.get("/logs", query_string={"student_id": STUDENT, "from": at(3), "to": at(6)})
    assert ids(window) == ["A-05", "A-04", "A-03"]


def test_bad_queries_are_refused(admin, seeded):
    assert admin.get("/logs?activity_type=teleport").status_code == 422
    assert admin.get("/logs?limit=0").status_code == 422
    assert admin.get("/logs?cursor=not-a-cursor").status_code == 422
    backwards = admin.get("/logs", query_string={"from": at(6), "to": at(3)})
    assert backwards.status_code == 422 and "to" in backwards.json["errors"]


def test_sessions_carry_their_duration_from_first_to_last_record(admin, seeded):
    response = admin.get(f"/students/{STUDENT}/sessions")
    assert response.status_code == 200, response.json
    sessions = {item["session_id"]: item for item in response.json["items"]}
    assert [item["session_id"] for item in response.json["items"]] == ["SES-B", "SES-A"]
    assert sessions["SES-B"]["session_duration"] == 45.0
    assert sessions["SES-A"]["session_duration"] == 11.0
    assert sessions["SES-A"]["record_count"] == 12
    first = admin.get(f"/students/{STUDENT}/sessions?limit=1")
    assert [item["session_id"] for item in first.json["items"]] == ["SES-B"]
    rest = admin.get(f"/students/{STUDENT}/sessions?limit=1&cursor={first.json['next_cursor']}")
    assert [item["session_id"] for item in rest.json["items"]] == ["SES-A"]
    assert rest.json["next_cursor"] is None


def test_a_teacher_sees_only_the_records_of_their_course(teacher, seeded):
    assert "C-1" not in ids(teacher.get(f"/logs?student_id={STUDENT}&limit=100"))
    assert len(ids(teacher.get(f"/logs?course_id={COURSE}&limit=100"))) == 13
