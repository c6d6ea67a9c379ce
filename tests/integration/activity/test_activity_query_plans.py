"""The queries GET /logs makes use the log's indexes on PostgreSQL (EXPLAIN of the real
SQL, captured while the API serves the request, on 100,000 records of one month)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask

from shared.config import Settings
from tests.integration.activity.activity_api_support import Caller, make_app

pytestmark = pytest.mark.integration

FILL = """
INSERT INTO activity_logs (student_id, "timestamp", id, activity_type, activity_category,
    course_id, lesson_id, details, session_id, recorded_at)
SELECT 'USR-STU-' || (n % 2000), date_trunc('month', now()) + n * interval '1 second',
    'SEED-' || n, (ARRAY['login', 'lesson_start', 'video_play', 'quiz_submit'])[1 + n % 4],
    'learning', 'CRS-' || (n % 20), 'LSN-' || (n % 400), '{}', 'SES-' || (n / 50), now()
FROM generate_series(1, 100000) AS n
"""


@pytest.fixture
def big_app(settings: Settings, make_postgres_database: Callable[[str], str]) -> Iterator[Flask]:
    app = make_app(settings, make_postgres_database("activity"))
    engine = app.extensions["stride"].database.engine
    with engine.begin() as connection:
        connection.execute(sa.text(FILL))
    with engine.connect() as connection:
        connection.execute(sa.text("ANALYZE activity_logs"))
        connection.commit()
    yield app
    app.extensions["stride"].database.dispose()


def plans_of(app: Flask, path: str, token: str) -> list[dict[str, Any]]:
    """The plans of the statements on activity_logs the request ran, through SQLAlchemy or
    on the driver's own cursor (where the hot reads run)."""
    engine = app.extensions["stride"].database.engine
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM activity_logs" in statement:
            captured.append((statement, parameters))

    driver_execute = psycopg.Cursor.execute

    def driver_capture(cursor: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if isinstance(query, str) and "FROM activity_logs" in query:
            captured.append((query, params))
        return driver_execute(cursor, query, params, **kwargs)

    sa.event.listen(engine, "before_cursor_execute", capture)
    psycopg.Cursor.execute = driver_capture  # type: ignore[method-assign]
    try:
        response = Caller(app.test_client(), token).get(path)
    finally:
        psycopg.Cursor.execute = driver_execute  # type: ignore[method-assign]
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert response.status_code == 200, response.json
    plans = []
    with engine.connect() as connection:
        for statement, parameters in captured:
            cursor = connection.connection.cursor()
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plans.append(cursor.fetchone()[0][0]["Plan"])
    return plans


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += nodes(child)
    return found


QUERIES = [
    "student_id=USR-STU-7&limit=100",
    "course_id=CRS-3&limit=100",
    "lesson_id=LSN-11&limit=100",
    "activity_type=quiz_submit&limit=100",
    "student_id=USR-STU-7&activity_type=login&limit=50",
]


def test_list_queries_walk_an_index_of_the_big_partition(big_app, token_for):
    """One database for every query (filling it is the slow part); a teacher's list is
    also limited to their courses (one array parameter)."""
    big = f"activity_logs_y{datetime.now(UTC):%Y}m{datetime.now(UTC):%m}"
    admin = token_for("admin", "USR-ADM-1")
    teacher = token_for("teacher", "USR-TEA-1", courses=["CRS-3", "CRS-4"])
    asked = [(query, admin) for query in QUERIES] + [("course_id=CRS-3&limit=100", teacher)]
    for query, token in asked:
        [plan] = plans_of(big_app, f"/logs?{query}", token)
        text = f"{query}: {json.dumps(plan)}"
        scans = [node for node in nodes(plan) if node.get("Relation Name") == big]
        assert scans and all(node["Node Type"] != "Seq Scan" for node in scans), text
        indexes = {node.get("Index Name", "") for node in nodes(plan)}
        assert any(name.startswith(big) for name in indexes), text


BUSY = """
INSERT INTO activity_logs (student_id, "timestamp", id, activity_type, activity_category,
    details, recorded_at)
SELECT 'USR-STU-BUSY', date_trunc('month', now()) + n * interval '1 second', 'BUSY-' || n,
    'login', 'system', '{}', now()
FROM generate_series(1, 5000) AS n
"""


def test_a_students_last_hundred_is_one_statement_on_the_primary_key(big_app, token_for):
    """The page and its JSON come from one statement that finds the student's records
    through the partition's primary key; for a student with many more records than the
    page, it walks the key backwards and stops after 101 rows (no sort of them all)."""
    big = f"activity_logs_y{datetime.now(UTC):%Y}m{datetime.now(UTC):%m}"
    engine = big_app.extensions["stride"].database.engine
    with engine.begin() as connection:
        connection.execute(sa.text(BUSY))
    with engine.connect() as connection:
        connection.execute(sa.text("ANALYZE activity_logs"))
        connection.commit()
    admin = token_for("admin", "USR-ADM-1")
    for student in ("USR-STU-7", "USR-STU-BUSY"):
        [plan] = plans_of(big_app, f"/logs?student_id={student}&limit=100", admin)
        text = f"{student}: {json.dumps(plan)}"
        assert plan["Node Type"] == "Aggregate", text  # the page's JSON, built by the database
        scans = [node for node in nodes(plan) if node.get("Relation Name") == big]
        assert scans and all(node["Node Type"] != "Seq Scan" for node in scans), text
        indexes = {node["Index Name"] for node in nodes(plan) if "Index Name" in node}
        assert f"{big}_pkey" in indexes and all(name.endswith("_pkey") for name in indexes), text
    kinds = {node["Node Type"] for node in nodes(plan)}
    assert "Sort" not in kinds, text
    [scan] = [node for node in nodes(plan) if node.get("Relation Name") == big]
    assert (scan["Node Type"], scan["Scan Direction"]) == ("Index Scan", "Backward"), text
