"""GET /logs answers the same JSON on PostgreSQL (built by the database) and on SQLite
(built in Python), for the same stored rows: every field, nulls, timestamps' format,
custom_data, what a parent may not see, and the cursor page after page. Both are what
the documented schema dumps of the stored rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from services.activity.models import activity_logs
from services.activity.schemas import ActivityLogSchema
from shared.config import Settings
from tests.integration.activity.activity_api_support import (
    COURSE,
    OTHER_COURSE,
    OTHER_STUDENT,
    STUDENT,
    Caller,
    audit_rows,
    make_app,
)
from tests.support.engine_events import sqlalchemy_statements, with_commits

pytestmark = pytest.mark.integration

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
HASH = "ab" * 32


def row(n: int, **fields: Any) -> dict[str, Any]:
    """A stored record: every column, varied by ``n`` (nulls, fractions of seconds)."""
    moment = BASE + timedelta(minutes=n, microseconds=[0, 120000, 1, 999999][n % 4])
    base: dict[str, Any] = {
        "student_id": STUDENT, "timestamp": moment, "id": f"LOG-{n:03d}",
        "activity_type": ["lesson_start", "quiz_submit", "video_play", "login"][n % 4],
        "activity_category": ["learning", "assessment", "learning", "system"][n % 4],
        "course_id": [COURSE, COURSE, OTHER_COURSE, None][n % 4],
        "lesson_id": f"LSN-{n}" if n % 4 == 0 else None,
        "quiz_id": "QZ-1" if n % 4 == 1 else None, "assignment_id": None,
        "resource_id": "RES-\u00e9" if n % 4 == 2 else None,
        "details": [
            {},
            {"score": 80, "duration": 12.5, "custom_data": {"k": [1, 2.5, None, "\u5b66"],
                                                           "nested": {"ok": True}}},
            {"progress": 40.0, "page_url": "https://lms.example/l/1", "action": 'say "hi"'},
        ][n % 3],
        "device_info": None if n % 2 else {"type": "mobile", "connection_type": "cellular"},
        "session_id": None if n % 5 == 0 else "SES-1",
        "session_duration": [None, 12.5, 30.0, 0.0][n % 4],
        "learning_path_id": "LP-1" if n % 3 == 0 else None, "learning_objective_id": None,
        "success": [None, True, False][n % 3],
        "error_message": "line\nbreak \\ and tab\t" if n % 7 == 3 else None,
        "ip_hash": HASH if n % 2 else None,
        "recorded_at": moment + timedelta(seconds=5, microseconds=n),
    }  # fmt: skip
    base.update(fields)
    return base


ROWS = [row(n) for n in range(23)] + [
    row(100, student_id=OTHER_STUDENT, id="LOG-OTHER"),
    row(101, id="LOG-TIE-A", timestamp=BASE + timedelta(minutes=5)),
    row(102, id="LOG-TIE-B", timestamp=BASE + timedelta(minutes=5)),
]


@pytest.fixture
def apps(
    settings: Settings, tmp_path: Any, make_postgres_database: Callable[[str], str]
) -> Iterator[dict[str, Flask]]:
    """The same rows stored on SQLite and on PostgreSQL."""
    built = {
        "sqlite": make_app(settings, f"sqlite:///{tmp_path}/activity.db"),
        "postgresql": make_app(settings, make_postgres_database("activity")),
    }
    for app in built.values():
        with app.extensions["stride"].database.engine.begin() as connection:
            connection.execute(activity_logs.insert(), ROWS)
    yield built
    for app in built.values():
        app.extensions["stride"].database.dispose()


ROLES: dict[str, tuple[str, str, dict[str, list[str]]]] = {
    "admin": ("admin", "USR-ADM-1", {}),
    "parent": ("parent", "USR-PAR-1", {"students": [STUDENT]}),
    "teacher": ("teacher", "USR-TEA-1", {"courses": [COURSE]}),
    "student": ("student", STUDENT, {}),
}
QUERIES = [f"student_id={STUDENT}", f"course_id={COURSE}", "activity_type=quiz_submit", ""]


def pages(caller: Caller, query: str, limit: int) -> list[dict[str, Any]]:
    """Every page of the query, following the cursor."""
    found, cursor = [], None
    while True:
        path = f"/logs?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = caller.get(path)
        assert response.status_code == 200, response.json
        found.append(response.json)
        cursor = response.json["next_cursor"]
        if cursor is None:
            return found


def expected_item(stored: dict[str, Any], role: str) -> dict[str, Any]:
    item: dict[str, Any] = ActivityLogSchema().dump(stored)
    if role == "parent":
        del item["device_info"], item["ip_hash"]
    return item


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("limit", [4, 100])
def test_both_backends_answer_the_same_json_page_after_page(apps, token_for, role, limit):
    name, sub, claims = ROLES[role]
    token = token_for(name, sub, **claims)
    by_id = {stored["id"]: stored for stored in ROWS}
    for query in QUERIES:
        answers = {
            backend: pages(Caller(app.test_client(), token), query, limit)
            for backend, app in apps.items()
        }
        sqlite, postgresql = answers["sqlite"], answers["postgresql"]
        assert len(sqlite) == len(postgresql), query
        for lite, pg in zip(sqlite, postgresql, strict=True):
            assert lite["next_cursor"] == pg["next_cursor"], query
            assert len(lite["items"]) == len(pg["items"]), query
            for one, other in zip(lite["items"], pg["items"], strict=True):
                assert list(one) == list(other), query  # the same fields in the same order
                for field in one:
                    assert one[field] == other[field], (query, one["id"], field)
                    assert type(one[field]) is type(other[field]) or field == "session_duration"
                assert one == expected_item(by_id[one["id"]], role)


def test_the_timestamps_read_as_isoformat_writes_them(apps, admin_token):
    for app in apps.values():
        response = Caller(app.test_client(), admin_token).get(f"/logs?student_id={STUDENT}")
        items = {item["id"]: item for item in response.json["items"]}
        for stored in ROWS[:4]:
            assert items[stored["id"]]["timestamp"] == stored["timestamp"].isoformat()
            assert items[stored["id"]]["recorded_at"] == stored["recorded_at"].isoformat()
        assert "." not in items["LOG-000"]["timestamp"]  # no ".000000"
        assert items["LOG-001"]["timestamp"].endswith(".120000+00:00")


@pytest.fixture
def admin_token(token_for: Callable[..., str]) -> str:
    return token_for("admin", "USR-ADM-1")


@pytest.mark.parametrize("role", ["admin", "teacher", "parent"])
def test_on_postgresql_a_page_and_its_audit_run_on_the_driver_in_autocommit(apps, token_for, role):
    """The page's statement and its audit row go straight to the driver, each committed
    by itself: no SQLAlchemy statement, no session transaction; the audit is written."""
    app = apps["postgresql"]
    name, sub, claims = ROLES[role]
    caller = Caller(app.test_client(), token_for(name, sub, **claims))
    query = f"/logs?student_id={STUDENT}&limit=4"
    assert caller.get(query).status_code == 200  # the first request builds the statement

    def read() -> Any:
        return with_commits(app, lambda: caller.get(query))

    (response, commits), statements = sqlalchemy_statements(app, read)
    assert response.status_code == 200
    assert len(response.json["items"]) == 4
    assert (statements, commits) == (0, 0)
    request_id = response.headers["X-Request-ID"]
    audited = [row for row in audit_rows(app) if row.request_id == request_id]
    # every (student, course) served, and for a parent or a student the check of the
    # student named first (course none)
    served = {(STUDENT, item["course_id"]) for item in response.json["items"]}
    assert served <= {(row.student_id, row.course_id) for row in audited}
    assert {row.student_id for row in audited} == {STUDENT}
    assert {(row.action, row.status_code) for row in audited} == {("list", 200)}
