"""Audit rows written on the driver's cursor: in the session's transaction, every column."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, g

from shared.audit import AuditEntry, audit_rows, commit_statement_with_audit, write_audit_rows
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


@pytest.fixture
def probe_table(database: Database) -> str:
    with database.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE probe (k text PRIMARY KEY, v integer)"))
    return "INSERT INTO probe (k, v) VALUES (%(k)s, %(v)s)"


def probe_rows(database: Database) -> list[tuple[object, ...]]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text("SELECT k, v FROM probe"))]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_a_change_of_one_statement_commits_with_its_audit_rows_in_that_statement(
    database: Database, probe_table: str, count: int
):
    app = Flask(__name__)
    with app.test_request_context(), database.unit_of_work() as session:
        g.request_id = "req-2"
        g.stride_audit = list(ENTRIES[:count])
        statements = Counter()

        @sa.event.listens_for(database.engine, "before_cursor_execute")
        def _counted(*_args: object) -> None:  # statements through SQLAlchemy, none wanted
            statements["sqlalchemy"] += 1

        commit_statement_with_audit(session, 201, probe_table, {"k": "a", "v": 1})
        sa.event.remove(database.engine, "before_cursor_execute", _counted)
        assert g.stride_audit == [], "the committed entries are no longer pending"
    assert statements["sqlalchemy"] == 0
    assert probe_rows(database) == [("a", 1)]
    assert stored(database) == [
        ("USR-TEA-1", entry.student_id, entry.resource, 201) for entry in ENTRIES[:count]
    ]


def test_a_change_whose_statement_fails_keeps_neither_it_nor_its_audit(
    database: Database, probe_table: str
):
    app = Flask(__name__)
    with app.test_request_context():
        g.stride_audit = list(ENTRIES[:1])
        with database.unit_of_work() as session:
            commit_statement_with_audit(session, 201, probe_table, {"k": "a", "v": 1})
        g.stride_audit = list(ENTRIES[1:2])
        with database.unit_of_work() as session, pytest.raises(sa.exc.IntegrityError):
            commit_statement_with_audit(session, 201, probe_table, {"k": "a", "v": 2})
        assert g.stride_audit == list(ENTRIES[1:2]), "still pending: audited with the error"
    assert probe_rows(database) == [("a", 1)]
    assert stored(database) == [("USR-TEA-1", "USR-STU-0", "enrollment/E0", 201)]


def test_a_change_whose_audit_cannot_be_written_is_not_kept(database: Database, probe_table: str):
    app = Flask(__name__)
    with database.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE audit_log RENAME TO audit_log_away"))
    with app.test_request_context(), database.unit_of_work() as session:
        g.stride_audit = list(ENTRIES[:1])
        with pytest.raises(sa.exc.ProgrammingError):
            commit_statement_with_audit(session, 201, probe_table, {"k": "a", "v": 1})
    assert probe_rows(database) == []
