"""The queries the progress API makes use its indexes on PostgreSQL (EXPLAIN of the real SQL).

The statements are captured from the engine while the API serves the request, then
explained with their own parameters on a table of 60,000 enrollments.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask

from shared.config import Settings
from tests.integration.progress.progress_api_support import (
    Caller,
    engine_of,
    make_app,
    outline_document,
)

pytestmark = pytest.mark.integration

COURSES, STUDENTS_PER_COURSE = 300, 200
INDEXED = ("pk_enrollments", "uq_enrollments", "ix_enrollments")
FILL = """
INSERT INTO enrollments (
    id, student_id, course_id, enrolled_at, status, completed_lessons, completed_quizzes,
    completed_assignments, progress_percentage, certificate_issued, total_time_spent_seconds,
    login_streak, active_dates, time_zone, notification_preferences, custom_fields, updated_at,
    last_accessed)
SELECT
    md5(c::text || '-' || s::text), 'USR-STU-' || s, 'CRS-' || c,
    now() - (c * 1000 + s) * interval '1 minute',
    (ARRAY['not_started', 'in_progress', 'completed', 'paused'])[1 + (c + s) % 4],
    '[]', '[]', '[]', 0, false, 0, 0, '[]', 'UTC', '{}', '{}', now(),
    now() - s * interval '1 hour'
FROM generate_series(1, :courses) AS c, generate_series(1, :students) AS s
"""


@pytest.fixture
def big_app(settings: Settings, make_postgres_database: Callable[[str], str]) -> Iterator[Flask]:
    app = make_app(settings, make_postgres_database("progress"))
    with engine_of(app).begin() as connection:
        connection.execute(sa.text(FILL), {"courses": COURSES, "students": STUDENTS_PER_COURSE})
    with engine_of(app).connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            sa.text("ANALYZE enrollments")
        )
    yield app
    engine_of(app).dispose()


def captured_queries(app: Flask, make_request: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The SELECTs on ``enrollments`` that the request ran, with their parameters: taken
    at psycopg's cursor, where SQLAlchemy's statements and the hot paths' own ones (on
    the driver's cursor) both pass."""
    statements: list[tuple[str, Any]] = []
    execute = psycopg.Cursor.execute

    def capture(cursor: Any, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        text = statement if isinstance(statement, str) else bytes(statement).decode()
        if text.lstrip().upper().startswith("SELECT") and "FROM enrollments" in text:
            statements.append((text, parameters))
        return execute(cursor, statement, parameters, **kwargs)

    psycopg.Cursor.execute = capture  # type: ignore[method-assign]
    try:
        response = make_request()
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    assert response.status_code == 200, response.json
    assert statements
    return statements


def plan_nodes(app: Flask, statement: str, parameters: Any) -> list[dict[str, Any]]:
    raw = engine_of(app).raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0]
    finally:
        raw.close()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes, pending = [], [plan[0]["Plan"]]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.get("Plans", []))
    return nodes


def indexes_used(app: Flask, make_request: Callable[[], Any]) -> set[str]:
    used: set[str] = set()
    for statement, parameters in captured_queries(app, make_request):
        nodes = plan_nodes(app, statement, parameters)
        scans = [n for n in nodes if n.get("Relation Name") == "enrollments"]
        assert scans, statement
        assert not any(n["Node Type"] == "Seq Scan" for n in scans), (statement, scans)
        used |= {n["Index Name"] for n in nodes if n.get("Index Name", "").startswith(INDEXED)}
    return used


@pytest.fixture
def admin(big_app: Flask, token_for: Callable[..., str]) -> Caller:
    caller = Caller(big_app.test_client(), token_for("admin", "USR-ADM-1"))
    assert caller.put("/courses/CRS-7/outline", json=outline_document()).status_code == 200
    return caller


def test_reading_one_enrollment_uses_the_primary_key(big_app, admin):
    row_id = admin.get("/enrollments?course_id=CRS-7&limit=1").json["items"][0]["id"]
    used = indexes_used(big_app, lambda: admin.get(f"/enrollments/{row_id}"))
    assert used == {"pk_enrollments"}


def test_the_natural_key_uses_its_unique_index(big_app, admin):
    used = indexes_used(
        big_app, lambda: admin.get("/enrollments/by-key?student_id=USR-STU-5&course_id=CRS-7")
    )
    assert used == {"uq_enrollments_student_course"}


def test_a_course_list_by_status_uses_the_course_status_index(big_app, admin):
    used = indexes_used(
        big_app, lambda: admin.get("/enrollments?course_id=CRS-7&status=in_progress&limit=20")
    )
    assert used == {"ix_enrollments_course_status"}


def test_a_students_list_uses_an_index_on_the_student(big_app, admin):
    used = indexes_used(big_app, lambda: admin.get("/enrollments?student_id=USR-STU-9&limit=20"))
    assert used <= {"ix_enrollments_student_enrolled", "uq_enrollments_student_course"}
    assert used


def test_a_teachers_list_never_scans_the_table(big_app, token_for):
    teacher = Caller(
        big_app.test_client(), token_for("teacher", "USR-TEA-1", courses=["CRS-7", "CRS-8"])
    )
    used = indexes_used(big_app, lambda: teacher.get("/enrollments?limit=50"))
    assert used & {"ix_enrollments_course_status", "ix_enrollments_enrolled_at"}


def test_inactive_students_of_a_course_are_found_with_the_partial_index(big_app):
    query = (
        "SELECT id FROM enrollments WHERE course_id = %(course)s "
        "AND status IN ('not_started', 'in_progress') AND last_accessed < now() - interval '7 days'"
    )
    nodes = plan_nodes(big_app, query, {"course": "CRS-7"})
    assert {n.get("Index Name") for n in nodes} & {"ix_enrollments_active_last_accessed"}
