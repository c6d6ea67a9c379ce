"""Audit rows written on the driver's cursor: in the session's transaction, every column."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from shared.audit import AuditEntry, audit_rows, write_audit_rows
from shared.db import Database, audit_table, platform_metadata

pytestmark = pytest.mark.integration

ENTRIES = [
    AuditEntry(
        "USR-TEA-1", "teacher", f"USR-STU-{n}", "CRS-1", "read", f"enrollment/E{n}", "allowed"
    )
    for n in range(3)
]


@pytest.fixture
def database(make_postgres_database: Callable[[str], str]) -> Iterator[Database]:
    database = Database(make_postgres_database("audit"))
    platform_metadata.create_all(database.engine)
    yield database
    database.dispose()


def stored(database: Database) -> list[tuple[object, ...]]:
    columns = [audit_table.c[name] for name in ("actor", "student_id", "resource", "status_code")]
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.select(*columns).order_by("id"))]


@pytest.mark.parametrize("count", [1, 3])
def test_audit_rows_commit_and_roll_back_with_the_session(database: Database, count: int):
    rows = audit_rows(ENTRIES[:count], status_code=200, request_id="req-1")
    with database.unit_of_work() as session:
        write_audit_rows(session, rows)
    assert stored(database) == [], "rolled back with the session's transaction"
    with database.unit_of_work() as session:
        write_audit_rows(session, rows)
        session.commit()
    assert stored(database) == [
        ("USR-TEA-1", entry.student_id, entry.resource, 200) for entry in ENTRIES[:count]
    ]


def test_an_audit_row_of_a_read_session_commits_by_itself(database: Database):
    session = database.read_session_factory()
    write_audit_rows(session, audit_rows(ENTRIES[:1], status_code=404, request_id=None))
    session.rollback()
    session.close()
    assert stored(database) == [("USR-TEA-1", "USR-STU-0", "enrollment/E0", 404)]


def test_an_audit_row_that_cannot_be_written_raises_sqlalchemys_error(database: Database):
    with database.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE audit_log RENAME TO audit_log_away"))
    with database.unit_of_work() as session, pytest.raises(sa.exc.ProgrammingError):
        write_audit_rows(session, audit_rows(ENTRIES[:1], status_code=200, request_id=None))
