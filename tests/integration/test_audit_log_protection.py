"""The audit log cannot be erased: not by UPDATE, DELETE or TRUNCATE, not by replacing a
row on SQLite, and the services' runtime role may only read and append."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from shared.cli import migrations_dir
from shared.db import audit_table
from shared.migrations import grant_runtime_role, upgrade

pytestmark = pytest.mark.integration

ROW = {
    "occurred_at": datetime(2026, 12, 1, tzinfo=UTC),
    "actor": "USR-TEA-1",
    "role": "teacher",
    "student_id": "USR-STU-1",
    "action": "read",
    "resource": "enrollment",
    "outcome": "allowed",
}


@pytest.mark.parametrize("service", ["progress", "attempts"])
def test_truncate_is_refused_also_in_databases_created_before(service, make_postgres_database):
    url = make_postgres_database(service)
    upgrade(service, url, migrations_dir(service), f"{service}_0002")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:  # as the first revision once left it
            connection.execute(sa.text("DROP TRIGGER audit_log_no_truncate ON audit_log"))
            connection.execute(sa.text("ALTER TABLE outbox DROP COLUMN next_attempt_at"))
            connection.execute(sa.text("ALTER TABLE outbox DROP COLUMN dead_at"))
            connection.execute(audit_table.insert().values(ROW))
        upgrade(service, url, migrations_dir(service))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(sa.text("TRUNCATE audit_log"))
        with engine.connect() as connection:
            assert connection.execute(sa.select(sa.func.count()).select_from(audit_table)).scalar()
            columns = {c["name"] for c in sa.inspect(connection).get_columns("outbox")}
        assert {"next_attempt_at", "dead_at"} <= columns
        upgrade(service, url, migrations_dir(service))  # idempotent at head
    finally:
        engine.dispose()


def test_sqlite_refuses_to_replace_an_audit_row(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/progress.db"
    upgrade("progress", url, migrations_dir("progress"))
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(audit_table.insert().values(id=1, **ROW))
            connection.execute(audit_table.insert().values(ROW))  # a new id: fine
        replace = (
            audit_table.insert().prefix_with("OR REPLACE").values(id=1, **{**ROW, "actor": "X"})
        )
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(replace)
        with engine.connect() as connection:
            actors = connection.execute(sa.select(audit_table.c.actor).order_by("id")).scalars()
            assert list(actors) == ["USR-TEA-1", "USR-TEA-1"]
    finally:
        engine.dispose()


def test_the_runtime_role_may_only_read_and_append(make_postgres_database, postgres_server):
    url = make_postgres_database("progress")
    upgrade("progress", url, migrations_dir("progress"))
    role = f"stride_test_runtime_{uuid.uuid4().hex[:8]}"
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        grant_runtime_role(url, role)
        host = postgres_server.split("@", 1)[1]
        with psycopg.connect(f"postgresql://{role}@{host}/{database}", autocommit=True) as app:
            app.execute(
                "INSERT INTO audit_log (occurred_at, actor, role, action, resource, outcome)"
                " VALUES (now(), 'A', 'admin', 'read', 'x', 'allowed')"
            )
            app.execute("INSERT INTO inbox VALUES ('c', 'e', 't', now())")
            app.execute("DELETE FROM inbox")
            for statement in (
                "UPDATE audit_log SET actor = 'B'",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
                "DROP TABLE audit_log",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(statement)
            assert app.execute("SELECT count(*) FROM audit_log").fetchone() == (1,)
    finally:
        with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
